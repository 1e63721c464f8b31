#pragma once
/// \file
/// Linear quantile regression solved as the linear program it is, with an exact optimality
/// certificate.
///
///     β̂ ∈ argmin_β Σᵢ ρ_τ(yᵢ − xᵢᵀβ)
///
/// The dual, max yᵀa s.t. Xᵀa = (1 − τ)Xᵀ1, 0 ≤ a ≤ 1, is solved by the interior-point method of
/// bounded_lp.hpp (Koenker–Portnoy's Frisch–Newton); its multipliers are −β. A crossover then
/// moves to a vertex: the p rows with the smallest |residual| that form a non-singular X_h give
/// β_h = X_h⁻¹y_h, and β_h is certified optimal by the subgradient condition of Koenker's
/// Theorem 2.1: with ψᵢ = τ − 1{rᵢ < 0} off h, the solution a_h of X_hᵀ a_h = −Σ_{i∉h} ψᵢxᵢ lies in
/// [τ − 1, τ]^p. If the crossover cannot certify (degenerate data: more than p zero residuals),
/// the interior-point β is returned with its duality gap.

#include <Eigen/LU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include <convlab/core/errors.hpp>
#include <convlab/problems/concepts.hpp>
#include <convlab/problems/quantile_loss.hpp>
#include <convlab/solvers/bounded_lp.hpp>
#include <convlab/solvers/report.hpp>

namespace convlab::quantile {

/// The library's result type (optim::Report, docs/solvers.md). At an optimal vertex the
/// certificate is Koenker's subgradient condition: a KKT residual, the largest violation of
/// a_h ∈ [τ − 1, τ] (clipped at 0), within kVertexTolerance. Without one, it is the interior-point
/// LP's duality gap |P − D|/(1 + |P|) of the LP above. `iterations` counts interior-point steps.
struct QuantileRegressionResult : optim::Report {
  static constexpr double kVertexTolerance = 1e-9;
  VecX<double> beta;
  double objective = 0;             ///< Σ ρ_τ(y − Xβ) (+ the l1 penalty)
  std::vector<Eigen::Index> basis;  ///< the p interpolated rows of the optimal vertex (empty: none)
  /// β is a vertex certified optimal by the subgradient condition.
  bool at_vertex() const { return !basis.empty(); }
};

/// Σ ρ_τ(y − Xβ).
inline double quantile_objective(const MatX<double>& X, const VecX<double>& y, const VecX<double>& beta, double tau) {
  const VecX<double> r = y - X * beta;
  double s = 0;
  for (Eigen::Index i = 0; i < r.size(); ++i) s += problems::pinball(r[i], tau);
  return s;
}

/// Checks the subgradient optimality condition at the vertex β_h through rows h; returns the
/// largest violation of a_h ∈ [τ − 1, τ] (≤ 0 means optimal). Zero residuals off h are taken at
/// the side that helps most only if the vertex is degenerate, which this check does not attempt:
/// such a vertex is reported as uncertified.
inline double vertex_optimality_violation(const MatX<double>& X, const VecX<double>& y, double tau, const std::vector<Eigen::Index>& h,
                                          const VecX<double>& beta) {
  const Eigen::Index n = X.rows(), p = X.cols();
  std::vector<char> in_h(static_cast<std::size_t>(n), 0);
  for (Eigen::Index i : h) in_h[static_cast<std::size_t>(i)] = 1;
  const VecX<double> r = y - X * beta;
  const double scale = 1e-11 * (1 + y.cwiseAbs().maxCoeff());
  VecX<double> g = VecX<double>::Zero(p);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (in_h[static_cast<std::size_t>(i)]) continue;
    if (std::abs(r[i]) <= scale) return std::numeric_limits<double>::infinity();  // degenerate vertex
    g += (tau - (r[i] < 0 ? 1.0 : 0.0)) * X.row(i).transpose();
  }
  MatX<double> Xh(p, p);
  for (Eigen::Index k = 0; k < p; ++k) Xh.row(k) = X.row(h[static_cast<std::size_t>(k)]);
  const VecX<double> a = Xh.transpose().fullPivLu().solve(-g);
  double violation = -std::numeric_limits<double>::infinity();
  for (Eigen::Index k = 0; k < p; ++k) violation = std::max({violation, (tau - 1) - a[k], a[k] - tau});
  return violation;
}

