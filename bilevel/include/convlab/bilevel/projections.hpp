#pragma once
/// \file
/// Projections used by bilevel solvers: onto an affine set {v : A v = b} through a pseudo-inverse
/// computed once (complete orthogonal decomposition, so rank-deficient A — e.g. the LLSC toy's B
/// of rank 45 < 90 rows — is fine), onto a polyhedron {v : G v ≤ h} (the SVM experiments' C), and
/// onto a box.

#include <Eigen/QR>
#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <string>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::bilevel {

/// Proj(w) = w − A⁺(A w − b): the Euclidean projection onto {v : A v = b} when that set is
/// non-empty (b in the range of A); otherwise the projection onto the least-squares solutions.
class AffineProjector {
 public:
  AffineProjector(MatX<double> A, VecX<double> b) : A_(std::move(A)), b_(std::move(b)) {
    detail::require_size(b_.size(), A_.rows(), "AffineProjector: b (one per row of A)");
    if (!A_.allFinite() || !b_.allFinite()) throw InvalidArgument("AffineProjector: A and b must be finite");
    pinv_ = A_.completeOrthogonalDecomposition().pseudoInverse();
  }
  void operator()(Out<double> w) const {
    detail::require_size(w.size(), A_.cols(), "AffineProjector: vector (one entry per column of A)");
    const VecX<double> r = A_ * w - b_;
    w -= pinv_ * r;
  }
  /// ‖A w − b‖∞.
  double residual(In<double> w) const { return (A_ * w - b_).cwiseAbs().maxCoeff(); }

 private:
  MatX<double> A_, pinv_;
  VecX<double> b_;
};

/// Projection onto a polyhedron {v : G v ≤ h} (G sparse, row-major), exactly, by Hildreth's
/// method on the dual: min_{μ ≥ 0} ½‖Gᵀμ‖² − μᵀ(Gw − h), v = w − Gᵀμ, one constraint at a time
/// with its exact minimizer μᵢ ← max(0, μᵢ + (Gᵢv − hᵢ)/‖Gᵢ‖²) (cost: the row's non-zeros). Stops
/// when the KKT residual — max violation max(0, Gv − h), complementarity |μᵢ(hᵢ − Gᵢv)| scaled —
/// is below `tolerance`; that residual certifies the projection (convex QP). No QP library:
/// none well kept is both in Debian 12 and header-light, and this problem is this simple.
class PolyhedralProjector {
 public:
  using SparseRows = Eigen::SparseMatrix<double, Eigen::RowMajor>;
  struct Result {
    double kkt_residual = 0;
    long long sweeps = 0;
    bool converged = false;
  };
  PolyhedralProjector(SparseRows G, VecX<double> h, double tolerance = 1e-10, long long max_sweeps = 100000)
      : G_(std::move(G)), h_(std::move(h)), tol_(tolerance), max_sweeps_(max_sweeps) {
    detail::require_size(h_.size(), G_.rows(), "PolyhedralProjector: h (one per row of G)");
    detail::require(tolerance > 0, "PolyhedralProjector: tolerance", tolerance, "> 0");
    G_.makeCompressed();
    row_sq_.resize(G_.rows());
    for (Eigen::Index i = 0; i < G_.rows(); ++i) {
      row_sq_[i] = G_.row(i).squaredNorm();
      if (!(row_sq_[i] > 0)) throw InvalidArgument("PolyhedralProjector: row " + std::to_string(i) + " of G is zero");
    }
  }
  /// Projects w in place; `mu` (size rows(G)) holds the multipliers and may warm-start.
  Result operator()(Out<double> w, VecX<double>& mu) const {
    detail::require_size(w.size(), G_.cols(), "PolyhedralProjector: vector (one entry per column of G)");
    if (mu.size() != G_.rows()) mu = VecX<double>::Zero(G_.rows());
    VecX<double> v = w;
    // v = w − Gᵀμ for a warm start.
    for (Eigen::Index i = 0; i < G_.rows(); ++i)
      if (mu[i] != 0)
        for (SparseRows::InnerIterator it(G_, i); it; ++it) v[it.col()] -= mu[i] * it.value();
    Result r;
    const double scale = 1 + h_.cwiseAbs().maxCoeff() + w.cwiseAbs().maxCoeff();
    for (; r.sweeps < max_sweeps_; ++r.sweeps) {
      for (Eigen::Index i = 0; i < G_.rows(); ++i) {
        double gv = 0;
        for (SparseRows::InnerIterator it(G_, i); it; ++it) gv += it.value() * v[it.col()];
        const double next = std::max(0.0, mu[i] + (gv - h_[i]) / row_sq_[i]);
        const double delta = next - mu[i];
        if (delta == 0) continue;
        mu[i] = next;
        for (SparseRows::InnerIterator it(G_, i); it; ++it) v[it.col()] -= delta * it.value();
      }
      r.kkt_residual = kkt(v, mu) / scale;
      if (r.kkt_residual <= tol_) {
        r.converged = true;
        ++r.sweeps;
        break;
      }
    }
    w = v;
    return r;
  }
  /// max(max violation, max |μᵢ·slackᵢ|) at v with multipliers μ.
  double kkt(In<double> v, const VecX<double>& mu) const {
    const VecX<double> slack = h_ - G_ * v;
    double r = 0;
    for (Eigen::Index i = 0; i < slack.size(); ++i) r = std::max({r, -slack[i], std::abs(mu[i] * slack[i]), -mu[i]});
    return r;
  }

 private:
  SparseRows G_;
  VecX<double> h_, row_sq_;
  double tol_;
  long long max_sweeps_;
};

/// Clips w to [lo, hi] entrywise.
inline void project_box(Out<double> w, double lo, double hi) {
  detail::require(lo <= hi, "project_box: lower bound", lo, "<= upper bound");
  w = w.cwiseMax(lo).cwiseMin(hi);
}

}  // namespace convlab::bilevel
