#pragma once
/// \file
/// Linear interpolation and linear decay.
///   linear(η, η_end, T', B):  lr(t) = η + (η_end − η)·clip((t − B)/T', 0, 1)   (optax linear_schedule)
///   linear_decay(η, T, η_end = 0) = linear(η, η_end, T, 0): η·(1 − t/T) for η_end = 0.
/// With 0-based t and T steps, linear decay never reaches 0 inside the run (its last step
/// uses η/T): the refined-schedules bound concerns x_T, which the step at t = T−1 produces.

#include <algorithm>
#include <cstdint>

#include "detail/require.hpp"

namespace convlab::schedules {

struct Linear {
  double init, end, steps, begin;
  double operator()(std::int64_t t) const {
    const double frac = std::clamp((static_cast<double>(t) - begin) / steps, 0.0, 1.0);
    return init + (end - init) * frac;
  }
};

/// From `init` to `end` over `steps` steps starting at `begin`; constant outside.
inline Linear linear(double init, double end, std::int64_t steps, std::int64_t begin = 0) {
  detail::require(detail::finite_nonnegative(init), "linear", "init", init, "0 <= init < inf");
  detail::require(detail::finite_nonnegative(end), "linear", "end", end, "0 <= end < inf");
  detail::require(steps >= 1, "linear", "steps", steps, "steps >= 1");
  detail::require(begin >= 0, "linear", "begin", begin, "begin >= 0");
  return Linear{init, end, static_cast<double>(steps), static_cast<double>(begin)};
}

/// η·(1 − t/T) (to η_end instead of 0 if given), constant η_end after T.
inline Linear linear_decay(double lr, std::int64_t steps, double end = 0.0) {
  detail::require(detail::finite_nonnegative(lr), "linear_decay", "lr", lr, "0 <= lr < inf");
  detail::require(detail::finite_nonnegative(end), "linear_decay", "end", end, "0 <= end < inf");
  detail::require(steps >= 1, "linear_decay", "steps", steps, "steps >= 1");
  return Linear{lr, end, static_cast<double>(steps), 0.0};
}

}  // namespace convlab::schedules
