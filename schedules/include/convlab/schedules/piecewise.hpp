#pragma once
/// \file
/// Step decays.
///   step(η, s, γ):               lr(t) = η·γ^⌊t/s⌋                     (torch StepLR, γ = 0.1)
///   piecewise(η, {bᵢ}, {γᵢ}):    lr(t) = η·Π_{bᵢ <= t} γᵢ             (torch MultiStepLR; optax piecewise_constant)

#include <cmath>
#include <cstdint>
#include <vector>

#include "detail/require.hpp"

namespace convlab::schedules {

struct Step {
  double lr, gamma;
  std::int64_t step_size;
  double operator()(std::int64_t t) const {
    return lr * std::pow(gamma, static_cast<double>(std::max<std::int64_t>(t, 0) / step_size));
  }
};

inline Step step(double lr, std::int64_t step_size, double gamma = 0.1) {
  detail::require(detail::finite_nonnegative(lr), "step", "lr", lr, "0 <= lr < inf");
  detail::require(step_size >= 1, "step", "step_size", step_size, "step_size >= 1");
  detail::require(detail::finite_nonnegative(gamma), "step", "gamma", gamma, "0 <= gamma < inf");
  return Step{lr, gamma, step_size};
}

struct Piecewise {
  double lr;
  std::vector<std::int64_t> boundaries;
  std::vector<double> scales;
  double operator()(std::int64_t t) const {
    double v = lr;
    for (std::size_t i = 0; i < boundaries.size() && boundaries[i] <= t; ++i) v *= scales[i];
    return v;
  }
};

/// Multiplies by scales[i] from step boundaries[i] on; boundaries strictly increasing, >= 0.
inline Piecewise piecewise(double lr, std::vector<std::int64_t> boundaries, std::vector<double> scales) {
  detail::require(detail::finite_nonnegative(lr), "piecewise", "lr", lr, "0 <= lr < inf");
  detail::require(boundaries.size() == scales.size(), "piecewise", "scales.size()", scales.size(),
                  "one scale per boundary");
  for (std::size_t i = 0; i < boundaries.size(); ++i) {
    detail::require(boundaries[i] >= 0 && (i == 0 || boundaries[i] > boundaries[i - 1]), "piecewise", "boundaries[i]",
                    boundaries[i], "0 <= boundaries strictly increasing");
    detail::require(detail::finite_nonnegative(scales[i]), "piecewise", "scales[i]", scales[i], "0 <= scale < inf");
  }
  return Piecewise{lr, std::move(boundaries), std::move(scales)};
}

}  // namespace convlab::schedules
