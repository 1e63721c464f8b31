#pragma once
/// \file
/// Cosine decay with a floor (optax cosine_decay_schedule with alpha = end/η, exponent p):
///   lr(t) = end + (η − end)·[½(1 + cos(π·min(t, T)/T))]^p.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "detail/require.hpp"

namespace convlab::schedules {

struct Cosine {
  double lr, steps, end, exponent;
  double operator()(std::int64_t t) const {
    const double frac = std::min(static_cast<double>(std::max<std::int64_t>(t, 0)), steps) / steps;
    return end + (lr - end) * std::pow(0.5 * (1 + std::cos(std::numbers::pi * frac)), exponent);
  }
};

inline Cosine cosine(double lr, std::int64_t steps, double end = 0.0, double exponent = 1.0) {
  detail::require(detail::finite_nonnegative(lr), "cosine", "lr", lr, "0 <= lr < inf");
  detail::require(steps >= 1, "cosine", "steps", steps, "steps >= 1");
  detail::require(detail::finite_nonnegative(end), "cosine", "end", end, "0 <= end < inf");
  detail::require(exponent > 0 && exponent < 1e308, "cosine", "exponent", exponent, "exponent > 0");
  return Cosine{lr, static_cast<double>(steps), end, exponent};
}

}  // namespace convlab::schedules
