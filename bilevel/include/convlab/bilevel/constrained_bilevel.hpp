#pragma once
/// \file
/// Constrained bilevel problems with lower-level constraints that couple the two levels:
///
///     min_{x ∈ X, y ∈ Y} F(x, y)   s.t.   y ∈ S(x) = argmin_{y ∈ Y} { f(x, y) : g(x, y) ≤ 0 }
///
/// (g may also hold equalities h(x, y) = 0; see `equality_constraints`). Only first-order
/// oracles are required — no Hessians. C = {(x, y) ∈ X × Y : g(x, y) ≤ 0} must be convex with a
/// computable projection, which the problem provides jointly for the stacked (x, y).
///
/// | member | meaning |
/// |---|---|
/// | `upper_dim()`, `lower_dim()`, `constraints()` | n, m, l (l may be 0) |
/// | `equality_constraints()` | true: g = 0 (a sign-free multiplier box), false: g ≤ 0 |
/// | `upper_value(x, y)`, `upper_gradient(x, y, gx, gy)` | F and ∇F |
/// | `lower_value(x, y)`, `lower_gradient_x(x, y, gx)`, `lower_gradient_y(x, y, gy)` | f, ∇ₓf, ∇ᵧf |
/// | `constraint_value(x, y, out)` | g(x, y) ∈ Rˡ |
/// | `constraint_jacobian_y_transpose(x, y, λ, out)` | ∇ᵧg(x, y)ᵀλ ∈ Rᵐ |
/// | `constraint_jacobian_x_transpose(x, y, λ, out)` | ∇ₓg(x, y)ᵀλ ∈ Rⁿ |
/// | `project_feasible(x, y)` | (x, y) ← Proj_C(x, y), in place |
/// | `project_lower(θ)` | θ ← Proj_Y(θ), in place |

#include <concepts>

#include <convlab/problems/concepts.hpp>

namespace convlab::bilevel {

template <class P>
concept ConstrainedBilevel = requires(const P& p, In<double> x, In<double> y, In<double> lambda, Out<double> out,
                                      Out<double> out2, VecX<double>& vx, VecX<double>& vy) {
  { p.upper_dim() } -> std::convertible_to<Eigen::Index>;
  { p.lower_dim() } -> std::convertible_to<Eigen::Index>;
  { p.constraints() } -> std::convertible_to<Eigen::Index>;
  { p.equality_constraints() } -> std::convertible_to<bool>;
  { p.upper_value(x, y) } -> std::convertible_to<double>;
  p.upper_gradient(x, y, out, out2);
  { p.lower_value(x, y) } -> std::convertible_to<double>;
  p.lower_gradient_x(x, y, out);
  p.lower_gradient_y(x, y, out);
  p.constraint_value(x, y, out);
  p.constraint_jacobian_y_transpose(x, y, lambda, out);
  p.constraint_jacobian_x_transpose(x, y, lambda, out);
  p.project_feasible(vx, vy);
  p.project_lower(vy);
};

}  // namespace convlab::bilevel
