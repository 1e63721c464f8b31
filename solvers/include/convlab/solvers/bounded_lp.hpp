#pragma once
/// \file
/// A primal–dual interior-point solver (Mehrotra predictor–corrector) for linear programs with
/// few equality rows and many bounded columns:
///
///     min cᵀx   s.t.   A x = b,   0 ≤ x_j ≤ u_j  (u_j may be +∞),   x_j free for j ∈ F
///
/// A is m × N, dense, with m small (tens) and N large (thousands): each iteration forms and
/// factors the m × m normal matrix A D Aᵀ, O(N m²). This is the shape of the dual of quantile
/// regression (Koenker and Portnoy's Frisch–Newton "fn" method) and of quantile aggregation
/// under a simplex constraint, where the m rows are the model's coefficients, so the solver's
/// equality multipliers y are the fitted coefficients. Free columns (at most a few) are handled
/// by a Schur complement on the bordered system [A_B D A_Bᵀ, A_F; A_Fᵀ, 0].
///
/// Stops when the relative primal, dual and bound residuals and the relative duality gap
/// |cᵀx − (bᵀy − uᵀw)|/(1 + |cᵀx|) are all below `tolerance`; the result reports each. On a
/// nearly degenerate problem (collinear rows of A) the normal matrix loses accuracy once the
/// complementarity μ reaches rounding level; then the solver stops after `stall` iterations
/// without improvement and returns the best iterate seen (by its largest residual or gap).

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/solvers/report.hpp>

