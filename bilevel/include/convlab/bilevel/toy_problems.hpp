#pragma once
/// \file
/// Bilevel test problems with closed-form solutions, and an oracle-counting wrapper.
///
/// LLC toy (spec bilevel-lvhba.md c.1): x ∈ Rⁿ, y = (y₁, y₂) ∈ R²ⁿ, e the all-ones vector,
///     F(x, y) = ½‖x − y₂‖² + ½‖y₁ − e‖²
///     f(x, y) = ½‖y₁‖² − xᵀy₁ + eᵀy₂,   h(x, y) = eᵀx + eᵀy₁ + eᵀy₂ = 0   (coupled equality)
/// The lower level has a non-singleton solution set (y₁ = x + e, any y₂ with eᵀy₂ = −2eᵀx − n),
/// multiplier −1; the bilevel solution is x* = −0.3e, y₁* = 0.7e, y₂* = −0.4e, F* = 0.05n.
/// C = {eᵀx + eᵀy = 0} (projection: remove the mean of the stacked vector); Y = R²ⁿ.

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/errors.hpp>

#include "constrained_bilevel.hpp"

namespace convlab::bilevel {

class LlcToy {
 public:
  explicit LlcToy(Eigen::Index n) : n_(n) { detail::require(n >= 1, "LlcToy: n", n, ">= 1"); }
  Eigen::Index upper_dim() const { return n_; }
  Eigen::Index lower_dim() const { return 2 * n_; }
  Eigen::Index constraints() const { return 1; }
  bool equality_constraints() const { return true; }

  double upper_value(In<double> x, In<double> y) const {
    return 0.5 * (x - y.tail(n_)).squaredNorm() + 0.5 * (y.head(n_).array() - 1).matrix().squaredNorm();
  }
  void upper_gradient(In<double> x, In<double> y, Out<double> gx, Out<double> gy) const {
    gx = x - y.tail(n_);
    gy.head(n_) = (y.head(n_).array() - 1).matrix();
    gy.tail(n_) = y.tail(n_) - x;
  }
  double lower_value(In<double> x, In<double> y) const {
    return 0.5 * y.head(n_).squaredNorm() - x.dot(y.head(n_)) + y.tail(n_).sum();
  }
  void lower_gradient_x(In<double> /*x*/, In<double> y, Out<double> gx) const { gx = -y.head(n_); }
  void lower_gradient_y(In<double> x, In<double> y, Out<double> gy) const {
    gy.head(n_) = y.head(n_) - x;
    gy.tail(n_).setOnes();
  }
  void constraint_value(In<double> x, In<double> y, Out<double> out) const { out[0] = x.sum() + y.sum(); }
  void constraint_jacobian_y_transpose(In<double> /*x*/, In<double> /*y*/, In<double> lambda, Out<double> out) const {
    out.setConstant(lambda[0]);
  }
  void constraint_jacobian_x_transpose(In<double> /*x*/, In<double> /*y*/, In<double> lambda, Out<double> out) const {
    out.setConstant(lambda[0]);
  }
  void project_feasible(VecX<double>& x, VecX<double>& y) const {
    const double mean = (x.sum() + y.sum()) / static_cast<double>(3 * n_);
    x.array() -= mean;
    y.array() -= mean;
  }
  void project_lower(VecX<double>& /*theta*/) const {}

  VecX<double> x_star() const { return VecX<double>::Constant(n_, -0.3); }

 private:
  Eigen::Index n_;
};

/// Forwards every oracle of a ConstrainedBilevel problem and counts the calls, so a test can
/// prove what an algorithm evaluates per iteration (and that it never asks for a Hessian: the
/// concept has no Hessian oracle at all).
template <ConstrainedBilevel P>
class CountingBilevel {
 public:
  struct Counts {
    long long upper_value = 0, upper_gradient = 0, lower_value = 0, lower_gradient_x = 0, lower_gradient_y = 0, constraint_value = 0,
              jacobian_y = 0, jacobian_x = 0, project_feasible = 0, project_lower = 0;
  };
  explicit CountingBilevel(const P& p) : p_(p) {}
  Eigen::Index upper_dim() const { return p_.upper_dim(); }
  Eigen::Index lower_dim() const { return p_.lower_dim(); }
  Eigen::Index constraints() const { return p_.constraints(); }
  bool equality_constraints() const { return p_.equality_constraints(); }
  double upper_value(In<double> x, In<double> y) const { return ++c_.upper_value, p_.upper_value(x, y); }
  void upper_gradient(In<double> x, In<double> y, Out<double> gx, Out<double> gy) const { ++c_.upper_gradient, p_.upper_gradient(x, y, gx, gy); }
  double lower_value(In<double> x, In<double> y) const { return ++c_.lower_value, p_.lower_value(x, y); }
  void lower_gradient_x(In<double> x, In<double> y, Out<double> g) const { ++c_.lower_gradient_x, p_.lower_gradient_x(x, y, g); }
  void lower_gradient_y(In<double> x, In<double> y, Out<double> g) const { ++c_.lower_gradient_y, p_.lower_gradient_y(x, y, g); }
  void constraint_value(In<double> x, In<double> y, Out<double> out) const { ++c_.constraint_value, p_.constraint_value(x, y, out); }
  void constraint_jacobian_y_transpose(In<double> x, In<double> y, In<double> l, Out<double> out) const {
    ++c_.jacobian_y, p_.constraint_jacobian_y_transpose(x, y, l, out);
  }
  void constraint_jacobian_x_transpose(In<double> x, In<double> y, In<double> l, Out<double> out) const {
    ++c_.jacobian_x, p_.constraint_jacobian_x_transpose(x, y, l, out);
  }
  void project_feasible(VecX<double>& x, VecX<double>& y) const { ++c_.project_feasible, p_.project_feasible(x, y); }
  void project_lower(VecX<double>& t) const { ++c_.project_lower, p_.project_lower(t); }
  const Counts& counts() const { return c_; }

 private:
  const P& p_;
  mutable Counts c_;
};

}  // namespace convlab::bilevel
