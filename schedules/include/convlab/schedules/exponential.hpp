#pragma once
/// \file
/// Exponential decay (optax exponential_decay):
///   lr(t) = η·r^((t − B)/k) for t > B (exponent floored when staircase), η before;
///   clipped at `end` (a floor when r < 1, a ceiling when r > 1) when end > 0.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "detail/require.hpp"

namespace convlab::schedules {

struct Exponential {
  double lr, rate, steps, begin, end;
  bool staircase;
  double operator()(std::int64_t t) const {
    const double tt = static_cast<double>(t) - begin;
    if (tt <= 0) return lr;
    const double e = staircase ? std::floor(tt / steps) : tt / steps;
    double v = lr * std::pow(rate, e);
    if (end > 0) v = rate < 1 ? std::max(v, end) : std::min(v, end);
    return v;
  }
};

inline Exponential exponential(double lr, double rate, std::int64_t steps, std::int64_t begin = 0,
                               bool staircase = false, double end = 0.0) {
  detail::require(detail::finite_nonnegative(lr), "exponential", "lr", lr, "0 <= lr < inf");
  detail::require(rate > 0 && rate < 1e308, "exponential", "rate", rate, "0 < rate < inf");
  detail::require(steps >= 1, "exponential", "steps", steps, "steps >= 1");
  detail::require(begin >= 0, "exponential", "begin", begin, "begin >= 0");
  detail::require(detail::finite_nonnegative(end), "exponential", "end", end, "0 <= end < inf (0 = no clip)");
  return Exponential{lr, rate, static_cast<double>(steps), static_cast<double>(begin), end, staircase};
}

}  // namespace convlab::schedules
