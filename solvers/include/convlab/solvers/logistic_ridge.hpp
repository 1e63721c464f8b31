#pragma once
/// \file
/// L2-regularized logistic regression solved to a certified duality gap.
///
///     P(w) = (1/n)·Σ log(1 + exp(−yᵢxᵢᵀw)) + (λ/2)·‖w‖²,   labels ±1 or 0/1, no intercept
///
/// (scikit-learn's LogisticRegression(C = 1/(nλ)) and glmnet's binomial ridge, alpha = 0, scale).
/// With row weights sᵢ the loss is the weighted mean (1/Σs)·Σ sᵢ·log(…) (scikit-learn's
/// `sample_weight` with C = 1/(Σs·λ); integer weights fit repeated rows); below, 1/n becomes
/// rᵢ/n with rᵢ = sᵢ·n/Σs, and everything else stays as it is.
/// Three methods (RidgeMethod): Newton with a Cholesky solve in the smaller dimension, truncated
/// Newton-CG, and L-BFGS; `Auto` picks by shape. Stopping: the relative duality gap (P − D)/P
/// with the dual point αᵢ = σ(−yᵢxᵢᵀw), which is always feasible:
///     D(α) = (1/n)·Σ h(αᵢ) − (λ/2)·‖Xᵀ(y∘α)/(nλ)‖²,   h the binary entropy.
/// For this α, Fenchel–Young holds with equality row by row (log(1 + e^−m) = h(α) − α·m), so
/// P − D = ‖∇P(w)‖²/(2λ) exactly: the gap is evaluated from the gradient, without the entropy
/// sum's logarithms and without its cancellation near the optimum.
///
/// With `intercept` the margins are xᵢᵀw + b, b unpenalized (one more coordinate of each method;
/// NewtonCholesky's p > n form eliminates it by a Schur complement). The dual point must then
/// also satisfy Σ rᵢyᵢαᵢ = 0: the larger class's σ is scaled down by the ratio of the classes'
/// sums. Its gap is ‖∇_wP‖²/(2λ) plus b·∂_bP, the entropy change of the scaled rows, and a bound on
/// the change of the quadratic term through ‖Xᵀv‖ ≤ ‖X‖_F·‖v‖, all of which vanish at the
/// optimum, where Σ rᵢyᵢσᵢ = 0.
///
///     auto r = solvers::logistic_ridge(X, labels, lambda);   // X dense or sparse

#include <Eigen/Cholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

#include <convlab/core/errors.hpp>
#include <convlab/solvers/detail/logistic_classes.hpp>
#include <convlab/solvers/detail/row_weights.hpp>
#include <convlab/solvers/report.hpp>
#include <convlab/problems/concepts.hpp>

