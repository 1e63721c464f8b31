#pragma once
/// \file
/// The composite term each Lion-κ solves: R_λ(x) = (1/λ)·κ*(λx), as a Proximable regularizer,
/// so an independent solver (proximal_gradient) can compute the optimum Lion-κ should reach:
///   min_x f(x) + R_λ(x)   (table in kappa.hpp, spec lion-kappa.md §4).
///
/// | κ            | R_λ(x)                                              | prox                                  |
/// |--------------|-----------------------------------------------------|---------------------------------------|
/// | SignK        | indicator of ‖x‖∞ ≤ 1/λ                             | clip                                  |
/// | HuberK{δ}    | (δλ/2)‖x‖² + box                                    | clip(x/(1 + tδλ))                     |
/// | DeadZoneK{δ} | δ‖x‖₁ + box                                         | clip(soft-threshold(x, tδ))           |
/// | RelativisticK{δ} | −(δ/λ)Σ√(1 − λ²xᵢ²) + box                      | 1-D root by bisection (monotone)      |
/// | LogCoshK{β}  | (1/2βλ)Σ[(1+λxᵢ)ln(1+λxᵢ) + (1−λxᵢ)ln(1−λxᵢ)] + box | 1-D root by bisection (monotone)      |
/// | QuadraticK   | (λ/2)‖x‖²                                           | x/(1 + tλ)                            |
/// | L2NormK      | indicator of ‖x‖₂ ≤ 1/λ                             | radial projection                     |
/// | LInfK        | indicator of ‖x‖₁ ≤ 1/λ                             | projection via the simplex            |
/// LpNormK (q-ball projection) and NuclearK are not provided here.

#include <algorithm>
#include <cmath>
#include <limits>

#include <convlab/problems/regularizers.hpp>

#include "kappa.hpp"

namespace convlab::optim {

/// Separable R with a prox found by bisection on the monotone optimality condition
/// φ'(u) + (u − x)/t = 0 over the open interval (−r, r).
template <class S, class Phi, class DPhi>
struct SeparableBarrier {
  using Scalar = S;
  S radius;
  Phi phi;    // φ(u), finite on [−r, r]
  DPhi dphi;  // φ'(u), increasing, ±∞ at ±r
  S value(In<S> x) const {
    S s = 0;
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      if (std::abs(x[i]) > radius * (1 + 64 * std::numeric_limits<S>::epsilon())) return std::numeric_limits<S>::infinity();
      s += phi(std::clamp(x[i], -radius, radius));
    }
    return s;
  }
  void prox(In<S> x, S t, Out<S> out) const {
    for (Eigen::Index i = 0; i < x.size(); ++i) {
      S lo = -radius, hi = radius;
      for (int it = 0; it < 200 && hi - lo > 0; ++it) {
        const S mid = (lo + hi) / 2;
        if (mid == lo || mid == hi) break;
        if (dphi(mid) + (mid - x[i]) / t > 0) hi = mid;
        else lo = mid;
      }
      out[i] = (lo + hi) / 2;
    }
  }
};

/// Indicator of the ℓ2 ball of radius r.
template <class S>
struct L2Ball {
  using Scalar = S;
  S radius;
  S value(In<S> x) const {
    return x.norm() <= radius * (1 + 1e-10) ? S(0) : std::numeric_limits<S>::infinity();
  }
  void prox(In<S> x, S, Out<S> out) const {
    const S n = x.norm();
    out = n > radius ? VecX<S>(x * (radius / n)) : VecX<S>(x);
  }
};

/// Indicator of the ℓ1 ball of radius r (projection: sign(x)·P_simplex(|x|) when outside).
template <class S>
struct L1Ball {
  using Scalar = S;
  S radius;
  S value(In<S> x) const {
    return x.template lpNorm<1>() <= radius * (1 + 1e-10) ? S(0) : std::numeric_limits<S>::infinity();
  }
  void prox(In<S> x, S t, Out<S> out) const {
    if (x.template lpNorm<1>() <= radius) {
      out = x;
      return;
    }
    VecX<S> a = x.cwiseAbs(), p(x.size());
    problems::Simplex<S>{radius}.prox(a, t, p);
    out = (x.array().sign() * p.array()).matrix();
  }
};

/// R_λ for κ (see the table above).
template <class S>
auto composite_term(const SignK&, double lambda) {
  return problems::Box<S>{static_cast<S>(-1 / lambda), static_cast<S>(1 / lambda)};
}
template <class S>
auto composite_term(const HuberK& k, double lambda) {
  return problems::compose(problems::L2<S>{static_cast<S>(k.delta * lambda)},
                           problems::Box<S>{static_cast<S>(-1 / lambda), static_cast<S>(1 / lambda)});
}
template <class S>
auto composite_term(const DeadZoneK& k, double lambda) {
  return problems::compose(problems::L1<S>{static_cast<S>(k.delta)},
                           problems::Box<S>{static_cast<S>(-1 / lambda), static_cast<S>(1 / lambda)});
}
template <class S>
auto composite_term(const QuadraticK&, double lambda) {
  return problems::L2<S>{static_cast<S>(lambda)};
}
template <class S>
auto composite_term(const L2NormK&, double lambda) {
  return L2Ball<S>{static_cast<S>(1 / lambda)};
}
template <class S>
auto composite_term(const LInfK&, double lambda) {
  return L1Ball<S>{static_cast<S>(1 / lambda)};
}
template <class S>
auto composite_term(const RelativisticK& k, double lambda) {
  const S d = static_cast<S>(k.delta), l = static_cast<S>(lambda);
  auto phi = [=](S u) { return -(d / l) * std::sqrt(std::max(S(0), 1 - l * l * u * u)); };
  auto dphi = [=](S u) { return d * l * u / std::sqrt(std::max(std::numeric_limits<S>::min(), 1 - l * l * u * u)); };
  return SeparableBarrier<S, decltype(phi), decltype(dphi)>{static_cast<S>(1 / lambda), phi, dphi};
}
template <class S>
auto composite_term(const LogCoshK& k, double lambda) {
  const S b = static_cast<S>(k.beta), l = static_cast<S>(lambda);
  auto xlogx = [](S t) { return t > S(0) ? t * std::log(t) : S(0); };
  auto phi = [=](S u) { return (xlogx(1 + l * u) + xlogx(1 - l * u)) / (2 * b * l); };
  auto dphi = [=](S u) { return std::atanh(std::clamp(l * u, S(-1), S(1))) / b; };
  return SeparableBarrier<S, decltype(phi), decltype(dphi)>{static_cast<S>(1 / lambda), phi, dphi};
}

}  // namespace convlab::optim
