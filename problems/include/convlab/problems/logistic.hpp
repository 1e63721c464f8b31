#pragma once
/// \file
/// Binary logistic regression: f(x) = (1/n) Σ log(1 + exp(−yᵢ(aᵢᵀw + c))) + (l2/2)‖w‖² + l1‖w‖₁
/// (with sample weights s: the weighted mean (1/Σs) Σ sᵢ·log(…)).

#include <cmath>

#include "concepts.hpp"
#include "detail/linear_model.hpp"
#include "detail/numerics.hpp"

namespace convlab::problems {

/// Maps binary labels to {−1, +1}: accepts {−1, +1} or {0, 1} (0 ↦ −1). Any other value,
/// or both 0 and −1 in one vector (two spellings of the negative class are a mix-up, not a
/// coding), throws InvalidArgument naming the offending row.
template <class S>
VecX<S> to_plus_minus_one(const Eigen::Ref<const VecX<S>>& y) {
  VecX<S> out(y.size());
  Eigen::Index first_zero = -1, first_minus_one = -1;
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    if (y[i] == S(1)) {
      out[i] = S(1);
    } else if (y[i] == S(-1) || y[i] == S(0)) {
      out[i] = S(-1);
      Eigen::Index& first = y[i] == S(0) ? first_zero : first_minus_one;
      if (first < 0) first = i;
      if (first_zero >= 0 && first_minus_one >= 0)
        throw InvalidArgument("binary labels must be -1/+1 or 0/1, not both 0 and -1 (row " +
                              std::to_string(first_zero) + " has 0, row " + std::to_string(first_minus_one) +
                              " has -1)");
    } else {
      throw InvalidArgument("binary labels must be -1/+1 or 0/1; row " + std::to_string(i) + " has " +
                            std::to_string(static_cast<double>(y[i])));
    }
  }
  return out;
}

/// Logistic regression over a dense or sparse design, float or double. Stable for any
/// finite margin (softplus and sigmoid are evaluated without overflow). Models
/// Differentiable, TwiceDifferentiable and FiniteSum.
template <class S = double, class Design = MatX<S>>
class Logistic : public detail::LinearModel<S, Design> {
  using Base = detail::LinearModel<S, Design>;

 public:
  using Scalar = S;

  /// `y` holds labels in {−1, +1} or {0, 1}; `sample_weight`: empty or one weight >= 0 per row
  /// (LinearModel).
  Logistic(Design A, const VecX<S>& y, const LinearModelOptions& opt = {}, VecX<S> sample_weight = {})
      : Base(std::move(A), 1, opt, 0.25, "Logistic", std::move(sample_weight)), y_(to_plus_minus_one<S>(y)) {
    detail::require_size(y.size(), this->A_.rows(), "Logistic: the labels y (one per row of A)");
  }

  /// Labels in {−1, +1}.
  const VecX<S>& labels() const { return y_; }

  /// Fraction of this problem's rows (of their sample weight, with weights) that the model x
  /// classifies correctly: +1 where the score aᵢᵀw + b is positive, −1 otherwise (for a held-out
  /// set, build a problem on it).
  double accuracy(In<S> x) const {
    this->check_x(x, "accuracy");
    VecX<S> z(this->A_.rows());
    this->scores(x, 0, z);
    double correct = 0;
    for (Eigen::Index i = 0; i < z.size(); ++i) correct += ((z[i] > 0) == (y_[i] > 0)) ? static_cast<double>(this->row_weight(i)) : 0.0;
    return correct / static_cast<double>(this->normalizer());
  }

  S value(In<S> x) const {
    this->check_x(x, "value");
    VecX<S> z(this->A_.rows());
    this->scores(x, 0, z);
    const S sum = detail::sum_rows<S>(this->A_, [&](Eigen::Index i) { return this->row_weight(i) * detail::softplus(-y_[i] * z[i]); });
    return sum / n() + this->penalty(x);
  }

  S value_and_gradient(In<S> x, Out<S> g) const {
    this->check_x(x, "value_and_gradient");
    this->check_g(g, "value_and_gradient");
    VecX<S> z(this->A_.rows());
    this->scores(x, 0, z);
    // Loss and d loss / d score per row, and g = Aᵀ(d loss / d score) / n in the same pass.
    const S sum = detail::sum_and_transpose_times<S>(
        this->A_,
        [&](Eigen::Index i) {
          const auto t = detail::softplus_and_sigmoid(-y_[i] * z[i]);
          const S s = this->row_weight(i);
          return std::pair{s * t.softplus, s * (-y_[i] * t.sigmoid)};
        },
        S(1) / n(), g.head(this->A_.cols()), &z);
    if (this->opt_.intercept) g[this->A_.cols()] = S(1) / n() * z.sum();
    this->add_penalty_gradient(x, g);
    return sum / n() + this->penalty(x);
  }

  S value(In<S> x, Batch batch) const {
    return this->minibatch_value(x, batch, [&](Eigen::Index i, S z) { return detail::softplus(-y_[i] * z); });
  }

  void gradient(In<S> x, Batch batch, Out<S> g) const {
    this->minibatch_gradient(x, batch, g, [&](Eigen::Index i, S z) { return -y_[i] * detail::sigmoid(-y_[i] * z); });
  }

  /// ∇²f = Ãᵀ diag(sᵢσ(zᵢ)(1 − σ(zᵢ))) Ã / Σs + l2 (penalized diagonal).
  void hessian(In<S> x, Eigen::Ref<MatX<S>> H) const {
    this->check_x(x, "hessian");
    VecX<S> w(this->A_.rows());
    this->scores(x, 0, w);
    for (Eigen::Index i = 0; i < w.size(); ++i) {
      const S s = detail::sigmoid(w[i]);
      w[i] = this->row_weight(i) * (s * (1 - s));
    }
    this->weighted_gram(w, S(1) / n(), H);
  }

 private:
  S n() const { return this->normalizer(); }
  VecX<S> y_;
};

}  // namespace convlab::problems
