#pragma once
/// \file
/// Central-difference gradient checker for any Differentiable problem.

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "concepts.hpp"

namespace convlab::problems {

struct GradientCheckResult {
  double max_error = 0;          ///< max_i |g_i − fd_i| / max(1, ‖fd‖_∞)
  Eigen::Index worst_index = -1; ///< coordinate of max_error
  double analytic = 0, finite_difference = 0;  ///< the two values at worst_index
};

/// Compares ∇f(x) with central differences (f(x + h eᵢ) − f(x − h eᵢ)) / 2h, with
/// h = ε^(1/3)·max(1, |xᵢ|) (the step that balances truncation and rounding error).
/// Cost: 2·dim evaluations of f. Errors are relative to the largest finite-difference entry.
template <Differentiable P>
GradientCheckResult check_gradient(const P& p, In<typename P::Scalar> x) {
  using S = typename P::Scalar;
  const Eigen::Index n = p.dim();
  VecX<S> g(n), xp = x;
  gradient(p, x, g);
  VecX<double> fd(n);
  const double step = std::cbrt(static_cast<double>(std::numeric_limits<S>::epsilon()));
  for (Eigen::Index i = 0; i < n; ++i) {
    const S xi = x[i];
    const S h = static_cast<S>(step * std::max(1.0, std::abs(static_cast<double>(xi))));
    xp[i] = xi + h;
    const double fp = static_cast<double>(p.value(xp));
    xp[i] = xi - h;
    const double fm = static_cast<double>(p.value(xp));
    xp[i] = xi;
    const double actual_2h = static_cast<double>(xi + h) - static_cast<double>(xi - h);  // h as represented
    fd[i] = (fp - fm) / actual_2h;
  }
  const double scale = std::max(1.0, fd.template lpNorm<Eigen::Infinity>());
  GradientCheckResult r;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double err = std::abs(static_cast<double>(g[i]) - fd[i]) / scale;
    if (err > r.max_error || r.worst_index < 0) {
      r.max_error = err;
      r.worst_index = i;
      r.analytic = static_cast<double>(g[i]);
      r.finite_difference = fd[i];
    }
  }
  return r;
}

}  // namespace convlab::problems
