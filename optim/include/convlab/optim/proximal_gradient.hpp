#pragma once
/// \file
/// Accelerated proximal gradient (FISTA with gradient-based adaptive restart, O'Donoghue &
/// Candès 2015) for min f(x) + R(x): f Differentiable with Lipschitz gradient, R Proximable.
/// A reference solver: it stops on its own KKT residual, the norm of the gradient mapping
/// ‖x − prox_{R/L}(x − ∇f(x)/L)‖·L, which is 0 exactly at a minimizer.

#include <chrono>
#include <cmath>
#include <limits>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "summary.hpp"

namespace convlab::optim {

struct ProximalGradientOptions {
  long long max_iterations = 200000;  ///< >= 1
  double kkt_tolerance = 1e-12;       ///< stop when the gradient-mapping norm <= this; > 0
  double time_limit = std::numeric_limits<double>::infinity();  ///< seconds, > 0 (tested with the KKT residual)
  void validate() const {
    detail::require(max_iterations >= 1, "ProximalGradientOptions::max_iterations", max_iterations, ">= 1");
    detail::require(kkt_tolerance > 0, "ProximalGradientOptions::kkt_tolerance", kkt_tolerance, "> 0");
    detail::require(time_limit > 0, "ProximalGradientOptions::time_limit", time_limit, "> 0");
  }
};

/// `lipschitz` is a bound on the Lipschitz constant of ∇f (a step of 1/L). The Summary's
/// certificate is the KKT residual ‖G_L(x)‖ at the returned x (status KktResidual when it meets
/// kkt_tolerance).
template <problems::Differentiable P, class R>
Summary proximal_gradient(const P& f, const R& reg, Out<typename P::Scalar> x, double lipschitz,
                          const ProximalGradientOptions& o = {}) {
  using S = typename P::Scalar;
  o.validate();
  detail::require(lipschitz > 0 && std::isfinite(lipschitz), "proximal_gradient: lipschitz", lipschitz, "0 < L < inf");
  const auto start = std::chrono::steady_clock::now();
  const Eigen::Index n = f.dim();
  detail::require_size(x.size(), n, "proximal_gradient: x");
  const S step = static_cast<S>(1 / lipschitz);
  VecX<S> y = x, g(n), x_new(n), mapping(n), gx(n), px(n);
  reg.prox(VecX<S>(x), step, x_new);  // start feasible
  x = x_new;
  y = x;
  S t = 1;
  Summary res;
  res.initial_value = static_cast<double>(problems::value_and_gradient(f, x, gx) + reg.value(x));
  auto kkt = [&](const VecX<S>& z) {
    problems::gradient(f, z, gx);
    reg.prox(VecX<S>(z - step * gx), step, px);
    return static_cast<double>((z - px).norm()) * lipschitz;
  };
  long long k = 0;
  res.status = Status::MaxIterations;
  for (; k < o.max_iterations; ++k) {
    problems::gradient(f, y, g);
    reg.prox(VecX<S>(y - step * g), step, x_new);
    mapping = y - x_new;
    // Restart the momentum when it points uphill (gradient-based restart).
    const bool restart = mapping.dot(x_new - VecX<S>(x)) > 0;
    const S t_next = restart ? S(1) : (1 + std::sqrt(1 + 4 * t * t)) / 2;
    const VecX<S> x_old = x;
    x = x_new;
    y = restart ? VecX<S>(x) : VecX<S>(x + ((t - 1) / t_next) * (x - x_old));
    t = t_next;
    if (k % 20 == 0) {
      if (kkt(VecX<S>(x)) <= o.kkt_tolerance) {
        res.status = Status::KktResidual;
        ++k;
        break;
      }
      bool out_of_time = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > o.time_limit;
      // Row-sharded problems: every process stops at the same iteration.
      if constexpr (requires { f.any_rank(true); })
        if (std::isfinite(o.time_limit)) out_of_time = f.any_rank(out_of_time);
      if (out_of_time) {
        res.status = Status::TimeLimit;
        ++k;
        break;
      }
    }
  }
  res.certificate = kkt_residual_certificate(kkt(VecX<S>(x)), o.kkt_tolerance);
  if (res.certificate.holds()) res.status = Status::KktResidual;
  res.message = "KKT residual " + std::to_string(res.certificate.value);
  res.iterations = k;
  res.final_value = static_cast<double>(f.value(x) + reg.value(x));
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return res;
}

}  // namespace convlab::optim
