#pragma once
/// \file
/// Damped Newton's method for smooth, strongly convex TwiceDifferentiable problems: the
/// reference solver that tests and experiments compare first-order methods against.

#include <Eigen/Cholesky>
#include <chrono>
#include <cmath>
#include <string>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "summary.hpp"

namespace convlab::optim {

struct NewtonOptions {
  long long max_iterations = 100;   ///< >= 1
  double gradient_tolerance = 1e-12; ///< stop when ‖∇f‖₂ <= this; > 0
  double armijo = 1e-4;             ///< sufficient-decrease constant, 0 < c < 1/2
  void validate() const {
    detail::require(max_iterations >= 1, "NewtonOptions::max_iterations", max_iterations, ">= 1");
    detail::require(gradient_tolerance > 0, "NewtonOptions::gradient_tolerance", gradient_tolerance, "> 0");
    detail::require(armijo > 0 && armijo < 0.5, "NewtonOptions::armijo", armijo, "0 < armijo < 0.5");
  }
};

/// Newton steps d = −H⁻¹g (Cholesky via LDLT) with Armijo backtracking, from x in place.
/// Converges quadratically near the optimum of a strongly convex problem; a non-descent
/// direction (indefinite H) falls back to −g. Dense H: for dim up to a few thousand.
template <problems::TwiceDifferentiable P>
Summary newton(const P& problem, Out<typename P::Scalar> x, const NewtonOptions& options = {}) {
  using S = typename P::Scalar;
  options.validate();
  const auto start = std::chrono::steady_clock::now();
  const Eigen::Index n = problem.dim();
  detail::require_size(x.size(), n, "newton: x");
  VecX<S> g(n), d(n), trial(n), gt(n);
  MatX<S> H(n, n);
  Summary s;
  S f = problems::value_and_gradient(problem, x, g);
  s.initial_value = static_cast<double>(f);
  s.initial_grad_norm = static_cast<double>(g.norm());
  s.status = Status::MaxIterations;
  s.message = "reached max_iterations";
  for (long long k = 0; k < options.max_iterations; ++k) {
    s.history.push_back({k, 0.0, static_cast<double>(f), static_cast<double>(g.norm()), 1.0});
    if (g.norm() <= options.gradient_tolerance) {
      s.status = Status::GradientTolerance;
      s.message = "|grad| <= gradient_tolerance";
      break;
    }
    problem.hessian(x, H);
    d = -H.ldlt().solve(g);
    if (!d.allFinite() || g.dot(d) >= 0) d = -g;
    S t = 1;
    const S slope = g.dot(d);
    for (int ls = 0; ls < 60; ++ls, t /= 2) {
      trial = x + t * d;
      const S ft = problem.value(trial);
      if (std::isfinite(static_cast<double>(ft)) && ft <= f + static_cast<S>(options.armijo) * t * slope) break;
    }
    x = trial;
    const S f_new = problems::value_and_gradient(problem, x, g);
    s.iterations = k + 1;
    if (!std::isfinite(static_cast<double>(f_new))) {
      s.status = Status::NonFinite;
      s.message = "non-finite objective";
      break;
    }
    if (f_new >= f && g.norm() > options.gradient_tolerance) {  // no progress left at this precision
      f = f_new;
      s.status = Status::RelativeDecrease;
      s.message = "no further decrease at machine precision";
      break;
    }
    f = f_new;
  }
  s.final_value = static_cast<double>(f);
  s.final_grad_norm = static_cast<double>(g.norm());
  s.value_evaluations = s.gradient_evaluations = s.iterations + 1;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return s;
}

}  // namespace convlab::optim
