#pragma once
/// \file
/// L2-regularized logistic regression solved to a certified duality gap by Newton's method with
/// an exact solve in the smaller of the two dimensions.
///
///     P(w) = (1/n)·Σ log(1 + exp(−yᵢxᵢᵀw)) + (λ/2)·‖w‖²,   labels ±1 or 0/1, no intercept
///
/// (scikit-learn's LogisticRegression(C = 1/(nλ)) and glmnet's binomial ridge, alpha = 0, scale).
/// The Newton system (XᵀHX + λI) d = −g, H = diag(σ(1−σ))/n, is solved by a Cholesky factor of
/// the p × p matrix when p ≤ n, and otherwise through the Woodbury identity with the n × n matrix
/// λI + H^½(XXᵀ)H^½, where the Gram XXᵀ is formed once: a wide problem costs O(n²p) once and
/// O(n³) per step, not O(p³). Stopping: the relative duality gap (P − D)/P with the dual point
/// αᵢ = σ(−yᵢxᵢᵀw), which is always feasible:
///     D(α) = (1/n)·Σ h(αᵢ) − (λ/2)·‖Xᵀ(y∘α)/(nλ)‖²,   h the binary entropy.
///
///     auto r = optim::logistic_ridge(X, labels, lambda);   // X dense or sparse

#include <Eigen/Cholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/detail/numerics.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::optim {

/// How each Newton system is solved. Direct: Cholesky in min(n, p) dimensions (p > n through
/// Woodbury with the Gram XXᵀ formed once). ConjugateGradient: truncated Newton, Jacobi-
/// preconditioned CG on Hessian-vector products λv + Xᵀ(h∘Xv) (two passes over X each), stopped
/// at ‖r‖ ≤ min(½, √‖g‖)·‖g‖ (superlinear). Auto: Direct when min(n, p) ≤ 16, else CG — measured
/// on breast cancer (569 × 30): CG 0.48 ms, Direct 1.0 ms; on 500 × 2000: CG 12 ms, Direct 60 ms.
/// Direct remains the choice for ill-conditioned Hessians, where CG needs many iterations.
enum class RidgeNewtonSolve { Auto, Direct, ConjugateGradient };

struct LogisticRidgeOptions {
  double tolerance = 1e-8;      ///< relative duality gap at which to stop, > 0
  long long max_newton = 100;   ///< Newton steps, >= 1
  RidgeNewtonSolve solve = RidgeNewtonSolve::Auto;
  void validate() const {
    detail::require(tolerance > 0, "LogisticRidgeOptions::tolerance", tolerance, "> 0");
    detail::require(max_newton >= 1, "LogisticRidgeOptions::max_newton", max_newton, ">= 1");
  }
};

struct LogisticRidgeResult {
  VecX<double> w;
  double primal = 0, dual = 0;  ///< P(w) and D(α)
  double relative_gap = 0;      ///< (P − D)/P
  bool converged = false;       ///< relative_gap <= tolerance
  long long newton_steps = 0;
  long long cg_iterations = 0;  ///< in total (ConjugateGradient only)
  bool woodbury = false;        ///< the direct n × n (p > n) form was used
  double seconds = 0;
};

