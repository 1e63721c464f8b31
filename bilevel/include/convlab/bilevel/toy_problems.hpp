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

#include <cmath>
#include <memory>
#include <boost/random/uniform_real_distribution.hpp>

#include <Eigen/SparseCore>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/random.hpp>

#include "constrained_bilevel.hpp"
#include "projections.hpp"

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

/// LLSC toy (spec c.2, from the AiPOD paper): x, y ∈ Rᴺ, A, H ∈ R^{L×N}, B ∈ R^{L×N} whose second
/// half of rows is zero (rank L/2), c, d ∈ Rᴺ, entries U[0, 1) from a seeded engine (the released
/// .npy matrices are not shipped; the spec gives their generator):
///     F(x, y) = sin(cᵀx + dᵀy) + log(‖x + y‖² + 1),   X = {x : Bx = 0}
///     f(x, y) = ½‖x − y‖²,   coupled equality A y + H x = 0
/// The lower level is strongly convex with y*(x) = x − A⁺(A + H)x (x projected onto
/// {y : Ay = −Hx}); the upper level is nonconvex (no closed-form x*). C = {Hx + Ay = 0, Bx = 0},
/// projected through the pseudo-inverse of [[H, A], [B, 0]] (computed once); Y = Rᴺ.
class LlscToy {
 public:
  explicit LlscToy(Eigen::Index N = 100, Eigen::Index L = 90, unsigned long long seed = 1) : N_(N), L_(L) {
    detail::require(N >= 1 && L >= 2 && L <= N, "LlscToy: sizes N, L", L, "2 <= L <= N");
    Rng rng(seed);
    boost::random::uniform_real_distribution<double> U(0, 1);
    auto fill = [&](Eigen::Index r, Eigen::Index c) {
      MatX<double> M(r, c);
      for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j) M(i, j) = U(rng);
      return M;
    };
    A_ = fill(L, N);
    H_ = fill(L, N);
    B_ = fill(L, N);
    B_.bottomRows(L - L / 2).setZero();
    c_ = fill(N, 1).col(0);
    d_ = fill(N, 1).col(0);
    MatX<double> M = MatX<double>::Zero(2 * L, 2 * N);
    M.topLeftCorner(L, N) = H_;
    M.topRightCorner(L, N) = A_;
    M.bottomLeftCorner(L, N) = B_;
    feasible_ = std::make_shared<AffineProjector>(M, VecX<double>::Zero(2 * L));
    upper_set_ = std::make_shared<AffineProjector>(B_, VecX<double>::Zero(L));
    A_pinv_ = A_.completeOrthogonalDecomposition().pseudoInverse();
  }
  Eigen::Index upper_dim() const { return N_; }
  Eigen::Index lower_dim() const { return N_; }
  Eigen::Index constraints() const { return L_; }
  bool equality_constraints() const { return true; }

  double upper_value(In<double> x, In<double> y) const { return std::sin(c_.dot(x) + d_.dot(y)) + std::log((x + y).squaredNorm() + 1); }
  void upper_gradient(In<double> x, In<double> y, Out<double> gx, Out<double> gy) const {
    const double cs = std::cos(c_.dot(x) + d_.dot(y));
    const VecX<double> s = 2 * (x + y) / ((x + y).squaredNorm() + 1);
    gx = cs * c_ + s;
    gy = cs * d_ + s;
  }
  double lower_value(In<double> x, In<double> y) const { return 0.5 * (x - y).squaredNorm(); }
  void lower_gradient_x(In<double> x, In<double> y, Out<double> g) const { g = x - y; }
  void lower_gradient_y(In<double> x, In<double> y, Out<double> g) const { g = y - x; }
  void constraint_value(In<double> x, In<double> y, Out<double> out) const { out = A_ * y + H_ * x; }
  void constraint_jacobian_y_transpose(In<double>, In<double>, In<double> lambda, Out<double> out) const { out = A_.transpose() * lambda; }
  void constraint_jacobian_x_transpose(In<double>, In<double>, In<double> lambda, Out<double> out) const { out = H_.transpose() * lambda; }
  void project_feasible(VecX<double>& x, VecX<double>& y) const {
    VecX<double> v(2 * N_);
    v << x, y;
    (*feasible_)(v);
    x = v.head(N_);
    y = v.tail(N_);
  }
  void project_lower(VecX<double>&) const {}

  /// The released script's x-dependent lower set: θ ← θ − A⁺(Aθ + Hx) (see HasXDependentLowerSet;
  /// LlscToyProjectedTheta exposes it).
  void project_theta_onto_constraint(In<double> x, VecX<double>& theta) const { theta -= A_pinv_ * (A_ * theta + H_ * x); }

  /// The lower-level solution y*(x).
  VecX<double> y_star(const VecX<double>& x) const { return x - A_pinv_ * (A_ * x + H_ * x); }

  // ImplicitDifferentiable (implicit_gradient.hpp): closed-form lower level and its KKT pieces.
  /// y*(x) and the multipliers μ from stationarity (y − x) + Aᵀμ = 0. One "iteration".
  long long solve_lower(In<double> x, VecX<double>& y, VecX<double>& mu) const {
    y = y_star(x);
    mu = -(A_pinv_.transpose() * (y - x));
    return 1;
  }
  Eigen::SparseMatrix<double> lower_hessian_yy(In<double>, In<double>, In<double>) const { return identity(1.0); }
  Eigen::SparseMatrix<double> lower_hessian_yx(In<double>, In<double>, In<double>) const { return identity(-1.0); }
  Eigen::SparseMatrix<double> constraint_jacobian_y(In<double>, In<double>) const { return A_.sparseView(); }
  Eigen::SparseMatrix<double> constraint_jacobian_x(In<double>, In<double>) const { return H_.sparseView(); }
  /// x ← its projection onto X = {Bx = 0}.
  void project_upper(VecX<double>& x) const { (*upper_set_)(x); }
  /// max(‖Bx‖∞, ‖Ay + Hx‖∞).
  double infeasibility(const VecX<double>& x, const VecX<double>& y) const {
    return std::max((B_ * x).cwiseAbs().maxCoeff(), (A_ * y + H_ * x).cwiseAbs().maxCoeff());
  }

 private:
  Eigen::SparseMatrix<double> identity(double v) const {
    Eigen::SparseMatrix<double> I(N_, N_);
    I.setIdentity();
    return v * I;
  }
  Eigen::Index N_, L_;
  MatX<double> A_, H_, B_, A_pinv_;
  VecX<double> c_, d_;
  std::shared_ptr<AffineProjector> feasible_, upper_set_;
};

/// The LLSC toy as the released script runs it: θ is also projected onto {θ : Aθ + Hxᵏ = 0}.
class LlscToyProjectedTheta : public LlscToy {
 public:
  using LlscToy::LlscToy;
  void project_lower_at(In<double> x, VecX<double>& theta) const { project_theta_onto_constraint(x, theta); }
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