/// Fits β̂ for one level τ. X should contain an intercept column if one is wanted.
///
/// With `l1` > 0 the objective becomes Σ ρ_τ(yᵢ − xᵢᵀβ) + l1·Σ_{j ≥ first_penalized} |β_j| (the
/// quantile lasso), still an LP: each penalized coefficient adds the two pseudo-rows ±l1·e_j with
/// response 0, since ρ_τ(−l1·β_j) + ρ_τ(l1·β_j) = l1·|β_j| (Koenker's rq.fit.lasso device). The
/// certificate then certifies the penalized problem. A small l1 makes collinear designs (e.g.
/// random features) well posed.
inline QuantileRegressionResult quantile_regression(const MatX<double>& X_in, const VecX<double>& y_in, double tau,
                                                    const solvers::BoundedLpOptions& lp = {}, double l1 = 0,
                                                    Eigen::Index first_penalized = 1) {
  detail::require(l1 >= 0 && std::isfinite(l1), "quantile_regression: l1", l1, "0 <= l1 < inf");
  detail::require_size(y_in.size(), X_in.rows(), "quantile_regression: y (one per row of X)");
  MatX<double> X = X_in;
  VecX<double> y = y_in;
  if (l1 > 0) {
    const Eigen::Index n0 = X_in.rows(), q = std::max<Eigen::Index>(0, X_in.cols() - first_penalized);
    X = MatX<double>::Zero(n0 + 2 * q, X_in.cols());
    y = VecX<double>::Zero(n0 + 2 * q);
    X.topRows(n0) = X_in;
    y.head(n0) = y_in;
    for (Eigen::Index j = 0; j < q; ++j) {
      X(n0 + 2 * j, first_penalized + j) = l1;
      X(n0 + 2 * j + 1, first_penalized + j) = -l1;
    }
  }
  detail::require(tau > 0 && tau < 1, "quantile_regression: tau", tau, "0 < tau < 1");
  detail::require_size(y.size(), X.rows(), "quantile_regression: y (one per row of X)");
  const Eigen::Index n = X.rows(), p = X.cols();
  detail::require(n >= p && p >= 1, "quantile_regression: rows of X", n, ">= columns of X >= 1");
  if (!X.allFinite() || !y.allFinite()) throw InvalidArgument("quantile_regression: X and y must be finite");
  const MatX<double> A = X.transpose();
  const VecX<double> b = (1 - tau) * (A * VecX<double>::Ones(n));
  const auto start = std::chrono::steady_clock::now();
  const auto sol = solvers::bounded_lp(A, b, -y, VecX<double>::Ones(n), {}, lp);
  QuantileRegressionResult res;
  static_cast<optim::Report&>(res) = sol;  // the LP's gap, status and iterations, unless a vertex is found
  res.beta = -sol.y;
  res.objective = quantile_objective(X, y, res.beta, tau);
  // Crossover: greedily collect rows by increasing |residual| that raise the rank of X_h.
  const VecX<double> r = y - X * res.beta;
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index c) { return std::abs(r[a]) < std::abs(r[c]); });
  std::vector<Eigen::Index> h;
  MatX<double> rows(0, p);
  // Only the rows nearest zero residual can be basic; scanning a few beyond p suffices.
  const auto candidates = static_cast<std::size_t>(std::min<Eigen::Index>(n, 4 * p + 20));
  for (std::size_t k = 0; k < candidates && static_cast<Eigen::Index>(h.size()) < p; ++k) {
    MatX<double> trial(rows.rows() + 1, p);
    trial << rows, X.row(order[k]);
    if (Eigen::FullPivLU<MatX<double>>(trial).rank() == trial.rows()) {
      rows = std::move(trial);
      h.push_back(order[k]);
    }
  }
  if (static_cast<Eigen::Index>(h.size()) == p) {
    VecX<double> yh(p);
    for (Eigen::Index k = 0; k < p; ++k) yh[k] = y[h[static_cast<std::size_t>(k)]];
    const VecX<double> beta_h = rows.fullPivLu().solve(yh);
    const double violation = vertex_optimality_violation(X, y, tau, h, beta_h);
    const double obj_h = quantile_objective(X, y, beta_h, tau);
    if (violation <= QuantileRegressionResult::kVertexTolerance && obj_h <= res.objective + 1e-9 * (1 + std::abs(res.objective))) {
      res.beta = beta_h;
      res.objective = obj_h;
      res.certificate = solvers::kkt_residual_certificate(std::max(violation, 0.0), QuantileRegressionResult::kVertexTolerance);
      res.status = optim::Status::KktResidual;
      res.message = "an optimal vertex (Koenker's subgradient condition)";
      res.basis = std::move(h);
    }
  }
  // An uncertified solution (degenerate vertex, e.g. penalized coefficients at 0) is accepted on
  // the LP's own duality gap.
  if (!res.at_vertex() && (sol.certificate.value > 1e-6 || !res.beta.allFinite()))
    throw InvalidArgument("quantile_regression: the interior-point LP did not converge (relative gap " + std::to_string(sol.certificate.value) +
                          " after " + std::to_string(sol.iterations) + " iterations) and no optimal vertex was found; "
                          "standardize the columns of X");
  if (!res.at_vertex()) res.message = "no optimal vertex (degenerate data): the interior-point solution with its LP duality gap";
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace convlab::quantile
