#pragma once
/// \file
/// Linear warmup in front of any schedule, which then runs on its own clock:
///   lr(t) = init + (inner(0) − init)·t/W for t < W, then inner(t − W).
/// The helpers take the total length T *including* warmup (optax and Hugging Face convention):
///   warmup_cosine(init, peak, W, T, end)  = warmup over W, cosine from peak to end over T − W
///     (optax warmup_cosine_decay_schedule: init at t = 0, peak at t = W, end at t = T);
///   warmup_linear(init, peak, W, T, end)  = warmup, then linear from peak to end over T − W
///     (Hugging Face get_linear_schedule_with_warmup with init = end = 0).

#include <cstdint>
#include <utility>

#include "cosine.hpp"
#include "detail/require.hpp"
#include "linear.hpp"
#include "schedule.hpp"

namespace convlab::schedules {

template <Schedule Inner>
struct Warmup {
  Inner inner;
  double init;
  std::int64_t steps;
  double operator()(std::int64_t t) const {
    if (t < steps) {
      const double peak = static_cast<double>(inner(0));
      return init + (peak - init) * static_cast<double>(std::max<std::int64_t>(t, 0)) / static_cast<double>(steps);
    }
    return static_cast<double>(inner(t - steps));
  }
};

/// Warmup from `init` to inner(0) over `steps` steps (0 = no warmup), then `inner` restarted.
template <Schedule Inner>
Warmup<Inner> warmup(Inner inner, std::int64_t steps, double init = 0.0) {
  detail::require(steps >= 0, "warmup", "steps", steps, "steps >= 0");
  detail::require(detail::finite_nonnegative(init), "warmup", "init", init, "0 <= init < inf");
  return Warmup<Inner>{std::move(inner), init, steps};
}

inline Warmup<Cosine> warmup_cosine(double init, double peak, std::int64_t warmup_steps, std::int64_t total_steps,
                                    double end = 0.0) {
  detail::require(warmup_steps < total_steps, "warmup_cosine", "warmup_steps", warmup_steps,
                  "warmup_steps < total_steps (the total includes warmup)");
  return warmup(cosine(peak, total_steps - warmup_steps, end), warmup_steps, init);
}

inline Warmup<Linear> warmup_linear(double init, double peak, std::int64_t warmup_steps, std::int64_t total_steps,
                                    double end = 0.0) {
  detail::require(warmup_steps < total_steps, "warmup_linear", "warmup_steps", warmup_steps,
                  "warmup_steps < total_steps (the total includes warmup)");
  return warmup(linear(peak, end, total_steps - warmup_steps), warmup_steps, init);
}

}  // namespace convlab::schedules
