#pragma once
/// \file
/// SVM hyperparameter optimization with one weight per training sample (spec bilevel-lvhba.md
/// c.3, after GAM, Xu & Zhu 2023) — also the data hyper-cleaning problem (c.4), where the weights
/// learn to silence corrupted labels.
///
///   upper variable x = c ∈ Rⁿ (sample i weighs e^{cᵢ}); lower variable y = (w, b, ξ) ∈ Rᵈ × R × Rⁿ
///   lower level  f(c, y) = ½‖w‖² + ½ Σᵢ e^{cᵢ} ξᵢ²   s.t.  gᵢ = 1 − ξᵢ − yᵢ(wᵀzᵢ + b) ≤ 0
///   upper level  F(c, y) = Σ_{j ∈ val} LeakyReLU(2σ(−5 tⱼ) − 1),  tⱼ = yⱼ(wᵀzⱼ + b)/‖w‖  (slope 0.01)
///
/// C = X × {y : all n margin constraints}, X = [−c_bound, c_bound]ⁿ (the spec leaves c free), projected exactly
/// by Newton on the squared-hinge form (squared_hinge.hpp). Y = R^{d+1+n}.
///
/// The lower level is a convex QP; `solve_lower` solves it exactly through its equivalent
/// unconstrained form min ½‖w‖² + ½Σ e^{cᵢ} max(0, 1 − mᵢ)² (ξᵢ = max(0, 1 − mᵢ) at the optimum,
/// mᵢ = yᵢ(wᵀzᵢ + b)) by Newton's method on (w, b) — piecewise quadratic, so Newton stops after
/// finitely many steps once the active set settles — and returns the multipliers μᵢ = e^{cᵢ}ξᵢ.
/// With the second-order members below this makes the problem `ImplicitDifferentiable` for the
/// implicit-gradient baseline; LV-HBA uses only the first-order members.
///
/// Not thread-safe to share between concurrent solvers (the last projection's statistics are cached).

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/SparseCore>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/detail/numerics.hpp>
#include <convlab/core/errors.hpp>

#include "squared_hinge.hpp"

namespace convlab::bilevel {

/// Labelled rows: features Z (samples × d) and labels in {−1, +1}.
struct LabelledSet {
  MatX<double> Z;
  VecX<double> y;
};

/// Surrogate 0-1 loss, accuracy and counts of one labelled set under the linear classifier (w, b).
struct SvmScore {
  double loss_sum = 0;  ///< Σ LeakyReLU(2σ(−5t) − 1)
  double loss_mean = 0;
  double accuracy = 0;  ///< fraction with y(wᵀz + b) > 0
};

class WeightedSvmBilevel {
 public:
  static constexpr double kLeakySlope = 0.01;
  static constexpr double kMarginScale = 5;

  /// `upper_weight` scales F (1: the spec's sum over the validation set; 1/|val|: the mean);
  /// X = [−c_bound, c_bound]ⁿ (the spec leaves c free; a bound keeps e^c finite — ours).
  WeightedSvmBilevel(LabelledSet train, LabelledSet validation, double upper_weight = 1, double c_bound = 10)
      : tr_(std::move(train)), va_(std::move(validation)), upper_weight_(upper_weight), c_bound_(c_bound) {
    detail::require(upper_weight > 0 && std::isfinite(upper_weight), "WeightedSvmBilevel: upper_weight", upper_weight, "finite and > 0");
    detail::require(c_bound > 0 && c_bound <= 700, "WeightedSvmBilevel: c_bound", c_bound, "0 < c_bound <= 700 (e^c must stay finite)");
    check(tr_, "training");
    check(va_, "validation");
    detail::require_size(va_.Z.cols(), tr_.Z.cols(), "WeightedSvmBilevel: validation features (as many as training)");
    n_ = tr_.Z.rows();
    d_ = tr_.Z.cols();
    Zh_.resize(n_, d_ + 1);
    Zh_.leftCols(d_) = tr_.y.asDiagonal() * tr_.Z;
    Zh_.col(d_) = tr_.y;
  }

  Eigen::Index upper_dim() const { return n_; }
  Eigen::Index lower_dim() const { return d_ + 1 + n_; }
  Eigen::Index constraints() const { return n_; }
  bool equality_constraints() const { return false; }
  Eigen::Index features() const { return d_; }
  const LabelledSet& train() const { return tr_; }
  const LabelledSet& validation() const { return va_; }