/// Minimizes P(w) above from w0 (zero if empty). Throws InvalidArgument on λ ≤ 0, labels other
/// than 0/1 or ±1, mismatched sizes, or non-finite entries of X.
template <class Design>
LogisticRidgeResult logistic_ridge(const Design& X, const VecX<double>& labels, double lambda,
                                   const LogisticRidgeOptions& o = {}, const VecX<double>& w0 = {}) {
  constexpr bool sparse = std::is_base_of_v<Eigen::SparseMatrixBase<Design>, Design>;
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  detail::require(lambda > 0 && std::isfinite(lambda), "logistic_ridge: lambda", lambda, "0 < lambda < inf");
  detail::require_size(labels.size(), X.rows(), "logistic_ridge: labels (one per row of X)");
  const Eigen::Index n = X.rows(), p = X.cols();
  if (w0.size() != 0) detail::require_size(w0.size(), p, "logistic_ridge: w0 (one per column of X)");
  if constexpr (sparse) {
    for (Eigen::Index k = 0; k < X.outerSize(); ++k)
      for (typename Design::InnerIterator it(X, k); it; ++it)
        if (!std::isfinite(it.value()))
          throw InvalidArgument("logistic_ridge: X(" + std::to_string(it.row()) + ", " + std::to_string(it.col()) + ") is not finite");
  } else if (!X.allFinite()) {
    throw InvalidArgument("logistic_ridge: X has a non-finite entry");
  }
  const double nd = static_cast<double>(n);
  VecX<double> y(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    if (labels[i] == 1) y[i] = 1;
    else if (labels[i] == 0 || labels[i] == -1) y[i] = -1;
    else throw InvalidArgument("logistic_ridge: labels must be 0/1 or -1/+1; row " + std::to_string(i) + " has " + std::to_string(labels[i]));
  }
  using problems::detail::sigmoid;  // the objectives' stable kernels
  using problems::detail::softplus;
  auto entropy = [](double a) { return -(a > 0 ? a * std::log(a) : 0.0) - (a < 1 ? (1 - a) * std::log1p(-a) : 0.0); };
  auto objective = [&](const VecX<double>& z, const VecX<double>& w) {
    double f = 0;
    for (Eigen::Index i = 0; i < n; ++i) f += softplus(-y[i] * z[i]);
    return f / nd + 0.5 * lambda * w.squaredNorm();
  };

  LogisticRidgeResult res;
  const bool cg = o.solve == RidgeNewtonSolve::ConjugateGradient || (o.solve == RidgeNewtonSolve::Auto && std::min(n, p) > 16);
  res.woodbury = !cg && p > n;
  res.w = w0.size() == p ? w0 : VecX<double>::Zero(p);
  MatX<double> gram;  // XXᵀ (wide problems only), formed once
  if (res.woodbury) {
    if constexpr (sparse) gram = MatX<double>(X * X.transpose());
    else {
      // lazyProduct: coefficient-wise, so the bits do not depend on Eigen's thread count.
      gram = X.lazyProduct(X.transpose());
    }
  }
  VecX<double> z = X * res.w, s(n), root_h(n), hh(n), ys(n), g(p), d(p), u(n), zt(n), wt(p);
  MatX<double> system(cg ? 0 : res.woodbury ? n : p, cg ? 0 : res.woodbury ? n : p);
  VecX<double> diag(cg ? p : 0), r(cg ? p : 0), zc(cg ? p : 0), q(cg ? p : 0), Hq(cg ? p : 0), Xq(cg ? n : 0);
  MatX<double> scaled(!cg && !res.woodbury && !sparse ? n : 0, !cg && !res.woodbury && !sparse ? p : 0);
  Eigen::LLT<MatX<double>> llt;
  for (long long k = 0;; ++k) {
    double dual = 0;
    for (Eigen::Index i = 0; i < n; ++i) {
      s[i] = sigmoid(-y[i] * z[i]);
      root_h[i] = std::sqrt(s[i] * (1 - s[i]) / nd);
      dual += entropy(s[i]);
    }
    ys = y.cwiseProduct(s) / nd;
    hh = root_h.cwiseAbs2();
    if (cg && !sparse) {
      // One pass over X for the gradient and CG's Jacobi preconditioner diag(λI + XᵀHX).
      for (Eigen::Index j = 0; j < p; ++j) {
        const auto col = X.col(j);
        g[j] = lambda * res.w[j] - col.dot(ys);
        diag[j] = lambda + col.cwiseAbs2().dot(hh);
      }
    } else {
      g = lambda * res.w - X.transpose() * ys;
      if (cg)
        for (Eigen::Index j = 0; j < p; ++j) diag[j] = lambda + X.col(j).cwiseAbs2().dot(hh);
    }
    // w(α) = Xᵀ(y∘α)/(nλ) = w − g/λ.
    res.primal = objective(z, res.w);
    res.dual = dual / nd - 0.5 * lambda * (res.w - g / lambda).squaredNorm();
    res.relative_gap = (res.primal - res.dual) / std::max(res.primal, std::numeric_limits<double>::min());
    res.newton_steps = k;
    if (res.relative_gap <= o.tolerance || k >= o.max_newton) break;
    if (cg) {  // Jacobi-preconditioned CG on (λI + XᵀHX) d = −g from d = 0
      auto hessian_times = [&](const VecX<double>& v) {  // Hq = λv + Xᵀ(h∘Xv)
        Xq.noalias() = X * v;
        Hq.noalias() = X.transpose() * hh.cwiseProduct(Xq);
        Hq += lambda * v;
      };
      const double stop = std::min(0.5, std::sqrt(g.norm())) * g.norm();
      d.setZero();
      u.setZero();  // X·d, accumulated from the X·q products: the line search needs no extra pass
      r = -g;
      zc = r.cwiseQuotient(diag);
      q = zc;
      double rz = r.dot(zc);
      for (Eigen::Index it = 0; it < 10 * p && r.norm() > stop; ++it, ++res.cg_iterations) {
        hessian_times(q);
        const double step = rz / q.dot(Hq);
        d += step * q;
        u += step * Xq;
        r -= step * Hq;
        zc = r.cwiseQuotient(diag);
        const double rz_next = r.dot(zc);
        q = zc + (rz_next / rz) * q;
        rz = rz_next;
      }
    } else if (res.woodbury) {  // (λI + BᵀB)⁻¹ = (I − Bᵀ(λI + BBᵀ)⁻¹B)/λ, B = H^½X
      system = root_h.asDiagonal() * gram * root_h.asDiagonal();
      system.diagonal().array() += lambda;
      llt.compute(system);
      const VecX<double> Bg = root_h.cwiseProduct(X * g);
      d = -(g - X.transpose() * root_h.cwiseProduct(llt.solve(Bg))) / lambda;
    } else {
      if constexpr (sparse) {
        system = MatX<double>(X.transpose() * (root_h.cwiseAbs2().asDiagonal() * X));
      } else {
        scaled.noalias() = root_h.asDiagonal() * X;  // preallocated: a fresh n × p buffer per step costs an mmap
        system.noalias() = scaled.transpose().lazyProduct(scaled);  // thread-count independent
      }
      system.diagonal().array() += lambda;
      llt.compute(system);
      d = -llt.solve(g);
    }
    if ((!cg && llt.info() != Eigen::Success) || !d.allFinite()) break;  // cannot happen for λ > 0 short of overflow
    // Armijo backtracking; near the optimum the full step is taken (quadratic convergence).
    if (!cg) u = X * d;
    const double slope = g.dot(d);
    if (!(slope < 0)) break;  // no descent left at this precision: the gap above is final
    const double resolution = 64 * std::numeric_limits<double>::epsilon() * (1 + std::abs(res.primal));
    double t = 1;
    for (int ls = 0; ls < 60; ++ls, t /= 2) {
      zt = z + t * u;
      wt = res.w + t * d;
      if (objective(zt, wt) <= res.primal + 1e-4 * t * slope || -t * slope <= resolution) break;
    }
    res.w = wt;
    z = zt;
  }
  res.converged = res.relative_gap <= o.tolerance;
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace convlab::optim
