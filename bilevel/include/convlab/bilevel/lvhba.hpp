#pragma once
/// \file
/// LV-HBA (Yao, Yu, Zeng, Zhang, ICLR 2024): a Hessian-free, single-loop method for bilevel
/// problems with coupled lower-level constraints, built on the proximal Lagrangian value function
///
///     v_γ(x, y, z) = min_{θ ∈ Y} max_{λ ∈ Z} f(x, θ) + λᵀg(x, θ) + ‖θ − y‖²/(2γ₁) − ‖λ − z‖²/(2γ₂)
///
/// and the penalized function φ_k = F/c_k + f − v_γ, c_k = c̲·(k + 1)ᵖ. One iteration, in this
/// exact order (spec bilevel-lvhba.md b.3):
///
///     1. simultaneous projected GDA on the proximal Lagrangian (both use θᵏ, λᵏ):
///        d_θ = ∇ᵧf(xᵏ, θᵏ) + ∇ᵧg(xᵏ, θᵏ)ᵀλᵏ + (θᵏ − yᵏ)/γ₁,   θᵏ⁺¹ = Proj_Y(θᵏ − η d_θ)
///        d_λ = −g(xᵏ, θᵏ) + (λᵏ − zᵏ)/γ₂,                       λᵏ⁺¹ = Proj_Z(λᵏ − η d_λ)
///     2. one projected gradient step on φ_k with (θᵏ⁺¹, λᵏ⁺¹) in place of the saddle point:
///        d_x = ∇ₓF(xᵏ, yᵏ)/c_k + ∇ₓf(xᵏ, yᵏ) − ∇ₓf(xᵏ, θᵏ⁺¹) − ∇ₓg(xᵏ, θᵏ⁺¹)ᵀλᵏ⁺¹
///        d_y = ∇ᵧF(xᵏ, yᵏ)/c_k + ∇ᵧf(xᵏ, yᵏ) − (yᵏ − θᵏ⁺¹)/γ₁
///        d_z = −(λᵏ⁺¹ − zᵏ)/γ₂
///        (xᵏ⁺¹, yᵏ⁺¹) = Proj_C((xᵏ, yᵏ) − α(d_x, d_y)),   zᵏ⁺¹ = Proj_Z(zᵏ − β d_z)
///
/// γ₁, γ₂ divide (the paper's convention; several released scripts multiply by their
/// reciprocals). Z is the box [−r, r]ˡ for equality constraints and [0, r]ˡ for inequalities.
/// With no constraint (l = 0) the λ and z updates are skipped and the method is the Moreau-
/// envelope single-loop method. Per iteration: ∇F once, ∇f at three points, g and ∇ᵧg at
/// (xᵏ, θᵏ), ∇ₓg at (xᵏ, θᵏ⁺¹), no Hessian or Hessian-vector product.

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "constrained_bilevel.hpp"