namespace convlab::solvers {

/// How the problem is solved.
/// - NewtonCholesky: Newton's method, each system by a Cholesky factor of the p × p Hessian, or
///   for p > n through the Woodbury identity with the n × n matrix λI + H^½(XXᵀ)H^½ (the Gram
///   XXᵀ formed once: O(n²p) once and O(n³) per step, not O(p³)).
/// - NewtonCG: truncated Newton, Jacobi-preconditioned CG on Hessian-vector products
///   λv + Xᵀ(h∘Xv) (two passes over X each), stopped at ‖r‖ ≤ min(½, √‖g‖)·‖g‖, or sooner once
///   ‖r‖ is a third of the gradient norm at which the gap target holds.
/// - Lbfgs: limited-memory BFGS with Armijo backtracking: two passes over X per iteration (X·d
///   and the gradient), and no Hessian.
/// - Auto: NewtonCholesky when min(n, p) ≤ 16, NewtonCG when p ≤ 64, else Lbfgs. From w = 0
///   Newton gains only a constant factor per step while ‖w‖ grows (9 steps, ≈ 94 passes over X
///   on 500 × 2000), where L-BFGS needs ≈ 50 passes; with few, correlated features (breast
///   cancer, 569 × 30) L-BFGS needs more iterations and Newton-CG is faster. Measurements:
///   docs/solvers.md and bench/README.md.
enum class RidgeMethod { Auto, NewtonCholesky, NewtonCG, Lbfgs };

struct LogisticRidgeOptions {
  bool intercept = false;           ///< fit an unpenalized intercept b: margins xᵢᵀw + b
  double tolerance = 1e-8;          ///< relative duality gap at which to stop, > 0
  long long max_iterations = 1000;  ///< Newton steps or L-BFGS iterations, >= 1
  RidgeMethod method = RidgeMethod::Auto;
  int lbfgs_memory = 10;            ///< (step, gradient change) pairs L-BFGS keeps, >= 1
  /// Lbfgs on dense X iterates with a float copy of X when the copy (n·p·4 bytes) is at most
  /// this size, and certifies in double; 0 never copies. Bounded because a large fresh buffer
  /// costs page faults that can exceed what the halved passes save (docs/solvers.md).
  long long single_precision_max_bytes = 16LL << 20;
  void validate() const {
    detail::require(tolerance > 0, "LogisticRidgeOptions::tolerance", tolerance, "> 0");
    detail::require(max_iterations >= 1, "LogisticRidgeOptions::max_iterations", max_iterations, ">= 1");
    detail::require(lbfgs_memory >= 1, "LogisticRidgeOptions::lbfgs_memory", lbfgs_memory, ">= 1");
    detail::require(single_precision_max_bytes >= 0, "LogisticRidgeOptions::single_precision_max_bytes", single_precision_max_bytes, ">= 0");
  }
};

/// The Report (certificate: P(w), D(α) and (P − D)/P; iterations: Newton steps or L-BFGS
/// iterations) and the model.
struct LogisticRidgeResult : Report {
  VecX<double> w;
  double intercept = 0;                    ///< b (LogisticRidgeOptions::intercept; else 0)
  RidgeMethod method = RidgeMethod::Auto;  ///< the method used (Auto resolved)
  long long cg_iterations = 0;             ///< in total (NewtonCG only)
  bool woodbury = false;                   ///< NewtonCholesky used the n × n (p > n) form
  bool single_precision = false;           ///< Lbfgs iterated with a float copy of X (see options)
};

namespace detail {
/// log(1 + e^−m), and σ(−m) into `sigma`, from one exponential.
inline double logistic_loss_and_weight(double m, double& sigma) {
  const double e = std::exp(-std::abs(m));
  sigma = m >= 0 ? e / (1 + e) : 1 / (1 + e);
  return (m < 0 ? -m : 0.0) + std::log1p(e);
}

/// out = A·v. For a dense (column-major) A of more than 8 MiB compiled without AVX, one column
/// at a time: with SSE2 only, Eigen's column-major matrix-vector kernel measured 1.4–2.3× slower
/// than this axpy loop on every shape from 1000 × 2000 to 10⁵ × 100 (docs/solvers.md), while on
/// smaller, cache-resident matrices (500 × 2000, 569 × 30) Eigen's was 5–20% faster. With AVX
/// Eigen's is as fast or faster everywhere; sparse A keeps Eigen's product.
template <class Matrix, class In, class Out>
void matrix_times(const Matrix& A, const In& v, Out& out) {
  if constexpr (!std::is_base_of_v<Eigen::SparseMatrixBase<Matrix>, Matrix>) {
#if !defined(__AVX__)
    if (static_cast<double>(A.size()) * sizeof(typename Matrix::Scalar) > double(8 << 20)) {
      out.setZero();
      for (Eigen::Index j = 0; j < A.cols(); ++j) out.noalias() += v[j] * A.col(j);
      return;
    }
#endif
  }
  out.noalias() = A * v;
}
}  // namespace detail

/// Minimizes P(w) above from w0 (zero if empty; with an intercept it may end with b).
/// `sample_weights`: empty (every row weighs 1) or one finite weight >= 0 per row, not all 0.
/// Throws InvalidArgument on λ ≤ 0, labels other than 0/1 or ±1, bad weights, mismatched sizes,
/// or non-finite entries of X.
template <class Design>
LogisticRidgeResult logistic_ridge(const Design& X, const VecX<double>& labels, double lambda,
                                   const LogisticRidgeOptions& o = {}, const VecX<double>& w0 = {},
                                   const VecX<double>& sample_weights = {}) {
  constexpr bool sparse = std::is_base_of_v<Eigen::SparseMatrixBase<Design>, Design>;
  o.validate();
  const auto start = std::chrono::steady_clock::now();
  detail::require(lambda > 0 && std::isfinite(lambda), "logistic_ridge: lambda", lambda, "0 < lambda < inf");
  detail::require_size(labels.size(), X.rows(), "logistic_ridge: labels (one per row of X)");
  const Eigen::Index n = X.rows(), p = X.cols();
  if (w0.size() != 0 && !(o.intercept && w0.size() == p + 1))
    detail::require_size(w0.size(), p, o.intercept ? "logistic_ridge: w0 (one per column of X, or that and the intercept)" : "logistic_ridge: w0 (one per column of X)");
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
  const VecX<double> row_weight = detail::normalized_row_weights(sample_weights, n, "logistic_ridge");  // exactly 1 each without weights

  // With an intercept the iterate is θ = (w, b), nx = p + 1 coordinates, b unpenalized; b starts
  // at w0's last entry, or at the log-odds of the weighted labels (the best b at w = 0).
  const Eigen::Index nx = p + (o.intercept ? 1 : 0);
  VecX<double> x = VecX<double>::Zero(nx);
  if (w0.size() != 0) x.head(p) = w0.head(p);
  if (o.intercept) {
    const double b0 = detail::log_odds_intercept(y, row_weight, "logistic_ridge");  // checks both classes weigh
    x[p] = w0.size() == nx ? w0[p] : b0;
  }
  // out = X·v.head(p) (+ v[p]): the margins of θ, or their change along a direction.
  auto margins = [&](const VecX<double>& v, VecX<double>& out) {
    detail::matrix_times(X, v.head(p), out);
    if (o.intercept) out.array() += v[p];
  };
  const double x_frobenius = o.intercept ? X.norm() : 0.0;  // bounds ‖Xᵀv‖ ≤ ‖X‖_F·‖v‖ (the intercept's gap)

  LogisticRidgeResult res;
  res.method = o.method != RidgeMethod::Auto ? o.method
               : std::min(n, p) <= 16       ? RidgeMethod::NewtonCholesky
               : p <= 64                    ? RidgeMethod::NewtonCG
                                            : RidgeMethod::Lbfgs;
  const bool cg = res.method == RidgeMethod::NewtonCG;
  res.woodbury = res.method == RidgeMethod::NewtonCholesky && p > n;
  VecX<double> z = X * x.head(p), s(n), ys(n), g(nx), d(nx), u(n), zt(n), st(n), xt(nx);
  if (o.intercept) z.array() += x[p];
  // P at margins zv of θ = xv, with sv = σ(−y∘zv) (the dual point): one exponential per row.
  auto evaluate = [&](const VecX<double>& zv, const VecX<double>& xv, VecX<double>& sv) {
    double f = 0;
    for (Eigen::Index i = 0; i < n; ++i) f += row_weight[i] * detail::logistic_loss_and_weight(y[i] * zv[i], sv[i]);
    return f / nd + 0.5 * lambda * xv.head(p).squaredNorm();
  };
  // With an intercept, the dual point must satisfy Σ rᵢyᵢαᵢ = 0: α = σ with the larger class's σ
  // scaled by ρ, the ratio of the classes' sums (file doc). D(α) = D_b(α) for every b, and
  // P − D_b(σ) = ‖g_w‖²/(2λ) by Fenchel–Young; this returns the rest of the gap beyond
  // ‖g_w‖²/(2λ) at θ = x, s = σ(−y∘z), g = ∇P(θ): b·g_b + (1/n)Σ rᵢ[h(σᵢ) − h(αᵢ)] + the bound
  // (2‖m‖e + e²)/(2λ) on the change of ‖Xᵀ(r∘y∘α)/n‖², m = λw − g_w = Xᵀ(r∘y∘σ)/n, e ≥ ‖m − that‖.
  auto intercept_gap = [&] {
    const auto [pos, neg] = detail::class_sums(y, row_weight.cwiseProduct(s));
    const double big_sign = pos > neg ? 1.0 : -1.0, big = std::max(pos, neg);
    const double rho = big > 0 ? std::min(pos, neg) / big : 1.0;
    double entropy = 0, big_sq = 0;
    for (Eigen::Index i = 0; i < n; ++i)
      if (y[i] == big_sign) {
        entropy += row_weight[i] * (detail::binary_entropy(s[i]) - detail::binary_entropy(rho * s[i]));
        big_sq += row_weight[i] * s[i] * row_weight[i] * s[i];
      }
    const double m = (lambda * x.head(p) - g.head(p)).norm(), e = (1 - rho) * x_frobenius * std::sqrt(big_sq) / nd;
    return x[p] * g[p] + entropy / nd + (2 * m * e + e * e) / (2 * lambda);
  };
  auto certify = [&](double primal) {  // the gap at (θ, g = ∇P(θ)): P − D = ‖g_w‖²/(2λ) (+ the intercept's part)
    double dual = primal - g.head(p).squaredNorm() / (2 * lambda);
    if (o.intercept) dual -= intercept_gap();
    res.certificate = duality_gap(primal, dual, o.tolerance);
    return res.certificate.holds();
  };
  // Armijo backtracking from t = 1 along d (u = margins(d), slope = gᵀd < 0): moves (θ, z, s) to
  // the accepted point and returns its P and t. Near the optimum the full step is taken.
  auto step_along_d = [&](double primal, double slope) {
    const double resolution = 64 * std::numeric_limits<double>::epsilon() * (1 + std::abs(primal));
    double t = 1, value = primal;
    for (int trial = 0; trial < 60; ++trial, t /= 2) {
      zt = z + t * u;
      xt = x + t * d;
      value = evaluate(zt, xt, st);
      if (value <= primal + 1e-4 * t * slope || -t * slope <= resolution) break;
    }
    x.swap(xt);
    z.swap(zt);
    s.swap(st);
    return std::pair{value, t};
  };
  double primal = evaluate(z, x, s);

  if (res.method == RidgeMethod::Lbfgs) {
    // The last m steps S and gradient changes Yd, in a ring of columns (newest at `newest`).
    const Eigen::Index m = o.lbfgs_memory;
    MatX<double> S(nx, m), Yd(nx, m);
    VecX<double> rho(m), alpha(m), g_next(nx);
    Eigen::Index stored = 0, newest = 0;
    // Single-precision passes (dense X): the products X·d and Xᵀ(y∘s) use a float copy of X, half
    // the bytes and twice the SIMD width; everything else stays double. Their rounding (≈ 1e-7
    // relative) only perturbs the search directions: the certificate is computed in double
    // after `resync`, which recomputes z = X·w and the gradient from X itself.
    MatX<float> Xf;
    VecX<float> vf_n(0), vf_p(0);
    bool single = false;  // iterating in single precision now
    if constexpr (!sparse) {
      // (and every |xᵢⱼ| representable in float with room to spare)
      single = res.single_precision = static_cast<double>(n) * static_cast<double>(p) * sizeof(float) <= static_cast<double>(o.single_precision_max_bytes) &&
                                      (X.size() == 0 || X.cwiseAbs().maxCoeff() < 1e30);
      if (single) {
        Xf = X.template cast<float>();
        vf_n.resize(n);
        vf_p.resize(p);
      }
    }
    auto gradient_into = [&](VecX<double>& out) {  // ∇P at the current (θ, s)
      ys = row_weight.cwiseProduct(y).cwiseProduct(s) / nd;
      if (single) {
        vf_n = ys.template cast<float>();
        vf_p.noalias() = Xf.transpose() * vf_n;
        out.head(p) = lambda * x.head(p) - vf_p.template cast<double>();
      } else {
        out.head(p).noalias() = X.transpose() * ys;
        out.head(p) = lambda * x.head(p) - out.head(p);
      }
      if (o.intercept) out[p] = -ys.sum();
    };
    auto resync = [&] {  // leave single precision: z, P and g recomputed from X in double
      single = false;
      margins(x, z);
      primal = evaluate(z, x, s);
      gradient_into(g);
    };
    // Single precision stops when its gap estimate reaches the tolerance (or 1e-11, above its
    // rounding floor), makes no progress for 10 iterations, or finds no descent direction.
    const double single_until = std::max(o.tolerance, 1e-11);
    double best_gap = std::numeric_limits<double>::infinity();
    long long best_at = 0;
    bool leave_single = false;
    gradient_into(g);
    for (long long k = 0;; ++k) {
      res.iterations = k;
      bool stop = certify(primal) || k >= o.max_iterations;
      if (res.certificate.value < best_gap) best_gap = res.certificate.value, best_at = k;
      if (single && (stop || leave_single || res.certificate.value <= single_until || k - best_at > 10)) {
        resync();
        stop = certify(primal) || k >= o.max_iterations;
      }
      if (stop) break;
      d = -g;  // two-loop recursion: d = −H·g, H the L-BFGS inverse-Hessian estimate
      for (Eigen::Index j = 0; j < stored; ++j) {
        const Eigen::Index c = (newest - j + m) % m;
        alpha[c] = rho[c] * S.col(c).dot(d);
        d -= alpha[c] * Yd.col(c);
      }
      // H₀ = (sᵀy/yᵀy)·I; before any pair the first step has length one.
      d *= stored > 0 ? 1 / (rho[newest] * Yd.col(newest).squaredNorm()) : 1 / g.norm();
      for (Eigen::Index j = stored - 1; j >= 0; --j) {
        const Eigen::Index c = (newest - j + m) % m;
        d += (alpha[c] - rho[c] * Yd.col(c).dot(d)) * S.col(c);
      }
      const double slope = g.dot(d);
      if (!d.allFinite() || !(slope < 0)) {  // no descent left at this precision
        if (!single) break;  // the gap above is final
        leave_single = true;  // go on in double from the top of the loop
        continue;
      }
      if (single) {
        vf_p = d.head(p).template cast<float>();
        detail::matrix_times(Xf, vf_p, vf_n);
        u = vf_n.template cast<double>();
        if (o.intercept) u.array() += d[p];
        if (!u.allFinite()) {  // beyond float's range: go on in double
          leave_single = true;
          continue;
        }
      } else {
        margins(d, u);
      }
      const auto [value, t] = step_along_d(primal, slope);
      primal = value;
      gradient_into(g_next);
      // sᵀy > 0 for this strictly convex P (≥ λ‖s‖² without an intercept); a pair rounding made
      // non-positive is skipped.
      const double sy = t * d.dot(g_next - g);
      if (sy > 0) {
        newest = stored > 0 ? (newest + 1) % m : 0;
        S.col(newest) = t * d;
        Yd.col(newest) = g_next - g;
        rho[newest] = 1 / sy;
        stored = std::min(stored + 1, m);
      }
      g.swap(g_next);
    }
  } else {
    VecX<double> hh(n), root_h(n);
    MatX<double> gram;  // XXᵀ (Woodbury only), formed once
    if (res.woodbury) {
      if constexpr (sparse) gram = MatX<double>(X * X.transpose());
      else gram = X.lazyProduct(X.transpose());  // coefficient-wise: bits independent of threads
    }
    const Eigen::Index dim = cg ? 0 : res.woodbury ? n : nx;
    MatX<double> system(dim, dim);
    MatX<double> scaled(!cg && !res.woodbury && !sparse ? n : 0, !cg && !res.woodbury && !sparse ? p : 0);
    VecX<double> diag(cg ? nx : 0), r(cg ? nx : 0), zc(cg ? nx : 0), q(cg ? nx : 0), Hq(cg ? nx : 0), Xq(cg ? n : 0);
    Eigen::LLT<MatX<double>> llt;
    for (long long k = 0;; ++k) {
      ys = row_weight.cwiseProduct(y).cwiseProduct(s) / nd;
      hh = row_weight.cwiseProduct(s).cwiseProduct((1 - s.array()).matrix()) / nd;
      if (cg && !sparse) {
        // One pass over X for the gradient and CG's Jacobi preconditioner diag(λI + XᵀHX).
        for (Eigen::Index j = 0; j < p; ++j) {
          const auto col = X.col(j);
          g[j] = lambda * x[j] - col.dot(ys);
          diag[j] = lambda + col.cwiseAbs2().dot(hh);
        }
      } else {
        g.head(p) = lambda * x.head(p) - X.transpose() * ys;
        if (cg)
          for (Eigen::Index j = 0; j < p; ++j) diag[j] = lambda + X.col(j).cwiseAbs2().dot(hh);
      }
      if (o.intercept) {
        g[p] = -ys.sum();
        if (cg) diag[p] = hh.sum();
      }
      res.iterations = k;
      if (certify(primal) || k >= o.max_iterations) break;
      if (cg) {  // Jacobi-preconditioned CG on ∇²P·d = −g from d = 0
        auto hessian_times = [&](const VecX<double>& v) {  // Hq = λv_w + Xᵀ(h∘margins(v)), and hᵀmargins(v) for b
          margins(v, Xq);
          Hq.head(p).noalias() = X.transpose() * hh.cwiseProduct(Xq);
          Hq.head(p) += lambda * v.head(p);
          if (o.intercept) Hq[p] = hh.dot(Xq);
        };
        // The step leaves a gradient ≈ r, and the gap holds once ‖g‖ ≤ √(2λ·P·tolerance): a
        // residual a third of that is enough. Not with an intercept, whose part of the gap is
        // first order in ∂_bP: there only the forcing term min(½, √‖g‖)·‖g‖ stops CG.
        const double target = o.intercept ? 0.0 : std::sqrt(2 * lambda * primal * o.tolerance) / 3;
        const double stop = std::max(std::min(0.5, std::sqrt(g.norm())) * g.norm(), target);
        d.setZero();
        u.setZero();  // margins(d), accumulated from the products: the line search needs no extra pass
        r = -g;
        zc = r.cwiseQuotient(diag);
        q = zc;
        double rz = r.dot(zc);
        for (Eigen::Index it = 0; it < 10 * nx && r.norm() > stop; ++it, ++res.cg_iterations) {
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
      } else {
        root_h = hh.cwiseSqrt();
        if (res.woodbury) {  // K⁻¹ = (λI + BᵀB)⁻¹ = (I − Bᵀ(λI + BBᵀ)⁻¹B)/λ, B = H^½X
          system = root_h.asDiagonal() * gram * root_h.asDiagonal();
          system.diagonal().array() += lambda;
          llt.compute(system);
          auto k_inverse = [&](const VecX<double>& v) -> VecX<double> {
            const VecX<double> Bv = root_h.cwiseProduct(X * v);
            return (v - X.transpose() * root_h.cwiseProduct(llt.solve(Bv))) / lambda;
          };
          if (!o.intercept) {
            d = -k_inverse(g);
          } else {  // the Schur complement of K in [K c; cᵀ Σh], c = Xᵀh
            const VecX<double> c = X.transpose() * hh, Kg = k_inverse(g.head(p)), Kc = k_inverse(c);
            d[p] = (c.dot(Kg) - g[p]) / (hh.sum() - c.dot(Kc));
            d.head(p) = -Kg - d[p] * Kc;
          }
        } else {  // the Hessian [λI + XᵀHX, Xᵀh; hᵀX, Σh] (the last row and column with an intercept)
          if constexpr (sparse) {
            system.topLeftCorner(p, p) = MatX<double>(X.transpose() * (hh.asDiagonal() * X));
          } else {
            scaled.noalias() = root_h.asDiagonal() * X;  // preallocated: a fresh n × p buffer per step costs an mmap
            system.topLeftCorner(p, p).noalias() = scaled.transpose().lazyProduct(scaled);  // thread-count independent
          }
          system.diagonal().head(p).array() += lambda;
          if (o.intercept) {
            system.col(p).head(p) = X.transpose() * hh;
            system.row(p).head(p) = system.col(p).head(p).transpose();
            system(p, p) = hh.sum();
          }
          llt.compute(system);
          d = -llt.solve(g);
        }
        if (llt.info() != Eigen::Success) break;  // cannot happen for λ > 0 short of overflow
        u.noalias() = X * d.head(p);
        if (o.intercept) u.array() += d[p];
      }
      const double slope = g.dot(d);
      if (!d.allFinite() || !(slope < 0)) break;  // no descent left at this precision: the gap above is final
      primal = step_along_d(primal, slope).first;
    }
  }
  res.w = x.head(p);
  if (o.intercept) res.intercept = x[p];
  res.status = certified_status(res.certificate);
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace convlab::solvers
