#pragma once
/// \file
/// Row weights of the certified linear-model solvers (lasso_cd_fit, logistic_l1, logistic_ridge),
/// checked once and normalized to mean 1, so that the solvers keep their (1/n)·Σ scaling:
///     (1/Σs)·Σᵢ sᵢ·lossᵢ = (1/n)·Σᵢ rᵢ·lossᵢ,   rᵢ = sᵢ·n/Σs.
/// Without weights every rᵢ is exactly 1, and multiplying by it keeps the unweighted bits.

#include <cmath>
#include <string>

#include <convlab/core/errors.hpp>
#include <convlab/problems/concepts.hpp>

namespace convlab::solvers::detail {

/// r = s·n/Σs for `sample_weights` s (one finite weight >= 0 per row, not all 0), or n ones when
/// s is empty. Errors name the solver `who` and the first bad row.
inline VecX<double> normalized_row_weights(const VecX<double>& sample_weights, Eigen::Index rows, const std::string& who) {
  if (sample_weights.size() == 0) return VecX<double>::Ones(rows);
  require_size(sample_weights.size(), rows, who + ": sample weights (one per row of X)");
  for (Eigen::Index i = 0; i < rows; ++i)
    if (!(sample_weights[i] >= 0 && std::isfinite(sample_weights[i])))
      throw InvalidArgument(who + ": sample weight " + std::to_string(i) + " is " + std::to_string(sample_weights[i]) +
                            "; weights are finite and >= 0");
  const double total = sample_weights.sum();
  if (!(total > 0)) throw InvalidArgument(who + ": every sample weight is 0");
  return sample_weights * (static_cast<double>(rows) / total);
}

}  // namespace convlab::solvers::detail
