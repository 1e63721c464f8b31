#pragma once
/// \file
/// Inverse square root with linear warmup (Hugging Face / big_vision):
///   lr(t) = η·t/W for t < W, then η/√((t + τ − W)/τ); the timescale τ defaults to W
///   (then lr = η·√(W/t) after warmup), or 10 000 when W = 0.

#include <cmath>
#include <cstdint>

#include "detail/require.hpp"

namespace convlab::schedules {

struct InverseSqrt {
  double lr, warmup, timescale;
  double operator()(std::int64_t t) const {
    const double tt = static_cast<double>(std::max<std::int64_t>(t, 0));
    if (tt < warmup) return lr * tt / warmup;
    return lr / std::sqrt((tt + timescale - warmup) / timescale);
  }
};

/// `timescale` = 0 picks the default (W, or 10 000 when W = 0).
inline InverseSqrt inverse_sqrt(double lr, std::int64_t warmup_steps = 0, double timescale = 0) {
  detail::require(detail::finite_nonnegative(lr), "inverse_sqrt", "lr", lr, "0 <= lr < inf");
  detail::require(warmup_steps >= 0, "inverse_sqrt", "warmup_steps", warmup_steps, "warmup_steps >= 0");
  detail::require(detail::finite_nonnegative(timescale), "inverse_sqrt", "timescale", timescale, "timescale >= 0 (0 = default)");
  const double w = static_cast<double>(warmup_steps);
  return InverseSqrt{lr, w, timescale > 0 ? timescale : (w > 0 ? w : 10000.0)};
}

}  // namespace convlab::schedules
