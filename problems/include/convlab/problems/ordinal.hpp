#pragma once
/// \file
/// The cumulative-logit ordinal model with one weight vector per threshold (non-parallel,
/// "relaxed proportional odds"), in PRESTO's difference parametrization (Faletto & Bien 2023).
///
///     P(y ≤ k | x) = F(η_k),  η_k = α_k + xᵀβ_k,  F(t) = 1/(1 + e⁻ᵗ),  k = 1 … K−1
///     β_k = ψ_1 + … + ψ_k      (ψ_1 = β_1, ψ_k = β_k − β_{k−1})
///
/// Parameters θ = (α_1 … α_{K−1}, ψ_1 (p entries), …, ψ_{K−1} (p entries)), dim = (K−1)(p+1).
/// Labels are 1 … K; category K is the rare one in PRESTO's use. The objective is the mean
/// negative log-likelihood −(1/n)Σ log(F(η_{yᵢ}) − F(η_{yᵢ−1})) (F(η_0) = 0, F(η_K) = 1), convex on
/// the polyhedron where every training row has η_1 ≤ … ≤ η_{K−1}, and +∞ outside it (a class
/// probability would be negative). Proportional odds is ψ_2 = … = ψ_{K−1} = 0.
///
/// Numerics: F(b) − F(a) = σ(b)σ(−a)(1 − e^{a−b}), so log-probabilities and their derivatives
/// are evaluated without cancellation for any finite a < b.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "concepts.hpp"
#include "detail/numerics.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

class CumulativeLogit {
 public:
  using Scalar = double;

