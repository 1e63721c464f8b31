#pragma once
/// \file
/// Polynomial decay (optax polynomial_schedule):
///   lr(t) = (η − end)·(1 − clip(t − B, 0, T')/T')^p + end.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "detail/require.hpp"

namespace convlab::schedules {

struct Polynomial {
  double lr, end, power, steps, begin;
  double operator()(std::int64_t t) const {
    const double frac = std::clamp(static_cast<double>(t) - begin, 0.0, steps) / steps;
    return (lr - end) * std::pow(1 - frac, power) + end;
  }
};

inline Polynomial polynomial(double lr, double end, double power, std::int64_t steps, std::int64_t begin = 0) {
  detail::require(detail::finite_nonnegative(lr), "polynomial", "lr", lr, "0 <= lr < inf");
  detail::require(detail::finite_nonnegative(end), "polynomial", "end", end, "0 <= end < inf");
  detail::require(power > 0 && power < 1e308, "polynomial", "power", power, "power > 0");
  detail::require(steps >= 1, "polynomial", "steps", steps, "steps >= 1");
  detail::require(begin >= 0, "polynomial", "begin", begin, "begin >= 0");
  return Polynomial{lr, end, power, static_cast<double>(steps), static_cast<double>(begin)};
}

}  // namespace convlab::schedules