namespace convlab::bilevel {

/// Optional: a lower-level set that depends on x, Y(x) (outside the paper's setting; the released
/// LLSC script projects θ onto {θ : Aθ + Hxᵏ = 0}). A problem that has `project_lower_at(x, θ)`
/// gets it called for θ instead of `project_lower(θ)`.
template <class P>
concept HasXDependentLowerSet = requires(const P& p, In<double> x, VecX<double>& t) { p.project_lower_at(x, t); };

struct LvhbaOptions {
  double alpha = 5e-3;    ///< (x, y) step, > 0
  double beta = 2e-3;     ///< z step, > 0
  double eta = 3e-2;      ///< inner GDA step, > 0
  double gamma1 = 10;     ///< proximal weight of θ, > 0 (divides)
  double gamma2 = 1;      ///< proximal weight of λ, > 0 (divides)
  double c0 = 1;          ///< c̲ of c_k = c̲(k + 1)ᵖ, > 0
  double p = 0.3;         ///< penalty exponent, theory: 0 < p < 1/2 (p = 1/2 allowed, as in the SVM scripts)
  double box = 1;         ///< r of the multiplier box Z, > 0
  void validate() const {
    detail::require(alpha > 0, "LvhbaOptions::alpha", alpha, "> 0");
    detail::require(beta > 0, "LvhbaOptions::beta", beta, "> 0");
    detail::require(eta > 0, "LvhbaOptions::eta", eta, "> 0");
    detail::require(gamma1 > 0, "LvhbaOptions::gamma1", gamma1, "> 0");
    detail::require(gamma2 > 0, "LvhbaOptions::gamma2", gamma2, "> 0");
    detail::require(c0 > 0, "LvhbaOptions::c0", c0, "> 0");
    detail::require(p > 0 && p <= 0.5, "LvhbaOptions::p", p, "0 < p <= 1/2");
    detail::require(box > 0, "LvhbaOptions::box", box, "> 0");
  }
};

/// The iterate: outer (x, y, z) and inner trackers (θ, λ); k counts completed iterations.
struct LvhbaState {
  VecX<double> x, y, z, theta, lambda;
  long long k = 0;
};

/// Diagnostics of the last iteration.
struct LvhbaStep {
  double c = 0;                  ///< c_k used
  bool lambda_at_box_edge = false;  ///< a λ entry sits on ±r: if it stays there, r may be too small
  /// How far past the box the λ step reached before it was clipped (max over entries, divided
  /// by η): it fades when the true multiplier is on the edge, and stays when r cuts it off.
  double lambda_push = 0;
};

template <ConstrainedBilevel P>
class Lvhba {
 public:
  explicit Lvhba(const LvhbaOptions& o = {}) : o_(o) { o_.validate(); }
  const LvhbaOptions& options() const { return o_; }

  /// Checks sizes and makes the start feasible: (x, y) ← Proj_C, θ ← Proj_Y, λ, z ← Proj_Z.
  void init(const P& p, LvhbaState& s) const {
    detail::require_size(s.x.size(), p.upper_dim(), "Lvhba::init: x");
    detail::require_size(s.y.size(), p.lower_dim(), "Lvhba::init: y");
    detail::require_size(s.theta.size(), p.lower_dim(), "Lvhba::init: theta");
    detail::require_size(s.lambda.size(), p.constraints(), "Lvhba::init: lambda");
    detail::require_size(s.z.size(), p.constraints(), "Lvhba::init: z");
    p.project_feasible(s.x, s.y);
    if constexpr (HasXDependentLowerSet<P>) p.project_lower_at(s.x, s.theta);
    else p.project_lower(s.theta);
    box(p, s.lambda);
    box(p, s.z);
  }

  /// One LV-HBA iteration in the order above.
  LvhbaStep step(const P& p, LvhbaState& s) const {
    const Eigen::Index n = p.upper_dim(), m = p.lower_dim(), l = p.constraints();
    LvhbaStep info;
    info.c = o_.c0 * std::pow(static_cast<double>(s.k + 1), o_.p);
    // Step 1: simultaneous projected GDA at (xᵏ, θᵏ, λᵏ).
    VecX<double> d_theta(m), tmp_m(m);
    p.lower_gradient_y(s.x, s.theta, d_theta);
    d_theta += (s.theta - s.y) / o_.gamma1;
    VecX<double> theta_next = s.theta, lambda_next = s.lambda;
    if (l > 0) {
      p.constraint_jacobian_y_transpose(s.x, s.theta, s.lambda, tmp_m);
      d_theta += tmp_m;
      VecX<double> gval(l);
      p.constraint_value(s.x, s.theta, gval);
      const VecX<double> d_lambda = -gval + (s.lambda - s.z) / o_.gamma2;
      lambda_next = s.lambda - o_.eta * d_lambda;
      const VecX<double> unclipped = lambda_next;
      box(p, lambda_next);
      info.lambda_push = (unclipped - lambda_next).cwiseAbs().maxCoeff() / o_.eta;
      for (Eigen::Index i = 0; i < l; ++i) info.lambda_at_box_edge = info.lambda_at_box_edge || std::abs(lambda_next[i]) >= o_.box;
    }
    theta_next -= o_.eta * d_theta;
    if constexpr (HasXDependentLowerSet<P>) p.project_lower_at(s.x, theta_next);
    else p.project_lower(theta_next);
    // Step 2: projected gradient step on φ_k with (θᵏ⁺¹, λᵏ⁺¹).
    VecX<double> gFx(n), gFy(m), d_x(n), d_y(m), tmp_n(n);
    p.upper_gradient(s.x, s.y, gFx, gFy);
    p.lower_gradient_x(s.x, s.y, d_x);
    d_x += gFx / info.c;
    p.lower_gradient_x(s.x, theta_next, tmp_n);
    d_x -= tmp_n;
    if (l > 0) {
      p.constraint_jacobian_x_transpose(s.x, theta_next, lambda_next, tmp_n);
      d_x -= tmp_n;
    }
    p.lower_gradient_y(s.x, s.y, d_y);
    d_y += gFy / info.c - (s.y - theta_next) / o_.gamma1;
    if (l > 0) {
      const VecX<double> d_z = -(lambda_next - s.z) / o_.gamma2;
      s.z -= o_.beta * d_z;
      box(p, s.z);
    }
    s.x -= o_.alpha * d_x;
    s.y -= o_.alpha * d_y;
    p.project_feasible(s.x, s.y);
    s.theta = std::move(theta_next);
    s.lambda = std::move(lambda_next);
    ++s.k;
    return info;
  }

