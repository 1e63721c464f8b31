#pragma once
/// \file
/// Multinomial (softmax) logistic regression: f(x) = (1/n) Σ [logsumexp(zᵢ) − zᵢ,yᵢ]
/// + (l2/2)‖W‖² + l1‖W‖₁ with scores zᵢ = Wᵀaᵢ + b over K classes (with sample weights s: the
/// weighted mean (1/Σs) Σ sᵢ·[…]).

#include <cmath>
#include <vector>
#include <string>

#include "concepts.hpp"
#include "detail/linear_model.hpp"

namespace convlab::problems {

/// Softmax regression over a dense or sparse design, float or double. Labels are class
/// ids 0..K−1 (stored as numbers). Parameters are vec(W) with W of shape (d [+1]) × K,
/// column k holding class k's coefficients then its intercept. Over-parametrized (all K
/// classes have weights), which is identifiable once l2 > 0. Gradient Lipschitz bound by
/// Böhning's inequality ∇² ⪯ ½(I − 11ᵀ/K) ⊗ ÃᵀÃ/n.
template <class S = double, class Design = MatX<S>>
class Multinomial : public detail::LinearModel<S, Design> {
  using Base = detail::LinearModel<S, Design>;

 public:
  using Scalar = S;

  /// `num_classes` = 0 infers K = max label + 1 (at least 2); `sample_weight`: empty or one
  /// weight >= 0 per row (LinearModel).
  Multinomial(Design A, const VecX<S>& labels, Eigen::Index num_classes = 0, const LinearModelOptions& opt = {},
              VecX<S> sample_weight = {})
      : Base(std::move(A), infer_classes(labels, num_classes), opt, 0.5, "Multinomial", std::move(sample_weight)),
        y_(labels.template cast<Eigen::Index>()) {
    detail::require_size(labels.size(), this->A_.rows(), "Multinomial: the labels (one per row of A)");
  }

  Eigen::Index num_classes() const { return this->K_; }
  const Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1>& labels() const { return y_; }

  /// Fraction of this problem's rows (of their sample weight, with weights) whose label is the
  /// model's highest-scoring class (the first on ties); for a held-out set, build a problem on it.
  double accuracy(In<S> x) const {
    this->check_x(x, "accuracy");
    MatX<S> Z(this->A_.rows(), this->K_);
    all_scores(x, Z);
    double correct = 0;
    for (Eigen::Index i = 0; i < Z.rows(); ++i) {
      Eigen::Index arg = 0;
      Z.row(i).maxCoeff(&arg);
      if (arg == y_[i]) correct += static_cast<double>(this->row_weight(i));
    }
    return correct / static_cast<double>(this->normalizer());
  }

  S value(In<S> x) const {
    this->check_x(x, "value");
    MatX<S> Z(this->A_.rows(), this->K_);
    all_scores(x, Z);
    S sum = 0;
    for (Eigen::Index i = 0; i < Z.rows(); ++i) sum += this->row_weight(i) * row_loss(Z, i);
    return sum / n() + this->penalty(x);
  }

  S value_and_gradient(In<S> x, Out<S> g) const {
    this->check_x(x, "value_and_gradient");
    this->check_g(g, "value_and_gradient");
    MatX<S> Z(this->A_.rows(), this->K_);
    all_scores(x, Z);
    S sum = 0;
    for (Eigen::Index i = 0; i < Z.rows(); ++i) {
      sum += this->row_weight(i) * row_loss(Z, i);
      softmax_minus_onehot(Z, i);
      if (this->weighted()) Z.row(i) *= this->sw_[i];
    }
    const Eigen::Index d = this->A_.cols(), p = this->p_;
    // One matrix-vector product per class rather than a GEMM: Eigen's parallel GEMM blocks by
    // thread count, which would make results depend on it.
    for (Eigen::Index k = 0; k < this->K_; ++k)
      detail::transpose_times<S>(this->A_, Z.col(k), S(1) / n(), g.segment(k * p, d));
    if (this->opt_.intercept)
      for (Eigen::Index k = 0; k < this->K_; ++k) g[k * p + d] = Z.col(k).sum() / n();
    this->add_penalty_gradient(x, g);
    return sum / n() + this->penalty(x);
  }

  S value(In<S> x, Batch batch) const {
    this->check_x(x, "value");
    this->check_batch(batch);
    MatX<S> z(1, this->K_);
    S sum = 0;
    for (Eigen::Index i : batch) {
      sample_scores(x, i, z);
      sum += this->batch_weight(i) * row_loss(z, 0, y_[i]);
    }
    return sum / static_cast<S>(batch.size()) + this->penalty(x);
  }

