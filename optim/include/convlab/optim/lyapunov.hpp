#pragma once
/// \file
/// A `minimize` callback that follows Lion-κ's discrete Lyapunov function and its constraint
/// violation along a run (spec: lion-kappa.md §3.5–3.6):
///   H_d(x, M) = f(x) + (1/λ)κ*(λx) + C_d·[κ*(λx) + κ(M) − λ⟨M, x⟩],  M = −m,
///   C_d = β₁·lr / (lr·λ·(1 − β₁) + 1 − β₂),
/// with the (1/λ)κ*(λx) term dropped when λ = 0 (then H_d = f + β₁·lr/(1 − β₂)·κ(M)).
/// H_d is +∞ while λx is outside dom κ* (phase 1); `violation` is how far x is outside the
/// feasible set, in x units: (1/λ)·domain_violation(λx). Under β₁ ≤ β₂, small lr·L,
/// lr·Lip(∇κ) and lr·λ ≤ 1, H_d should not increase for a smooth κ; for Lion (non-smooth)
/// only up to O(lr²) per step. The monitor records, it does not judge.

#include <cmath>
#include <limits>
#include <vector>

#include "callbacks.hpp"
#include "kappa.hpp"
#include "lion_k.hpp"

namespace convlab::optim {

template <class S, class K>
struct LyapunovMonitor {
  LyapunovMonitor(K k, double weight_decay, double b1 = 0.9, double b2 = 0.99)
      : kappa(std::move(k)), lambda(weight_decay), beta1(b1), beta2(b2) {}
  K kappa;
  double lambda, beta1, beta2;
  std::vector<long long> iterations;
  std::vector<double> H;          ///< +∞ outside the feasible set
  std::vector<double> violation;  ///< in x units, 0 inside

  template <class State>
  void iteration(const IterationRecord& r, In<S> x, const State& st) {
    const double lr = r.lr;
    VecX<S> y = static_cast<S>(lambda) * x;
    const double viol = lambda > 0 ? static_cast<double>(kappa_domain_violation<K, S>(kappa, y)) / lambda : 0.0;
    const VecX<S> M = -st.m;
    double h = std::numeric_limits<double>::infinity();
    const double kstar = lambda > 0 ? static_cast<double>(kappa_conjugate<K, S>(kappa, y)) : 0.0;
    if (std::isfinite(kstar)) {
      const double cd = beta1 * lr / (lr * lambda * (1 - beta1) + 1 - beta2);
      const double coupling = kstar + static_cast<double>(kappa_value<K, S>(kappa, M)) -
                              lambda * static_cast<double>(M.dot(x));
      h = r.value + (lambda > 0 ? kstar / lambda : 0.0) + cd * coupling;
    }
    iterations.push_back(r.iteration);
    H.push_back(h);
    violation.push_back(viol);
  }

  /// Largest H_d(t+1) − H_d(t) over consecutive finite values (−∞ when there are none).
  double largest_increase() const {
    double worst = -std::numeric_limits<double>::infinity();
    for (std::size_t t = 1; t < H.size(); ++t)
      if (std::isfinite(H[t]) && std::isfinite(H[t - 1])) worst = std::max(worst, H[t] - H[t - 1]);
    return worst;
  }
};

}  // namespace convlab::optim
