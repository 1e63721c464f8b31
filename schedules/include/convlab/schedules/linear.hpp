#pragma once
/// \file
/// Linear decay: lr(t) = lr + (end − lr)·min(t, T)/T for the 0-based step t; with end = 0
/// this is lr·(1 − t/T), the schedule the refined-schedules paper shows worst-case optimal
/// for the last iterate.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>

namespace convlab::schedules {

struct LinearDecay {
  double lr, steps, end;
  double operator()(std::int64_t t) const {
    return lr + (end - lr) * std::min(1.0, static_cast<double>(std::max<std::int64_t>(t, 0)) / steps);
  }
};

/// lr(t) = lr + (end − lr)·min(t, steps)/steps. Requires lr >= 0, end >= 0, steps >= 1.
inline LinearDecay linear_decay(double lr, std::int64_t steps, double end = 0.0) {
  auto fail = [](const char* name, double v, const char* rule) {
    std::ostringstream os;
    os << "linear_decay: " << name << " = " << v << " violates " << rule;
    throw std::invalid_argument(os.str());
  };
  if (!(lr >= 0 && std::isfinite(lr))) fail("lr", lr, "0 <= lr < inf");
  if (!(end >= 0 && std::isfinite(end))) fail("end", end, "0 <= end < inf");
  if (steps < 1) fail("steps", static_cast<double>(steps), "steps >= 1");
  return LinearDecay{lr, static_cast<double>(steps), end};
}

}  // namespace convlab::schedules