  // ---- upper level ----
  double upper_value(In<double> /*c*/, In<double> y) const { return upper_weight_ * score(y, va_).loss_sum; }
  void upper_gradient(In<double> /*c*/, In<double> y, Out<double> gc, Out<double> gy) const {
    gc.setZero();
    gy.setZero();
    const auto w = y.head(d_);
    const double b = y[d_];
    const double norm = std::max(w.norm(), 1e-300);
    for (Eigen::Index j = 0; j < va_.Z.rows(); ++j) {
      const double t = va_.y[j] * (va_.Z.row(j).dot(w) + b) / norm;
      const double s = problems::detail::sigmoid(-kMarginScale * t);
      const double u = 2 * s - 1;
      const double dt = upper_weight_ * (u > 0 ? 1.0 : kLeakySlope) * (-2 * kMarginScale * s * (1 - s));
      // dt/dw = y zⱼ/‖w‖ − t w/‖w‖², dt/db = y/‖w‖
      gy.head(d_) += dt * (va_.y[j] / norm * va_.Z.row(j).transpose() - t / (norm * norm) * w);
      gy[d_] += dt * va_.y[j] / norm;
    }
  }

  // ---- lower level ----
  double lower_value(In<double> c, In<double> y) const {
    return 0.5 * y.head(d_).squaredNorm() + 0.5 * (c.array().exp() * y.tail(n_).array().square()).sum();
  }
  void lower_gradient_x(In<double> c, In<double> y, Out<double> gc) const { gc = 0.5 * (c.array().exp() * y.tail(n_).array().square()).matrix(); }
  void lower_gradient_y(In<double> c, In<double> y, Out<double> gy) const {
    gy.head(d_) = y.head(d_);
    gy[d_] = 0;
    gy.tail(n_) = (c.array().exp() * y.tail(n_).array()).matrix();
  }
  void constraint_value(In<double> /*c*/, In<double> y, Out<double> g) const {
    g = (1 - y.tail(n_).array() - tr_.y.array() * ((tr_.Z * y.head(d_)).array() + y[d_])).matrix();
  }
  void constraint_jacobian_y_transpose(In<double> /*c*/, In<double> /*y*/, In<double> lambda, Out<double> out) const {
    const VecX<double> ly = (lambda.array() * tr_.y.array()).matrix();
    out.head(d_) = -(tr_.Z.transpose() * ly);
    out[d_] = -ly.sum();
    out.tail(n_) = -lambda;
  }
  void constraint_jacobian_x_transpose(In<double>, In<double>, In<double>, Out<double> out) const { out.setZero(); }
  /// (w, b, ξ) ← its projection onto {ξᵢ ≥ 1 − yᵢ(wᵀzᵢ + b)} (c is free): exact, by
  /// minimize_squared_hinge on (w, b) with ξ eliminated.
  void project_feasible(VecX<double>& c, VecX<double>& y) const {
    project_upper(c);
    const Eigen::Index p = d_ + 1;
    const VecX<double> u0 = y.head(p), s0 = y.tail(n_);
    VecX<double> u = u0, r;
    last_projection_ = minimize_squared_hinge(Zh_, (1 - s0.array()).matrix(), VecX<double>::Ones(n_), VecX<double>::Ones(p), u0, u, r);
    if (!last_projection_.converged)
      throw std::runtime_error("WeightedSvmBilevel: projection onto the margin constraints did not converge (gradient " +
                               std::to_string(last_projection_.gradient_norm) + " after " + std::to_string(last_projection_.iterations) +
                               " Newton steps)");
    y.head(p) = u;
    y.tail(n_) = s0.cwiseMax((1 - (Zh_ * u).array()).matrix());
  }
  void project_lower(VecX<double>& /*theta*/) const {}
  /// Newton steps and final gradient of the last projection onto C.
  const SquaredHingeResult& last_projection() const { return last_projection_; }

  // ---- second-order members, for the implicit-gradient baseline ----
  void project_upper(VecX<double>& c) const { c = c.cwiseMax(-c_bound_).cwiseMin(c_bound_); }

