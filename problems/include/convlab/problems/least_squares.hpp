#pragma once
/// \file
/// Least squares: f(x) = (1/(2n))·‖Aw + c − b‖² + (l2/2)‖w‖² + l1‖w‖₁ (with sample weights s:
/// (1/(2Σs))·Σ sᵢ(aᵢᵀw + c − bᵢ)² + the same penalty).

#include "concepts.hpp"
#include "detail/linear_model.hpp"

namespace convlab::problems {

/// Least-squares regression over a dense (`Eigen::Matrix`) or sparse (`SparseDesign<S>`)
/// design, float or double. Models Differentiable, TwiceDifferentiable and FiniteSum.
/// The sample loss is ½(aᵢᵀw + c − bᵢ)², so the smooth part has curvature ÃᵀÃ/n.
template <class S = double, class Design = MatX<S>>
class LeastSquares : public detail::LinearModel<S, Design> {
  using Base = detail::LinearModel<S, Design>;

 public:
  using Scalar = S;

  /// `sample_weight`: empty or one weight >= 0 per row (LinearModel).
  LeastSquares(Design A, VecX<S> b, const LinearModelOptions& opt = {}, VecX<S> sample_weight = {})
      : Base(std::move(A), 1, opt, 1.0, "LeastSquares", std::move(sample_weight)), b_(std::move(b)) {
    detail::require_size(b_.size(), this->A_.rows(), "LeastSquares: the response b (one entry per row of A)");
    if (!b_.allFinite()) throw InvalidArgument("LeastSquares: the response b contains NaN or Inf");
  }

  const VecX<S>& response() const { return b_; }

  S value(In<S> x) const {
    this->check_x(x, "value");
    VecX<S> r(this->A_.rows());
    residual(x, r);
    return sum_of_squares(r) / (2 * n()) + this->penalty(x);
  }

  S value_and_gradient(In<S> x, Out<S> g) const {
    this->check_x(x, "value_and_gradient");
    this->check_g(g, "value_and_gradient");
    VecX<S> r(this->A_.rows());
    residual(x, r);
    const S sq = sum_of_squares(r);
    if (this->weighted()) r.array() *= this->sw_.array();
    this->back_project(r, 0, S(1) / n(), g);
    this->add_penalty_gradient(x, g);
    return sq / (2 * n()) + this->penalty(x);
  }

  /// Mean loss over the minibatch plus the full penalty.
  S value(In<S> x, Batch batch) const {
    return this->minibatch_value(x, batch, [&](Eigen::Index i, S z) { return (z - b_[i]) * (z - b_[i]) / 2; });
  }

  /// Mean gradient over the minibatch plus the full penalty gradient.
  void gradient(In<S> x, Batch batch, Out<S> g) const {
    this->minibatch_gradient(x, batch, g, [&](Eigen::Index i, S z) { return z - b_[i]; });
  }

  /// ∇²f = Ãᵀdiag(s)Ã/Σs + l2 (penalized diagonal); independent of x.
  void hessian(In<S> x, Eigen::Ref<MatX<S>> H) const {
    this->check_x(x, "hessian");
    this->weighted_gram(this->weighted() ? this->sw_ : VecX<S>::Ones(this->A_.rows()), S(1) / n(), H);
  }

 private:
  S n() const { return this->normalizer(); }
  /// Σ sᵢrᵢ² (‖r‖² without weights).
  S sum_of_squares(const VecX<S>& r) const {
    return this->weighted() ? (this->sw_.array() * r.array().square()).sum() : r.squaredNorm();
  }
  void residual(const In<S>& x, Out<S> r) const {
    this->scores(x, 0, r);
    r -= b_;
  }
  VecX<S> b_;
};

}  // namespace convlab::problems
