#pragma once
/// \file
/// Row weights and a free intercept for the lasso / elastic-net solver, by an exact reduction to
/// `lasso_cd` (no second solver). The objective, with weights sᵢ ≥ 0 and S = Σsᵢ:
///     P(w, b) = 1/(2S)·Σᵢ sᵢ(yᵢ − xᵢᵀw − b)² + λ·(α‖w‖₁ + (1 − α)/2·‖w‖²),
/// which is LeastSquares' objective with sample weights (docs/problems.md); without weights
/// sᵢ = 1 and S = n, and without an intercept b = 0.
///
/// Reduction: for fixed w the best b is ȳ − x̄ᵀw (weighted means), which leaves the centred data
/// ỹ = y − ȳ, X̃ = X − 1x̄ᵀ; then 1/(2S)·Σ sᵢeᵢ² = 1/(2n)·Σ (√(sᵢn/S)·eᵢ)², so scaling row i by
/// √(sᵢn/S) gives lasso_cd's unweighted objective. P and D of the reduced problem are P(w, b(w))
/// and a lower bound on min P, so its relative duality gap certifies the answer as it is.
///
///     auto f = solvers::lasso_cd_fit(X, y, lambda, weights, /*intercept=*/true);
///     // f.w, f.intercept, f.certificate.value (the relative gap of P above)

#include <cmath>
#include <string>
#include <type_traits>

#include <convlab/solvers/detail/row_weights.hpp>
#include <convlab/solvers/lasso_cd.hpp>

namespace convlab::solvers {

/// Solves P above at λ; the result's certificate (primal, dual, gap) is that of P. `sample_weights`: empty (every row weighs 1) or one finite weight ≥ 0
/// per row, not all 0. An intercept needs a dense X (centring a sparse design would fill it).
/// Unweighted without an intercept this is lasso_cd(X, y, …) itself, bit for bit; otherwise the
/// reduced design is a copy of X.
template <class Design>
LassoResult lasso_cd_fit(const Design& X, const VecX<double>& y, double lambda, const VecX<double>& sample_weights, bool intercept,
                         const LassoOptions& o = {}, const VecX<double>& w0 = {}) {
  constexpr bool sparse = std::is_base_of_v<Eigen::SparseMatrixBase<Design>, Design>;
  const Eigen::Index n = X.rows();
  detail::require_size(y.size(), n, "lasso_cd: y (one per row of X)");
  const bool weighted = sample_weights.size() > 0;
  if (!weighted && !intercept) return lasso_cd(X, y, lambda, o, w0);
  const VecX<double> root = detail::normalized_row_weights(sample_weights, n, "lasso_cd").cwiseSqrt();
  const VecX<double> s = weighted ? sample_weights : VecX<double>::Ones(n);
  const double total = s.sum();
  double y_mean = 0;
  VecX<double> yr = y;
  if (intercept) {
    y_mean = s.dot(y) / total;
    yr.array() -= y_mean;
  }
  if (weighted) yr = yr.cwiseProduct(root);
  LassoResult r;
  VecX<double> x_mean = VecX<double>::Zero(X.cols());
  if constexpr (sparse) {
    if (intercept)
      throw InvalidArgument("lasso_cd: an intercept needs a dense design (centring the columns of a sparse one would fill it); "
                            "centre the data and fit without one");
    const Eigen::SparseMatrix<double> Xr = root.asDiagonal() * X.template cast<double>();
    r = lasso_cd(Xr, yr, lambda, o, w0);
  } else {
    MatX<double> Xr = X.template cast<double>();
    if (intercept) {
      x_mean = Xr.transpose() * s / total;
      Xr.rowwise() -= x_mean.transpose();
    }
    if (weighted) Xr = root.asDiagonal() * Xr;
    r = lasso_cd(Xr, yr, lambda, o, w0);
  }
  r.intercept = intercept ? y_mean - x_mean.dot(r.w) : 0.0;
  return r;
}

}  // namespace convlab::solvers