 private:
  void box(const P& p, VecX<double>& v) const {
    const double lo = p.equality_constraints() ? -o_.box : 0.0;
    v = v.cwiseMax(lo).cwiseMin(o_.box);
  }
  LvhbaOptions o_;
};

/// How a run of `lvhba_run` ended.
enum class LvhbaStatus {
  Completed,              ///< every iteration ran and the multiplier box was not binding
  MultiplierBoundActive,  ///< λ sat on the box edge |λᵢ| = r in most of the second half: r likely cuts
                          ///< off the true multiplier, so the point may be wrong (raise LvhbaOptions::box)
  NonFinite,              ///< an iterate became NaN/Inf; the state holds the last finite one
};

inline const char* to_string(LvhbaStatus s) {
  switch (s) {
    case LvhbaStatus::Completed: return "completed";
    case LvhbaStatus::MultiplierBoundActive: return "multiplier_bound_active";
    case LvhbaStatus::NonFinite: return "non_finite";
  }
  return "unknown";
}

struct LvhbaSummary {
  LvhbaStatus status = LvhbaStatus::Completed;
  std::string message;
  long long iterations = 0;             ///< completed in this call
  double lambda_at_edge_fraction = 0;   ///< share of the second half's iterations with λ on the box edge
  bool is_solution_usable() const { return status == LvhbaStatus::Completed; }
};

/// lvhba_run's default: more than this share of the second half's iterations with λ on the box
/// edge reads as MultiplierBoundActive.
inline constexpr double kBoxEdgeFraction = 0.5;

/// Runs `iterations` LV-HBA steps from `s` (which `solver.init` has prepared) and judges the
/// run. A multiplier box that binds through the second half of the run is reported as
/// MultiplierBoundActive (more than `edge_fraction` of those iterations with λ on ±r): the
/// method then solves the problem with λ clipped, which is a different problem (docs/bilevel.md,
/// "Choosing the multiplier box"). A non-finite iterate stops the run at the last finite state.
/// `on_step`, if given, sees the state after every finite iteration (for histories).
template <ConstrainedBilevel P>
LvhbaSummary lvhba_run(const P& p, const Lvhba<P>& solver, LvhbaState& s, long long iterations, double edge_fraction = kBoxEdgeFraction,
                       const std::function<void(const LvhbaState&)>& on_step = {}) {
  detail::require(iterations >= 1, "lvhba_run: iterations", iterations, ">= 1");
  detail::require(edge_fraction > 0 && edge_fraction <= 1, "lvhba_run: edge_fraction", edge_fraction, "0 < f <= 1");
  LvhbaSummary sum;
  const long long second_half = iterations - iterations / 2;
  long long at_edge = 0;
  LvhbaState last_good = s;
  for (long long k = 0; k < iterations; ++k) {
    const LvhbaStep info = solver.step(p, s);
    if (!(s.x.allFinite() && s.y.allFinite() && s.z.allFinite() && s.theta.allFinite() && s.lambda.allFinite())) {
      s = std::move(last_good);
      sum.status = LvhbaStatus::NonFinite;
      sum.message = "non-finite iterate at iteration " + std::to_string(s.k + 1) + "; the state holds the last finite iterate";
      return sum;
    }
    last_good = s;
    ++sum.iterations;
    if (on_step) on_step(s);
    if (k >= iterations / 2) at_edge += info.lambda_at_box_edge;
  }
  sum.lambda_at_edge_fraction = static_cast<double>(at_edge) / static_cast<double>(second_half);
  if (p.constraints() > 0 && sum.lambda_at_edge_fraction > edge_fraction) {
    sum.status = LvhbaStatus::MultiplierBoundActive;
    sum.message = "the multiplier sat on the box edge (|lambda| = box = " + std::to_string(solver.options().box) + ") in " +
                  std::to_string(static_cast<int>(std::lround(100 * sum.lambda_at_edge_fraction))) +
                  "% of the second half of the run: the box likely cuts off the true multiplier and the point may be "
                  "wrong; raise LvhbaOptions::box above the largest multiplier (docs/bilevel.md)";
  } else {
    sum.message = "completed " + std::to_string(iterations) + " iterations";
  }
  return sum;
}

/// The proximal Lagrangian value function v_γ(x, y, z) and its saddle point (θ*, λ*), by
/// running step 1 with (x, y, z) frozen until the step is below `tolerance` (a diagnostic for
/// tests and reports: the gap f(x, y) − v_γ ≥ 0 on C, and = 0 when y ∈ S(x) with z a multiplier).
struct ValueFunction {
  double value = 0;
  VecX<double> theta, lambda;
  long long iterations = 0;
  bool converged = false;
};

template <ConstrainedBilevel P>
ValueFunction proximal_lagrangian_value(const P& p, const VecX<double>& x, const VecX<double>& y, const VecX<double>& z,
                                        const LvhbaOptions& o, double eta, long long max_iterations = 1000000, double tolerance = 1e-13) {
  o.validate();
  const Eigen::Index m = p.lower_dim(), l = p.constraints();
  const double lo = p.equality_constraints() ? -o.box : 0.0;
  ValueFunction v;
  v.theta = y;
  p.project_lower(v.theta);
  v.lambda = l > 0 ? VecX<double>(z.cwiseMax(lo).cwiseMin(o.box)) : VecX<double>();
  VecX<double> d_theta(m), tmp(m), gval(l);
  for (; v.iterations < max_iterations; ++v.iterations) {
    p.lower_gradient_y(x, v.theta, d_theta);
    d_theta += (v.theta - y) / o.gamma1;
    VecX<double> lambda_next = v.lambda;
    if (l > 0) {
      p.constraint_jacobian_y_transpose(x, v.theta, v.lambda, tmp);
      d_theta += tmp;
      p.constraint_value(x, v.theta, gval);
      lambda_next = (v.lambda + eta * (gval - (v.lambda - z) / o.gamma2)).cwiseMax(lo).cwiseMin(o.box);
    }
    VecX<double> theta_next = v.theta - eta * d_theta;
    p.project_lower(theta_next);
    const double change = (theta_next - v.theta).norm() + (l > 0 ? (lambda_next - v.lambda).norm() : 0.0);
    v.theta = std::move(theta_next);
    v.lambda = std::move(lambda_next);
    if (change <= tolerance) {
      v.converged = true;
      break;
    }
  }
  v.value = p.lower_value(x, v.theta) + (v.theta - y).squaredNorm() / (2 * o.gamma1);
  if (l > 0) {
    p.constraint_value(x, v.theta, gval);
    v.value += v.lambda.dot(gval) - (v.lambda - z).squaredNorm() / (2 * o.gamma2);
  }
  return v;
}

}  // namespace convlab::bilevel