  /// Solves the lower level exactly at c (warm start: y's (w, b)); writes y = (w, b, ξ) and the
  /// multipliers μ. Returns the number of Newton iterations.
  long long solve_lower(In<double> c, VecX<double>& y, VecX<double>& mu) const {
    const Eigen::Index p = d_ + 1;
    if (y.size() != lower_dim()) y = VecX<double>::Zero(lower_dim());
    const VecX<double> weight = c.array().exp().matrix();
    VecX<double> D = VecX<double>::Ones(p), u = y.head(p), slack;
    D[d_] = 0;
    const auto r = minimize_squared_hinge(Zh_, VecX<double>::Ones(n_), weight, D, VecX<double>::Zero(p), u, slack);
    if (!r.converged)
      throw std::runtime_error("WeightedSvmBilevel::solve_lower: Newton did not converge (gradient " + std::to_string(r.gradient_norm) +
                               " after " + std::to_string(r.iterations) + " steps)");
    y.head(p) = u;
    y.tail(n_) = slack;
    mu = (weight.array() * slack.array()).matrix();
    return r.iterations;
  }
  /// ∇²ᵧᵧ of the Lagrangian (g is affine in y, so f's Hessian): diag(1_d, 0, e^c).
  Eigen::SparseMatrix<double> lower_hessian_yy(In<double> c, In<double> /*y*/, In<double> /*mu*/) const {
    Eigen::SparseMatrix<double> H(lower_dim(), lower_dim());
    std::vector<Eigen::Triplet<double>> t;
    for (Eigen::Index k = 0; k < d_; ++k) t.emplace_back(k, k, 1.0);
    for (Eigen::Index i = 0; i < n_; ++i) t.emplace_back(d_ + 1 + i, d_ + 1 + i, std::exp(c[i]));
    H.setFromTriplets(t.begin(), t.end());
    return H;
  }
  /// ∂(∇ᵧ Lagrangian)/∂c (lower_dim × n): row d + 1 + i, column i holds e^{cᵢ}ξᵢ.
  Eigen::SparseMatrix<double> lower_hessian_yx(In<double> c, In<double> y, In<double> /*mu*/) const {
    Eigen::SparseMatrix<double> H(lower_dim(), n_);
    std::vector<Eigen::Triplet<double>> t;
    for (Eigen::Index i = 0; i < n_; ++i) t.emplace_back(d_ + 1 + i, i, std::exp(c[i]) * y[d_ + 1 + i]);
    H.setFromTriplets(t.begin(), t.end());
    return H;
  }
  /// ∇ᵧg (n × lower_dim) and ∇_c g (n × n, zero).
  Eigen::SparseMatrix<double> constraint_jacobian_y(In<double>, In<double>) const { return margin_jacobian(); }
  Eigen::SparseMatrix<double> constraint_jacobian_x(In<double>, In<double>) const { return Eigen::SparseMatrix<double>(n_, n_); }

  /// Surrogate loss and accuracy of the classifier in y = (w, b, …) on a labelled set.
  SvmScore score(In<double> y, const LabelledSet& set) const {
    SvmScore s;
    const auto w = y.head(d_);
    const double b = y[d_];
    const double norm = std::max(w.norm(), 1e-300);
    for (Eigen::Index j = 0; j < set.Z.rows(); ++j) {
      const double m = set.y[j] * (set.Z.row(j).dot(w) + b);
      const double u = 2 * problems::detail::sigmoid(-kMarginScale * m / norm) - 1;
      s.loss_sum += u > 0 ? u : kLeakySlope * u;
      s.accuracy += m > 0;
    }
    const auto count = static_cast<double>(std::max<Eigen::Index>(1, set.Z.rows()));
    s.loss_mean = s.loss_sum / count;
    s.accuracy /= count;
    return s;
  }

 private:
  static void check(const LabelledSet& s, const std::string& which) {
    detail::require_size(s.y.size(), s.Z.rows(), "WeightedSvmBilevel: " + which + " labels (one per row)");
    detail::require(s.Z.rows() >= 1, "WeightedSvmBilevel: " + which + " rows", s.Z.rows(), ">= 1");
    if (!s.Z.allFinite()) throw InvalidArgument("WeightedSvmBilevel: " + which + " features contain NaN or Inf");
    for (Eigen::Index i = 0; i < s.y.size(); ++i)
      if (s.y[i] != 1 && s.y[i] != -1)
        throw InvalidArgument("WeightedSvmBilevel: " + which + " label of row " + std::to_string(i) + " is " + std::to_string(s.y[i]) +
                              "; labels must be -1 or +1");
  }
  Eigen::SparseMatrix<double> margin_jacobian() const {
    Eigen::SparseMatrix<double> J(n_, lower_dim());
    std::vector<Eigen::Triplet<double>> t;
    for (Eigen::Index i = 0; i < n_; ++i) {
      for (Eigen::Index k = 0; k < d_; ++k) t.emplace_back(i, k, -tr_.y[i] * tr_.Z(i, k));
      t.emplace_back(i, d_, -tr_.y[i]);
      t.emplace_back(i, d_ + 1 + i, -1.0);
    }
    J.setFromTriplets(t.begin(), t.end());
    return J;
  }

  LabelledSet tr_, va_;
  double upper_weight_ = 1, c_bound_ = 10;
  Eigen::Index n_ = 0, d_ = 0;
  MatX<double> Zh_;  // row i: yᵢ(zᵢ, 1)
  mutable SquaredHingeResult last_projection_;
};

}  // namespace convlab::bilevel