namespace convlab::solvers {

struct BoundedLpOptions {
  double tolerance = 1e-10;  ///< relative residuals and gap, > 0
  int max_iterations = 200;  ///< >= 1
  int stall = 15;            ///< iterations without improvement of the best iterate before stopping, >= 1
  void validate() const {
    detail::require(stall >= 1, "BoundedLpOptions::stall", stall, ">= 1");
    detail::require(tolerance > 0, "BoundedLpOptions::tolerance", tolerance, "> 0");
    detail::require(max_iterations >= 1, "BoundedLpOptions::max_iterations", max_iterations, ">= 1");
  }
};

/// The Report (certificate: cᵀx, the dual objective and their gap |P − D|/(1 + |P|); status
/// DualityGap when the gap and both residuals meet the tolerance; iterations: interior-point
/// steps) and the solution with the residuals that make the gap meaningful.
struct BoundedLpResult : Report {
  VecX<double> x;            ///< primal solution
  VecX<double> y;            ///< multipliers of A x = b
  double primal_residual = 0, dual_residual = 0;
};

/// Solves the LP above. `upper` holds u (use +∞ for no upper bound; entries of free columns are
/// ignored). Throws InvalidArgument on mismatched sizes, negative or NaN bounds, non-finite data.
inline BoundedLpResult bounded_lp(const MatX<double>& A, const VecX<double>& b, const VecX<double>& c, const VecX<double>& upper,
                                  const std::vector<Eigen::Index>& free = {}, const BoundedLpOptions& o = {}) {
  const auto start = std::chrono::steady_clock::now();
  o.validate();
  const Eigen::Index m = A.rows(), N = A.cols();
  detail::require_size(b.size(), m, "bounded_lp: b (one per row of A)");
  detail::require_size(c.size(), N, "bounded_lp: c (one per column of A)");
  detail::require_size(upper.size(), N, "bounded_lp: upper (one per column of A)");
  if (!A.allFinite() || !b.allFinite() || !c.allFinite()) throw InvalidArgument("bounded_lp: A, b and c must be finite");
  std::vector<char> is_free(static_cast<std::size_t>(N), 0), has_upper(static_cast<std::size_t>(N), 0);
  for (Eigen::Index j : free) {
    detail::require(j >= 0 && j < N, "bounded_lp: free column", j, "0 <= j < columns of A");
    is_free[static_cast<std::size_t>(j)] = 1;
  }
  std::vector<Eigen::Index> F;
  for (Eigen::Index j = 0; j < N; ++j) {
    if (is_free[static_cast<std::size_t>(j)]) { F.push_back(j); continue; }
    detail::require(upper[j] > 0, "bounded_lp: upper bound of column " + std::to_string(j), upper[j], "> 0 (or +inf)");
    has_upper[static_cast<std::size_t>(j)] = std::isfinite(upper[j]);
  }
  const auto nf = static_cast<Eigen::Index>(F.size());
  auto bounded = [&](Eigen::Index j) { return !is_free[static_cast<std::size_t>(j)]; };
  auto capped = [&](Eigen::Index j) { return has_upper[static_cast<std::size_t>(j)] != 0; };

  // Infeasible start: interior in the bounds, dual slacks splitting c.
  VecX<double> x = VecX<double>::Zero(N), s = VecX<double>::Zero(N), z = VecX<double>::Zero(N), w = VecX<double>::Zero(N);
  VecX<double> y = VecX<double>::Zero(m);
  double complementarity_pairs = 0;
  for (Eigen::Index j = 0; j < N; ++j) {
    if (!bounded(j)) continue;
    x[j] = capped(j) ? upper[j] / 2 : 1.0;
    z[j] = 1 + std::max(c[j], 0.0);
    complementarity_pairs += 1;
    if (capped(j)) {
      s[j] = upper[j] - x[j];
      w[j] = 1 + std::max(-c[j], 0.0);
      complementarity_pairs += 1;
    }
  }
  const double b_norm = b.norm(), c_norm = c.norm();
  double u_norm = 0;
  for (Eigen::Index j = 0; j < N; ++j)
    if (capped(j)) u_norm += upper[j] * upper[j];
  u_norm = std::sqrt(u_norm);

  VecX<double> rb(m), rc(N), ru(N), rxz(N), rsw(N), D(N), rhat(N), dx(N), dy(m), dz(N), ds(N), dw(N);
  VecX<double> dx_aff(N), dz_aff(N), ds_aff(N), dw_aff(N);
  MatX<double> M(m, m), AD(m, N);
  Eigen::LLT<MatX<double>> llt;
  MatX<double> MinvAF;
  Eigen::FullPivLU<MatX<double>> schur;

  BoundedLpResult res, best;
  double best_merit = std::numeric_limits<double>::infinity();
  int since_best = 0;
  // Solves the Newton system for the right-hand sides rxz, rsw (residuals rb, rc, ru fixed).
  auto solve = [&]() {
    for (Eigen::Index j = 0; j < N; ++j) {
      if (!bounded(j)) { D[j] = 0; rhat[j] = 0; continue; }
      double inv = z[j] / x[j];
      rhat[j] = rc[j] - rxz[j] / x[j];
      if (capped(j)) {
        inv += w[j] / s[j];
        rhat[j] += (rsw[j] - w[j] * ru[j]) / s[j];
      }
      D[j] = 1 / inv;
    }
    VecX<double> rhs = rb + AD * rhat;  // AD = A·diag(D)
    VecX<double> dxf;
    if (nf > 0) {
      VecX<double> rcf(nf);
      for (Eigen::Index k = 0; k < nf; ++k) rcf[k] = rc[F[static_cast<std::size_t>(k)]];
      const VecX<double> Minv_rhs = llt.solve(rhs);
      dxf = schur.solve(MinvAF.transpose() * rhs - rcf);
      MatX<double> AF(m, nf);
      for (Eigen::Index k = 0; k < nf; ++k) AF.col(k) = A.col(F[static_cast<std::size_t>(k)]);
      dy = llt.solve(rhs - AF * dxf);
    } else {
      dy = llt.solve(rhs);
    }
    dx.noalias() = A.transpose() * dy;
    for (Eigen::Index j = 0; j < N; ++j) {
      if (!bounded(j)) continue;
      dx[j] = D[j] * (dx[j] - rhat[j]);
      dz[j] = (rxz[j] - z[j] * dx[j]) / x[j];
      if (capped(j)) {
        ds[j] = ru[j] - dx[j];
        dw[j] = (rsw[j] - w[j] * ds[j]) / s[j];
      }
    }
    for (Eigen::Index k = 0; k < nf; ++k) dx[F[static_cast<std::size_t>(k)]] = dxf[k];
  };
  // Largest step in (0, 1] keeping v + t·dv ≥ 0 over the given columns.
  auto step_to_boundary = [&](const VecX<double>& v, const VecX<double>& dv, bool upper_part) {
    double t = 1;
    for (Eigen::Index j = 0; j < N; ++j) {
      if (!bounded(j) || (upper_part && !capped(j))) continue;
      if (dv[j] < 0) t = std::min(t, -v[j] / dv[j]);
    }
    return t;
  };

  for (int it = 0;; ++it) {
    rb = b - A * x;
    rc = c - A.transpose() * y - z + w;
    for (Eigen::Index k = 0; k < nf; ++k) rc[F[static_cast<std::size_t>(k)]] = c[F[static_cast<std::size_t>(k)]] - A.col(F[static_cast<std::size_t>(k)]).dot(y);
    double ru_norm = 0, mu = 0, uw = 0;
    for (Eigen::Index j = 0; j < N; ++j) {
      ru[j] = capped(j) ? upper[j] - x[j] - s[j] : 0;
      ru_norm += ru[j] * ru[j];
      if (bounded(j)) mu += x[j] * z[j];
      if (capped(j)) mu += s[j] * w[j], uw += upper[j] * w[j];
    }
    mu /= std::max(complementarity_pairs, 1.0);
    const double primal = c.dot(x), dual = b.dot(y) - uw;
    res.certificate = {.kind = Certificate::Kind::DualityGap,
                       .value = std::abs(primal - dual) / (1 + std::abs(primal)),
                       .tolerance = o.tolerance,
                       .primal = primal,
                       .dual = dual};
    res.primal_residual = std::max(rb.norm() / (1 + b_norm), std::sqrt(ru_norm) / (1 + u_norm));
    res.dual_residual = rc.norm() / (1 + c_norm);
    res.iterations = it;
    const bool converged = res.certificate.holds() && res.primal_residual <= o.tolerance && res.dual_residual <= o.tolerance;
    res.status = converged ? Status::DualityGap : Status::MaxIterations;
    const double merit = std::max({res.certificate.value, res.primal_residual, res.dual_residual});
    if (merit < best_merit) {
      best_merit = merit;
      best = res;
      best.x = x;
      best.y = y;
      since_best = 0;
    } else {
      ++since_best;
    }
    if (converged || it >= o.max_iterations || !std::isfinite(mu) || since_best >= o.stall) break;

    // Normal matrix A_B D A_Bᵀ, with a tiny diagonal shift against loss of definiteness.
    for (Eigen::Index j = 0; j < N; ++j) {
      double inv = bounded(j) ? z[j] / x[j] + (capped(j) ? w[j] / s[j] : 0.0) : std::numeric_limits<double>::infinity();
      D[j] = 1 / inv;
    }
    AD = A * D.asDiagonal();
    M.noalias() = AD.lazyProduct(A.transpose());  // coefficient-wise: the same bits for any thread count
    M.diagonal().array() += 1e-14 * (1 + M.diagonal().cwiseAbs().maxCoeff());
    llt.compute(M);
    if (llt.info() != Eigen::Success) break;
    if (nf > 0) {
      MatX<double> AF(m, nf);
      for (Eigen::Index k = 0; k < nf; ++k) AF.col(k) = A.col(F[static_cast<std::size_t>(k)]);
      MinvAF = llt.solve(AF);
      schur.compute(AF.transpose() * MinvAF);
    }
    // Predictor (affine scaling).
    for (Eigen::Index j = 0; j < N; ++j) {
      rxz[j] = bounded(j) ? -x[j] * z[j] : 0;
      rsw[j] = capped(j) ? -s[j] * w[j] : 0;
    }
    solve();
    const double ap_aff = std::min(step_to_boundary(x, dx, false), step_to_boundary(s, ds, true));
    const double ad_aff = std::min(step_to_boundary(z, dz, false), step_to_boundary(w, dw, true));
    double mu_aff = 0;
    for (Eigen::Index j = 0; j < N; ++j) {
      if (bounded(j)) mu_aff += (x[j] + ap_aff * dx[j]) * (z[j] + ad_aff * dz[j]);
      if (capped(j)) mu_aff += (s[j] + ap_aff * ds[j]) * (w[j] + ad_aff * dw[j]);
    }
    mu_aff /= std::max(complementarity_pairs, 1.0);
    const double sigma = std::pow(std::clamp(mu_aff / mu, 0.0, 1.0), 3);
    dx_aff = dx, dz_aff = dz, ds_aff = ds, dw_aff = dw;
    // Corrector with centring.
    for (Eigen::Index j = 0; j < N; ++j) {
      rxz[j] = bounded(j) ? sigma * mu - x[j] * z[j] - dx_aff[j] * dz_aff[j] : 0;
      rsw[j] = capped(j) ? sigma * mu - s[j] * w[j] - ds_aff[j] * dw_aff[j] : 0;
    }
    solve();
    const double ap = std::min(1.0, 0.99995 * std::min(step_to_boundary(x, dx, false), step_to_boundary(s, ds, true)));
    const double ad = std::min(1.0, 0.99995 * std::min(step_to_boundary(z, dz, false), step_to_boundary(w, dw, true)));
    for (Eigen::Index j = 0; j < N; ++j) {
      x[j] += ap * dx[j];
      if (capped(j)) s[j] += ap * ds[j], w[j] += ad * dw[j];
      if (bounded(j)) z[j] += ad * dz[j];
    }
    y += ad * dy;
  }
  if (res.converged() || best_merit == std::numeric_limits<double>::infinity()) {
    res.x = std::move(x);
    res.y = std::move(y);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  }
  best.iterations = res.iterations;
  best.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return best;
}

}  // namespace convlab::solvers
