#pragma once
/// \file
/// One-cycle (optax cosine_onecycle_schedule / linear_onecycle_schedule), peak η:
///   cosine: η/div → η over [0, p_s·T], then η → η/(div·final_div) over [p_s·T, T], cosine-shaped;
///   linear: η/div → η over [0, p_s·T], η → η/div over [p_s·T, p_f·T],
///           η/div → η/(div·final_div) over [p_f·T, T].
/// Defaults p_s = 0.3, p_f = 0.85, div = 25, final_div = 1e4.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>

#include "detail/require.hpp"

namespace convlab::schedules {

enum class OneCycleShape { Cosine, Linear };

struct OneCycle {
  double lr, total, pct_start, pct_final, div, final_div;
  OneCycleShape shape;
  double operator()(std::int64_t t) const {
    const double tt = std::clamp(static_cast<double>(t), 0.0, total);
    const double low = lr / div, last = lr / (div * final_div);
    const double b1 = pct_start * total;
    auto interp = [&](double a, double b, double from, double to) {
      const double f = to > from ? (tt - from) / (to - from) : 1.0;
      return shape == OneCycleShape::Cosine ? a + (b - a) * (1 - std::cos(std::numbers::pi * f)) / 2 : a + (b - a) * f;
    };
    if (tt <= b1) return interp(low, lr, 0, b1);
    if (shape == OneCycleShape::Cosine) return interp(lr, last, b1, total);
    const double b2 = pct_final * total;
    if (tt <= b2) return interp(lr, low, b1, b2);
    return interp(low, last, b2, total);
  }
};

inline OneCycle one_cycle(double lr, std::int64_t total_steps, OneCycleShape shape = OneCycleShape::Cosine,
                          double pct_start = 0.3, double div = 25.0, double final_div = 1e4, double pct_final = 0.85) {
  detail::require(detail::finite_nonnegative(lr), "one_cycle", "lr", lr, "0 <= lr < inf");
  detail::require(total_steps >= 1, "one_cycle", "total_steps", total_steps, "total_steps >= 1");
  detail::require(pct_start > 0 && pct_start < 1, "one_cycle", "pct_start", pct_start, "0 < pct_start < 1");
  detail::require(pct_final > pct_start && pct_final < 1, "one_cycle", "pct_final", pct_final,
                  "pct_start < pct_final < 1");
  detail::require(div > 0, "one_cycle", "div", div, "div > 0");
  detail::require(final_div > 0, "one_cycle", "final_div", final_div, "final_div > 0");
  return OneCycle{lr, static_cast<double>(total_steps), pct_start, pct_final, div, final_div, shape};
}

}  // namespace convlab::schedules
