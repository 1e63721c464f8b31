#pragma once
/// \file
/// Warmup–stable–decay (fabian-sp/lr-scheduling WSDSchedule): linear warmup from `init` over
/// W steps, constant η, then a cooldown over the last ⌈c·T⌉ steps, starting at T₀ = T − ⌈c·T⌉:
///   linear:  η·(1 − (t − T₀)/(T − T₀))
///   sqrt:    η·(1 − √((t − T₀ + 1)/(T − T₀)))   (reaches 0 at t = T − 1: its last step is idle)
/// Both are 0 from t = T on.

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "detail/require.hpp"

namespace convlab::schedules {

enum class CooldownShape { Linear, Sqrt };

struct Wsd {
  double lr, init;
  std::int64_t warmup, decay_start, total;
  CooldownShape shape;
  double operator()(std::int64_t t) const {
    if (t < warmup) return init + (lr - init) * static_cast<double>(std::max<std::int64_t>(t, 0)) / static_cast<double>(warmup);
    if (t < decay_start) return lr;
    const double len = static_cast<double>(total - decay_start);
    const double into = static_cast<double>(t - decay_start);
    const double v = shape == CooldownShape::Linear ? 1 - into / len : 1 - std::sqrt((into + 1) / len);
    return lr * std::max(0.0, v);
  }
};

inline Wsd wsd(double lr, std::int64_t total_steps, std::int64_t warmup_steps, double cooldown_fraction = 0.2,
               CooldownShape shape = CooldownShape::Linear, double init = 0.0) {
  detail::require(detail::finite_nonnegative(lr), "wsd", "lr", lr, "0 <= lr < inf");
  detail::require(total_steps >= 1, "wsd", "total_steps", total_steps, "total_steps >= 1");
  detail::require(cooldown_fraction > 0 && cooldown_fraction <= 1, "wsd", "cooldown_fraction", cooldown_fraction,
                  "0 < cooldown_fraction <= 1");
  detail::require(detail::finite_nonnegative(init), "wsd", "init", init, "0 <= init < inf");
  const auto cooldown = static_cast<std::int64_t>(std::ceil(cooldown_fraction * static_cast<double>(total_steps)));
  const std::int64_t start = total_steps - cooldown;
  detail::require(warmup_steps >= 0 && warmup_steps <= start, "wsd", "warmup_steps", warmup_steps,
                  "0 <= warmup_steps <= total_steps - cooldown steps");
  return Wsd{lr, init, warmup_steps, start, total_steps, shape};
}

}  // namespace convlab::schedules