  void gradient(In<S> x, Batch batch, Out<S> g) const {
    this->check_x(x, "gradient");
    this->check_g(g, "gradient");
    this->check_batch(batch);
    g.setZero();
    MatX<S> z(1, this->K_);
    const S inv = S(1) / static_cast<S>(batch.size());
    const Eigen::Index d = this->A_.cols(), p = this->p_;
    for (Eigen::Index i : batch) {
      sample_scores(x, i, z);
      softmax_minus_onehot(z, 0, y_[i]);
      if (this->weighted()) z *= this->batch_weight(i);
      for (Eigen::Index k = 0; k < this->K_; ++k) {
        g.segment(k * p, d) += (inv * z(0, k)) * this->A_.row(i).transpose();
        if (this->opt_.intercept) g[k * p + d] += inv * z(0, k);
      }
    }
    this->add_penalty_gradient(x, g);
  }

  /// Class probabilities (rows × K) for the design `X` with the model `x`.
  template <class D>
  MatX<S> predict_proba(const D& X, In<S> x) const {
    this->check_x(x, "predict_proba");
    detail::require_size(X.cols(), this->A_.cols(), "Multinomial::predict_proba: columns of X");
    MatX<S> Z(X.rows(), this->K_);
    for (Eigen::Index k = 0; k < this->K_; ++k) {
      Z.col(k).noalias() = X * this->weights(x, k);  // per class: see all_scores
      Z.col(k).array() += this->intercept_of(x, k);
    }
    for (Eigen::Index i = 0; i < Z.rows(); ++i) {
      Z.row(i).array() -= Z.row(i).maxCoeff();
      Z.row(i) = Z.row(i).array().exp().matrix();
      Z.row(i) /= Z.row(i).sum();
    }
    return Z;
  }

 private:
  static Eigen::Index infer_classes(const VecX<S>& labels, Eigen::Index K) {
    Eigen::Index max_label = 0;
    for (Eigen::Index i = 0; i < labels.size(); ++i) {
      const S v = labels[i];
      if (!(v >= 0) || v != std::floor(v) || (K > 0 && v >= static_cast<S>(K)))
        throw InvalidArgument("Multinomial: labels must be class ids in 0.." +
                              (K > 0 ? std::to_string(K - 1) : std::string("K-1")) + "; row " +
                              std::to_string(i) + " has " + std::to_string(static_cast<double>(v)));
      max_label = std::max(max_label, static_cast<Eigen::Index>(v));
    }
    if (K > 0) return K;
    // Inferred K: a class id below the largest with no rows is almost always a labelling
    // slip (1-based labels make an empty class 0), and that class's unpenalized intercept
    // then has no minimizer. Passing num_classes keeps empty classes on purpose (e.g. a
    // federated client that holds some classes of a global K).
    K = std::max<Eigen::Index>(2, max_label + 1);
    std::vector<Eigen::Index> count(static_cast<std::size_t>(K), 0);
    for (Eigen::Index i = 0; i < labels.size(); ++i) ++count[static_cast<std::size_t>(labels[i])];
    for (Eigen::Index k = 0; k < K; ++k)
      if (count[static_cast<std::size_t>(k)] == 0)
        throw InvalidArgument("Multinomial: class " + std::to_string(k) + " of 0.." + std::to_string(K - 1) +
                              " has no rows" + (k == 0 && K > 2 ? " (labels 1..K? class ids start at 0: subtract 1)" : "") +
                              "; pass num_classes to keep an empty class on purpose");
    return K;
  }

  S n() const { return this->normalizer(); }

  /// Z = A·W + 1bᵀ, one matrix-vector product per class (thread-count independent).
  void all_scores(const In<S>& x, MatX<S>& Z) const {
    for (Eigen::Index k = 0; k < this->K_; ++k) this->scores(x, k, Z.col(k));
  }
  void sample_scores(const In<S>& x, Eigen::Index i, MatX<S>& z) const {
    for (Eigen::Index k = 0; k < this->K_; ++k) z(0, k) = this->score_of(x, k, i);
  }
  /// logsumexp(z_r) − z_{r, label}, shifted by the row max so nothing overflows.
  S row_loss(const MatX<S>& Z, Eigen::Index r, Eigen::Index label = -1) const {
    if (label < 0) label = y_[r];
    const S m = Z.row(r).maxCoeff();
    return m + std::log((Z.row(r).array() - m).exp().sum()) - Z(r, label);
  }
  /// Z_r ← softmax(Z_r) − e_label (the derivative of the loss w.r.t. the scores).
  void softmax_minus_onehot(MatX<S>& Z, Eigen::Index r, Eigen::Index label = -1) const {
    if (label < 0) label = y_[r];
    const S m = Z.row(r).maxCoeff();
    Z.row(r) = (Z.row(r).array() - m).exp().matrix();
    Z.row(r) /= Z.row(r).sum();
    Z(r, label) -= S(1);
  }

  Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1> y_;
};

}  // namespace convlab::problems
