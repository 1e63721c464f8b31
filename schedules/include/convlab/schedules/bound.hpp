#pragma once
/// \file
/// The last-iterate bound of the refined-schedules paper (Defazio et al. 2023, Thm 10 as
/// implemented by Schaipp et al. 2025), for any step sizes and gradient-norm record. With
/// 1-based t, x_{t+1} = x_t − η_t g_t and convex f, D = ‖x_1 − x*‖, G_t = ‖g_t‖:
///
///   f(x_T) − f* ≤ (D² + Σ_{t=1}^T η_t² G_t²) / (2 Σ_{t=1}^T η_t)
///              + ½ Σ_{k=1}^{T−1} [η_k / Σ_{t=k+1}^T η_t] · [Σ_{t=k}^T η_t² G_t² / Σ_{t=k}^T η_t]
///
/// The bound is on x_T, which η_1..η_{T−1} produce; η_T and G_T enter only the bound. In
/// 0-based arrays of length T it is the iterate before eta[T−1] is applied. Suffix sums are
/// accumulated backwards with compensation (never as total − prefix, which cancels).
/// If some η_k > 0 is followed only by zero steps the bound is +∞ (vacuous).
///
/// The weight form: for weights w > 0, steps η_t = w_t·(Σ_{p>t} w_p)/(Σ w) give
///   f(x_T) − f* ≤ Φ(w) = (D² + Σ w_t² G_t²) / (2 Σ w_t).

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "detail/require.hpp"