  /// X: n × p features; y: labels in 1 … K (stored as doubles, must be integers); K ≥ 2.
  /// `sample_weight` (optional, n entries ≥ 0, not all 0): the objective becomes the weighted
  /// mean Σ wᵢℓᵢ / Σ wᵢ, so integer weights equal repeated rows; rows of weight 0 are dropped
  /// (they neither count nor constrain the curves).
  CumulativeLogit(MatX<double> X, const VecX<double>& y, int K, const VecX<double>& sample_weight = VecX<double>()) : K_(K) {
    detail::require(K >= 2, "CumulativeLogit: number of categories K", K, ">= 2");
    detail::require_size(y.size(), X.rows(), "CumulativeLogit: y (one label per row of X)");
    if (!X.allFinite()) throw InvalidArgument("CumulativeLogit: X has a non-finite entry");
    VecX<double> w = sample_weight.size() ? sample_weight : VecX<double>::Ones(X.rows());
    detail::require_size(w.size(), X.rows(), "CumulativeLogit: sample_weight (one per row of X)");
    for (Eigen::Index i = 0; i < w.size(); ++i)
      if (!(w[i] >= 0 && std::isfinite(w[i])))
        throw InvalidArgument("CumulativeLogit: sample_weight of row " + std::to_string(i) + " is " + std::to_string(w[i]) + "; weights must be finite and >= 0");
    const Eigen::Index kept = (w.array() > 0).count();
    if (kept == 0) throw InvalidArgument("CumulativeLogit: every sample_weight is 0");
    X_.resize(kept, X.cols());
    y_.resize(kept);
    w_.resize(kept);
    Eigen::Index r = 0;
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (!(y[i] >= 1 && y[i] <= K && y[i] == std::floor(y[i])))
        throw InvalidArgument("CumulativeLogit: label of row " + std::to_string(i) + " is " + std::to_string(y[i]) +
                              "; labels must be integers 1 … " + std::to_string(K));
      if (w[i] == 0) continue;
      X_.row(r) = X.row(i);
      y_[r] = static_cast<int>(y[i]);
      w_[r++] = w[i];
    }
    inv_total_ = 1.0 / w_.sum();
  }

  Eigen::Index dim() const { return static_cast<Eigen::Index>(K_ - 1) * (X_.cols() + 1); }
  Eigen::Index rows() const { return X_.rows(); }
  Eigen::Index features() const { return X_.cols(); }
  int categories() const { return K_; }
  /// The rows of positive weight, their labels and their weights (as given; 1 without weights).
  const MatX<double>& X() const { return X_; }
  const Eigen::VectorXi& labels() const { return y_; }
  const VecX<double>& weights() const { return w_; }

  /// Offset of ψ_k (k = 1 … K−1) in θ.
  Eigen::Index psi_offset(int k) const { return (K_ - 1) + static_cast<Eigen::Index>(k - 1) * X_.cols(); }

  /// β (p × (K−1)) from θ: β_k = Σ_{l ≤ k} ψ_l.
  MatX<double> beta(In<double> theta) const {
    check_theta(theta, "beta");
    const Eigen::Index p = X_.cols();
    MatX<double> B(p, K_ - 1);
    VecX<double> acc = VecX<double>::Zero(p);
    for (int k = 1; k < K_; ++k) {
      acc += theta.segment(psi_offset(k), p);
      B.col(k - 1) = acc;
    }
    return B;
  }

  /// θ from intercepts α (K−1) and weights β (p × (K−1)): ψ_1 = β_1, ψ_k = β_k − β_{k−1}.
  VecX<double> theta_from(const VecX<double>& alpha, const MatX<double>& B) const {
    detail::require_size(alpha.size(), K_ - 1, "CumulativeLogit::theta_from: intercepts");
    detail::require_size(B.rows(), X_.cols(), "CumulativeLogit::theta_from: rows of beta (one per feature)");
    detail::require_size(B.cols(), K_ - 1, "CumulativeLogit::theta_from: columns of beta (one per threshold)");
    VecX<double> t(dim());
    t.head(K_ - 1) = alpha;
    for (int k = 1; k < K_; ++k) t.segment(psi_offset(k), X_.cols()) = k == 1 ? VecX<double>(B.col(0)) : VecX<double>(B.col(k - 1) - B.col(k - 2));
    return t;
  }

  /// η (rows × (K−1)) for any feature matrix with p columns.
  MatX<double> linear_predictors(const MatX<double>& X, In<double> theta) const {
    detail::require_size(X.cols(), X_.cols(), "CumulativeLogit: columns of X");
    const MatX<double> B = beta(theta);
    MatX<double> eta(X.rows(), K_ - 1);
    for (int k = 1; k < K_; ++k) eta.col(k - 1) = (X * B.col(k - 1)).array() + theta[k - 1];
    return eta;
  }

  /// Class probabilities (rows × K) at any X. Rows whose cumulative curves cross have negative
  /// entries: see `valid`.
  MatX<double> probabilities(const MatX<double>& X, In<double> theta) const {
    const MatX<double> eta = linear_predictors(X, theta);
    MatX<double> P(X.rows(), K_);
    for (Eigen::Index i = 0; i < X.rows(); ++i) {
      double prev = 0;
      for (int k = 1; k < K_; ++k) {
        const double c = detail::sigmoid(eta(i, k - 1));
        P(i, k - 1) = c - prev;
        prev = c;
      }
      P(i, K_ - 1) = detail::sigmoid(-eta(i, K_ - 2));  // 1 − F(η_{K−1}) without cancellation
    }
    return P;
  }

  /// True when η_1 ≤ … ≤ η_{K−1} on every row of X (all class probabilities ≥ 0).
  bool valid(const MatX<double>& X, In<double> theta) const {
    const MatX<double> eta = linear_predictors(X, theta);
    for (Eigen::Index i = 0; i < eta.rows(); ++i)
      for (int k = 1; k + 1 < K_; ++k)
        if (eta(i, k) < eta(i, k - 1)) return false;
    return true;
  }

  /// Mean (weighted mean) negative log-likelihood; +∞ if any training row's curves cross (the
  /// reference code's rule: any negative class probability makes θ infeasible).
  double value(In<double> theta) const {
    return evaluate(theta, nullptr, nullptr);
  }

  double value_and_gradient(In<double> theta, Out<double> g) const {
    detail::require_size(g.size(), dim(), "CumulativeLogit::value_and_gradient: g");
    VecX<double> gg(dim());
    const double f = evaluate(theta, &gg, nullptr);
    g = gg;
    return f;
  }

  void gradient(In<double> theta, Out<double> g) const { value_and_gradient(theta, g); }

  /// Exact Hessian of the mean NLL into H (dim × dim); requires a feasible θ.
  void hessian(In<double> theta, Eigen::Ref<MatX<double>> H) const {
    detail::require(H.rows() == dim() && H.cols() == dim(), "CumulativeLogit::hessian: size of H", H.rows(), "dim × dim");
    VecX<double> g(dim());
    MatX<double> h;
    const double f = evaluate(theta, &g, &h);
    if (!std::isfinite(f)) throw InvalidArgument("CumulativeLogit::hessian: θ is infeasible (crossing cumulative curves)");
    H = h;
  }

 private:
  void check_theta(In<double> theta, const char* who) const {
    detail::require_size(theta.size(), dim(), std::string("CumulativeLogit::") + who + ": θ");
  }

  // Derivatives of ℓ = −log(F(b) − F(a)) in (a, b) = (η_{c−1}, η_c); missing ends are ±∞.
  struct RowTerms {
    double value = 0, da = 0, db = 0, daa = 0, dbb = 0, dab = 0;
  };
  static RowTerms row_terms(double a, double b, bool has_a, bool has_b) {
    using detail::sigmoid;
    using detail::softplus;
    RowTerms t;
    if (!has_a) {  // class 1: ℓ = softplus(−b)
      t.value = softplus(-b);
      t.db = -sigmoid(-b);
      t.dbb = sigmoid(b) * sigmoid(-b);
      return t;
    }
    if (!has_b) {  // class K: ℓ = softplus(a)
      t.value = softplus(a);
      t.da = sigmoid(a);
      t.daa = sigmoid(a) * sigmoid(-a);
      return t;
    }
    if (!(a < b)) {
      t.value = std::numeric_limits<double>::infinity();
      return t;
    }
    const double gap = -std::expm1(a - b);                        // 1 − e^{a−b} ∈ (0, 1]
    t.value = softplus(-b) + softplus(a) - std::log(gap);          // −log(σ(b)σ(−a)(1 − e^{a−b}))
    const double rb = sigmoid(-b) / (sigmoid(-a) * gap);           // f(b)/P
    const double ra = sigmoid(a) / (sigmoid(b) * gap);             // f(a)/P
    t.db = -rb;
    t.da = ra;
    t.dbb = -rb * (1 - 2 * sigmoid(b)) + rb * rb;
    t.daa = ra * (1 - 2 * sigmoid(a)) + ra * ra;
    t.dab = -ra * rb;
    return t;
  }

  double evaluate(In<double> theta, VecX<double>* g, MatX<double>* H) const {
    check_theta(theta, "value");
    const Eigen::Index n = X_.rows(), p = X_.cols();
    const MatX<double> eta = linear_predictors(X_, theta);
    if (g) g->setZero(dim());
    if (H) H->setZero(dim(), dim());
    // Infeasible if any row's curves cross anywhere (not only at the observed class).
    for (Eigen::Index i = 0; i < n; ++i)
      for (int k = 1; k + 1 < K_; ++k)
        if (eta(i, k) < eta(i, k - 1)) return std::numeric_limits<double>::infinity();
    double f = 0;
    VecX<double> u_a(dim()), u_b(dim());  // ∂η_{c−1}/∂θ and ∂η_c/∂θ for the current row
    for (Eigen::Index i = 0; i < n; ++i) {
      const int c = y_[i];
      const bool has_a = c >= 2, has_b = c <= K_ - 1;
      const RowTerms t = row_terms(has_a ? eta(i, c - 2) : 0.0, has_b ? eta(i, c - 1) : 0.0, has_a, has_b);
      if (!std::isfinite(t.value)) return std::numeric_limits<double>::infinity();
      f += w_[i] * t.value;  // w = 1 without weights: the same bits as an unweighted mean
      const double w = w_[i] * inv_total_;
      if (!g) continue;
      // ∂η_k/∂α_k = 1, ∂η_k/∂ψ_l = x for l ≤ k.
      auto jacobian_row = [&](int k, VecX<double>& u) {
        u.setZero();
        u[k - 1] = 1;
        for (int l = 1; l <= k; ++l) u.segment(psi_offset(l), p) = X_.row(i).transpose();
      };
      if (has_a) jacobian_row(c - 1, u_a);
      if (has_b) jacobian_row(c, u_b);
      if (has_a) *g += (t.da * w) * u_a;
      if (has_b) *g += (t.db * w) * u_b;
      if (!H) continue;
      if (has_a) H->noalias() += (t.daa * w) * u_a * u_a.transpose();
      if (has_b) H->noalias() += (t.dbb * w) * u_b * u_b.transpose();
      if (has_a && has_b) H->noalias() += (t.dab * w) * (u_a * u_b.transpose() + u_b * u_a.transpose());
    }
    return f * inv_total_;
  }

  MatX<double> X_;
  Eigen::VectorXi y_;
  VecX<double> w_;
  double inv_total_ = 1;  // 1 / Σ w
  int K_;
};

/// Class probabilities (rows × K) of the cumulative-logit model with intercepts α (K−1) and
/// weights β (p × (K−1)) in original units: P(y = k) = F(η_k) − F(η_{k−1}).
inline MatX<double> cumulative_logit_probabilities(const MatX<double>& X, const VecX<double>& alpha, const MatX<double>& B) {
  detail::require_size(B.rows(), X.cols(), "cumulative_logit_probabilities: rows of beta (one per feature)");
  detail::require_size(B.cols(), alpha.size(), "cumulative_logit_probabilities: columns of beta (one per threshold)");
  const Eigen::Index K = alpha.size() + 1;
  MatX<double> P(X.rows(), K);
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    double prev = 0, eta = 0;
    for (Eigen::Index k = 0; k + 1 < K; ++k) {
      eta = alpha[k] + X.row(i).dot(B.col(k));
      const double c = detail::sigmoid(eta);
      P(i, k) = c - prev;
      prev = c;
    }
    P(i, K - 1) = detail::sigmoid(-eta);
  }
  return P;
}

}  // namespace convlab::problems
