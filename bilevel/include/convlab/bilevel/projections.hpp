#pragma once
/// \file
/// Projections used by bilevel solvers: onto an affine set {v : A v = b} through a pseudo-inverse
/// computed once (complete orthogonal decomposition, so rank-deficient A — e.g. the LLSC toy's B
/// of rank 45 < 90 rows — is fine), and onto a box.

#include <Eigen/QR>
#include <algorithm>
#include <cmath>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/errors.hpp>

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

/// Clips w to [lo, hi] entrywise.
inline void project_box(Out<double> w, double lo, double hi) {
  detail::require(lo <= hi, "project_box: lower bound", lo, "<= upper bound");
  w = w.cwiseMax(lo).cwiseMin(hi);
}

}  // namespace convlab::bilevel
