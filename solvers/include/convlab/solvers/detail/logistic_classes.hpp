#pragma once
/// \file
/// What logistic_l1 and logistic_ridge share about the two classes (labels y = ±1): weighted
/// class sums, the best intercept at w = 0 (the log-odds), and the binary entropy of their dual
/// (docs/solvers.md, "An unpenalized intercept").

#include <cmath>
#include <string>

#include <convlab/core/errors.hpp>
#include <convlab/problems/concepts.hpp>

namespace convlab::solvers::detail {

struct ClassSums {
  double pos = 0, neg = 0;  ///< Σ wᵢ over the rows with yᵢ = +1, and with yᵢ = −1
};
/// Σ wᵢ per class; `w` any vector expression (r, or r∘σ without a temporary).
template <class W>
ClassSums class_sums(const VecX<double>& y, const W& w) {
  ClassSums s;
  for (Eigen::Index i = 0; i < y.size(); ++i) (y[i] > 0 ? s.pos : s.neg) += w[i];
  return s;
}

/// log(Σ_{y=+1} rᵢ / Σ_{y=−1} rᵢ), the best intercept at w = 0; an error naming `who` when a class
/// has no weight (b* would be infinite).
inline double log_odds_intercept(const VecX<double>& y, const VecX<double>& r, const std::string& who) {
  const ClassSums s = class_sums(y, r);
  if (!(s.pos > 0 && s.neg > 0))
    throw InvalidArgument(who + ": an intercept needs rows of both classes with positive weight (with one class only, b* is infinite)");
  return std::log(s.pos / s.neg);
}

/// h(t) = −t·log t − (1 − t)·log(1 − t), with 0·log 0 = 0.
inline double binary_entropy(double t) {
  return -((t > 0 ? t * std::log(t) : 0.0) + (t < 1 ? (1 - t) * std::log1p(-t) : 0.0));
}

}  // namespace convlab::solvers::detail