namespace convlab::schedules {

namespace detail {
/// Neumaier-compensated running sum.
struct CompensatedSum {
  double sum = 0, c = 0;
  void add(double v) {
    const double t = sum + v;
    c += std::abs(sum) >= std::abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
  double value() const { return sum + c; }
};

inline void check_record(std::span<const double> a, std::span<const double> b, const char* who) {
  require(a.size() == b.size(), who, "norms.size()", b.size(), "one norm per step");
  require(!a.empty(), who, "steps", a.size(), ">= 1");
}
}  // namespace detail

/// The bound above for steps `eta` (η ≥ 0, not all 0) and norms `norms` (G ≥ 0), distance D.
inline double last_iterate_bound(std::span<const double> eta, std::span<const double> norms, double D) {
  detail::check_record(eta, norms, "last_iterate_bound");
  detail::require(D >= 0, "last_iterate_bound", "D", D, "D >= 0");
  const std::size_t T = eta.size();
  for (std::size_t t = 0; t < T; ++t) {
    detail::require(eta[t] >= 0 && std::isfinite(eta[t]), "last_iterate_bound", "eta[t]", eta[t], "0 <= eta < inf");
    detail::require(norms[t] >= 0 && std::isfinite(norms[t]), "last_iterate_bound", "norms[t]", norms[t], "0 <= G < inf");
  }
  // Backward pass: B = Σ_{t>=k} η_t, C = Σ_{t>=k} η_t² G_t², A = Σ_{t>k} η_t.
  detail::CompensatedSum B, C;
  double second = 0;
  for (std::size_t k = T; k-- > 0;) {
    const double A = B.value();
    B.add(eta[k]);
    C.add(eta[k] * eta[k] * norms[k] * norms[k]);
    if (k + 1 < T && eta[k] > 0) {
      if (A <= 0) return std::numeric_limits<double>::infinity();
      second += eta[k] / A * (C.value() / B.value());
    }
  }
  detail::require(B.value() > 0, "last_iterate_bound", "sum(eta)", B.value(), "> 0");
  return (D * D + C.value()) / (2 * B.value()) + second / 2;
}

/// The bound for a schedule run for norms.size() steps: η_t = schedule(t), t = 0..T−1.
/// Compare two schedules on your own norm record by evaluating both.
template <class Schedule>
  requires std::invocable<const Schedule&, std::int64_t>
double last_iterate_bound(const Schedule& schedule, std::span<const double> norms, double D) {
  std::vector<double> eta(norms.size());
  for (std::size_t t = 0; t < eta.size(); ++t) eta[t] = static_cast<double>(schedule(static_cast<std::int64_t>(t)));
  return last_iterate_bound(std::span<const double>(eta), norms, D);
}

/// A bound on the iterate after *all* T steps of a run, f(x_{T+1}) − f* ≤ at_zero_distance +
/// per_squared_distance·D². It is the bound above for T + 1 steps whose last step size e never
/// moves x (it enters only the bound), with G_{T+1} = `final_norm`, the norm of the (sub)gradient
/// at the final iterate. The inequality holds for every e > 0, so `extra_step` is the e that
/// minimizes the bound at distance D, searched on a log grid and refined by golden section;
/// with that e fixed the affine form holds for every distance, not only D.
struct FinalIterateBound {
  double value;                 ///< at_zero_distance + per_squared_distance·D²
  double at_zero_distance;      ///< the bound at D = 0
  double per_squared_distance;  ///< 1 / (2 Σ η), the coefficient of D²
  double extra_step;            ///< the free last step size e the form was evaluated at
};

inline FinalIterateBound final_iterate_bound(std::span<const double> eta, std::span<const double> norms, double final_norm,
                                             double D) {
  detail::check_record(eta, norms, "final_iterate_bound");
  detail::require(final_norm >= 0 && std::isfinite(final_norm), "final_iterate_bound", "final_norm", final_norm,
                  "0 <= final_norm < inf");
  std::vector<double> e_eta(eta.begin(), eta.end()), e_norms(norms.begin(), norms.end());
  e_norms.push_back(final_norm);
  e_eta.push_back(0);
  auto at = [&](double e) {  // the bound's two coefficients with last step e
    e_eta.back() = e;
    const double zero = last_iterate_bound(e_eta, e_norms, 0.0);
    detail::CompensatedSum sum;
    for (double v : e_eta) sum.add(v);
    const double per = 1 / (2 * sum.value());
    return FinalIterateBound{zero + per * D * D, zero, per, e};
  };
  detail::CompensatedSum total;
  for (double v : eta) total.add(v);
  const double scale = total.value() > 0 ? total.value() : 1.0;
  // Grid e = scale·2^j, j = −60..20, then golden section on log e between the best's neighbours.
  FinalIterateBound best = at(scale * std::ldexp(1.0, -60));
  int best_j = -60;
  for (int j = -59; j <= 20; ++j) {
    const auto b = at(scale * std::ldexp(1.0, j));
    if (b.value < best.value) best = b, best_j = j;
  }
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(scale) + (best_j - 1) * std::log(2.0), hi = lo + 2 * std::log(2.0);
  for (int it = 0; it < 40; ++it) {
    const double m1 = hi - phi * (hi - lo), m2 = lo + phi * (hi - lo);
    const auto b1 = at(std::exp(m1)), b2 = at(std::exp(m2));
    if (b1.value < best.value) best = b1;
    if (b2.value < best.value) best = b2;
    if (b1.value < b2.value) hi = m2;
    else lo = m1;
  }
  return best;
}

/// Φ(w) = (D² + Σ w_t² G_t²) / (2 Σ w_t).
inline double weight_form_bound(std::span<const double> w, std::span<const double> norms, double D) {
  detail::check_record(w, norms, "weight_form_bound");
  detail::CompensatedSum num, den;
  num.add(D * D);
  for (std::size_t t = 0; t < w.size(); ++t) {
    detail::require(w[t] > 0 && std::isfinite(w[t]), "weight_form_bound", "w[t]", w[t], "0 < w < inf");
    num.add(w[t] * w[t] * norms[t] * norms[t]);
    den.add(w[t]);
  }
  return num.value() / (2 * den.value());
}

/// Steps from weights: η_t = w_t·(Σ_{p>t} w_p)/(Σ_p w_p), so η_{T} = 0.
inline std::vector<double> steps_from_weights(std::span<const double> w) {
  std::vector<double> eta(w.size());
  detail::CompensatedSum tail;
  for (std::size_t t = w.size(); t-- > 0;) {
    eta[t] = w[t] * tail.value();
    tail.add(w[t]);
  }
  for (double& e : eta) e /= tail.value();
  return eta;
}

}  // namespace convlab::schedules
