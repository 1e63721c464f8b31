#pragma once
/// \file
/// The κ of Lion-κ (Chen, Liu, Liang, Liu 2024, "Lion secretly solves constrained
/// optimization"): a convex function whose gradient ∇κ is the update direction. Lion-κ with
/// decoupled weight decay λ minimizes f(x) + (1/λ)·κ*(λx), so the feasible set is
/// {x : λx ∈ dom κ*}.
///
/// | κ            | κ(v)                      | ∇κ(v)                           | κ*(y)                                   |
/// |--------------|---------------------------|---------------------------------|-----------------------------------------|
/// | SignK (L1)   | ‖v‖₁                      | sign(v) (0 at 0; NaN, ±∞ → NaN) | ι{‖y‖∞ ≤ 1}                              |
/// | L2NormK      | ‖v‖₂                      | v/‖v‖₂ (0 at 0)                 | ι{‖y‖₂ ≤ 1}                              |
/// | LpNormK{p}   | ‖v‖_p, 1 < p < ∞          | sign(v)|v|^(p−1)/‖v‖_p^(p−1)    | ι{‖y‖_q ≤ 1}, 1/p + 1/q = 1              |
/// | LInfK        | ‖v‖∞                      | sign(v_i*)e_i*, first argmax    | ι{‖y‖₁ ≤ 1}                              |
/// | HuberK{δ}    | Σ huber_δ(v_i)            | clip(v/δ, −1, 1)                | (δ/2)‖y‖² + ι{‖y‖∞ ≤ 1}                  |
/// | RelativisticK{δ} | Σ √(v_i² + δ²)        | v/√(v² + δ²)                    | −δΣ√(1 − y_i²) + ι{‖y‖∞ ≤ 1}             |
/// | DeadZoneK{δ} | Σ max(|v_i| − δ, 0)       | sign(v)·1{|v| > δ}              | δ‖y‖₁ + ι{‖y‖∞ ≤ 1}                      |
/// | LogCoshK{β}  | Σ (1/β) log cosh(βv_i)    | tanh(βv)                        | (1/2β)Σ[(1+y)ln(1+y) + (1−y)ln(1−y)] + ι |
/// | QuadraticK   | ½‖v‖²                     | v                               | ½‖y‖²                                    |
/// | NuclearK     | ‖V‖_* (matrix-shaped)     | U Vᵀ (msign, Newton–Schulz)     | ι{‖Y‖_op ≤ 1}                            |
///
/// Concepts: a `Kappa` has `value(v)`, `grad(v, out)` (out may alias v), `conjugate(y)` (+∞
/// outside the domain) and `domain_violation(y)` (how far y is outside dom κ*, in the norm
/// that defines it; 0 inside). A `SeparableKappa` gives scalar forms `value1`, `grad1`,
/// `conjugate1` plus `box = true` when dom κ* is the unit box; its vector forms are derived,
/// and Lion-κ steps it in one fused, allocation-free pass. A user's own κ is such a small struct.

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <type_traits>

#include <Eigen/SVD>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/fields.hpp>
#include <convlab/optim/detail/packed_gemm.hpp>

namespace convlab::optim {

template <class K, class S = double>
concept SeparableKappa = std::floating_point<S> && requires(const K& k, S v) {
  { k.value1(v) } -> std::convertible_to<S>;
  { k.grad1(v) } -> std::convertible_to<S>;
  { k.conjugate1(v) } -> std::convertible_to<S>;
};

template <class K, class S = double>
concept Kappa = SeparableKappa<K, S> || requires(const K& k, In<S> v, Out<S> out) {
  { k.value(v) } -> std::convertible_to<S>;
  k.grad(v, out);
  { k.conjugate(v) } -> std::convertible_to<S>;
  { k.domain_violation(v) } -> std::convertible_to<S>;
};

namespace detail {
template <class S>
S sign_keep_nan(S v) {
  if (v != v) return v;  // NaN propagates (torch/jax behaviour), never hidden as 0
  return static_cast<S>((v > S(0)) - (v < S(0)));
}
template <class S>
constexpr S inf() {
  return std::numeric_limits<S>::infinity();
}
}  // namespace detail

// ---- separable κ (dom κ* = unit box unless stated) -------------------------------------

/// κ = ‖·‖₁: Lion.
struct SignK {
  template <class S> S value1(S v) const { return std::abs(v); }
  /// Branch-free so the step loop vectorizes; v − v turns NaN (and ±∞) into NaN.
  template <class S> S grad1(S v) const {
    return static_cast<S>(v > S(0)) - static_cast<S>(v < S(0)) + (v - v);
  }
  template <class S> S conjugate1(S y) const { return std::abs(y) <= S(1) ? S(0) : detail::inf<S>(); }
};

/// Σ huber_δ: ∇κ = clip(v/δ, −1, 1) (optax scale_by_lion mode 'refined' with δ = 1).
struct HuberK {
  double delta = 1.0;
  static constexpr std::string_view type_name = "HuberK";
  static constexpr auto fields() {
    return std::tuple{field("delta", &HuberK::delta, "delta > 0", [](double v) { return v > 0 && std::isfinite(v); },
                            "width of the quadratic zone of ∇κ = clip(v/δ, −1, 1)")};
  }
  void validate() const { validate_fields(*this); }
  template <class S> S value1(S v) const {
    const S d = static_cast<S>(delta), a = std::abs(v);
    return a <= d ? v * v / (2 * d) : a - d / 2;
  }
  template <class S> S grad1(S v) const { return std::clamp(v / static_cast<S>(delta), S(-1), S(1)); }
  template <class S> S conjugate1(S y) const {
    return std::abs(y) <= S(1) ? static_cast<S>(delta) / 2 * y * y : detail::inf<S>();
  }
};

/// Σ √(v² + δ²): ∇κ = v/√(v² + δ²); the solution stays strictly inside the box.
struct RelativisticK {
  double delta = 1.0;
  static constexpr std::string_view type_name = "RelativisticK";
  static constexpr auto fields() {
    return std::tuple{field("delta", &RelativisticK::delta, "delta > 0", [](double v) { return v > 0 && std::isfinite(v); },
                            "∇κ = v/√(v² + δ²)")};
  }
  void validate() const { validate_fields(*this); }
  template <class S> S value1(S v) const { return std::hypot(v, static_cast<S>(delta)); }
  template <class S> S grad1(S v) const { return v / std::hypot(v, static_cast<S>(delta)); }
  template <class S> S conjugate1(S y) const {
    if (std::abs(y) > S(1)) return detail::inf<S>();
    return -static_cast<S>(delta) * std::sqrt(std::max(S(0), S(1) - y * y));  // clamp near the boundary
  }
};

/// Σ max(|v| − δ, 0): ∇κ = sign(v)·1{|v| > δ}; solves an L1-penalized problem in the box.
struct DeadZoneK {
  double delta = 0.1;
  static constexpr std::string_view type_name = "DeadZoneK";
  static constexpr auto fields() {
    return std::tuple{field("delta", &DeadZoneK::delta, "delta >= 0", [](double v) { return v >= 0 && std::isfinite(v); },
                            "dead zone: ∇κ = 0 where |v| <= δ")};
  }
  void validate() const { validate_fields(*this); }
  template <class S> S value1(S v) const { return std::max(std::abs(v) - static_cast<S>(delta), S(0)); }
  template <class S> S grad1(S v) const { return std::abs(v) > static_cast<S>(delta) ? detail::sign_keep_nan(v) : (v != v ? v : S(0)); }
  template <class S> S conjugate1(S y) const {
    return std::abs(y) <= S(1) ? static_cast<S>(delta) * std::abs(y) : detail::inf<S>();
  }
};

/// Σ (1/β) log cosh(βv): ∇κ = tanh(βv) (optax mode 'smooth').
struct LogCoshK {
  double beta = 1.0;
  static constexpr std::string_view type_name = "LogCoshK";
  static constexpr auto fields() {
    return std::tuple{field("beta", &LogCoshK::beta, "beta > 0", [](double v) { return v > 0 && std::isfinite(v); },
                            "sharpness: ∇κ = tanh(βv)")};
  }
  void validate() const { validate_fields(*this); }
  template <class S> S value1(S v) const {
    const S b = static_cast<S>(beta), a = std::abs(b * v);
    return (a + std::log1p(std::exp(-2 * a)) - std::log(S(2))) / b;  // log cosh without overflow
  }
  template <class S> S grad1(S v) const { return std::tanh(static_cast<S>(beta) * v); }
  template <class S> S conjugate1(S y) const {
    const S a = std::abs(y);
    if (a > S(1)) return detail::inf<S>();
    auto xlogx = [](S t) { return t > S(0) ? t * std::log(t) : S(0); };
    return (xlogx(1 + a) + xlogx(1 - a)) / (2 * static_cast<S>(beta));
  }
};

/// ½‖v‖²: momentum SGD with decoupled weight decay; dom κ* is everything.
struct QuadraticK {
  static constexpr bool unbounded = true;
  template <class S> S value1(S v) const { return v * v / 2; }
  template <class S> S grad1(S v) const { return v; }
  template <class S> S conjugate1(S y) const { return y * y / 2; }
};

/// Vector forms of a separable κ.
template <class K, class S>
  requires SeparableKappa<K, S>
S kappa_value(const K& k, In<S> v) {
  S s = 0;
  for (Eigen::Index i = 0; i < v.size(); ++i) s += k.value1(v[i]);
  return s;
}
template <class K, class S>
  requires SeparableKappa<K, S>
void kappa_grad(const K& k, In<S> v, Out<S> out) {
  for (Eigen::Index i = 0; i < v.size(); ++i) out[i] = k.grad1(v[i]);
}
template <class K, class S>
  requires SeparableKappa<K, S>
S kappa_conjugate(const K& k, In<S> y) {
  S s = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) s += k.conjugate1(y[i]);
  return s;
}
/// How far y lies outside dom κ*: max(0, ‖y‖∞ − 1) for box domains, 0 for QuadraticK.
template <class K, class S>
  requires SeparableKappa<K, S>
S kappa_domain_violation(const K&, In<S> y) {
  if constexpr (requires { K::unbounded; }) return S(0);
  else return std::max(S(0), y.template lpNorm<Eigen::Infinity>() - S(1));
}

// ---- non-separable κ ------------------------------------------------------------------

/// κ = ‖·‖₂: normalized momentum; feasible set ‖x‖₂ ≤ 1/λ.
struct L2NormK {
  template <class S> S value(In<S> v) const { return v.norm(); }
  template <class S> void grad(In<S> v, Out<S> out) const {
    const S n = v.norm();
    if (n == S(0)) out.setZero();
    else out = v / n;
  }
  template <class S> S conjugate(In<S> y) const {
    return y.norm() <= S(1) * (1 + 64 * std::numeric_limits<S>::epsilon()) ? S(0) : detail::inf<S>();  // ∇κ has norm 1 up to rounding
  }
  template <class S> S domain_violation(In<S> y) const { return std::max(S(0), y.norm() - S(1)); }
};

/// κ = ‖·‖_p, 1 < p < ∞; feasible set ‖x‖_q ≤ 1/λ. The direction is computed on v/‖v‖∞
/// (scale-invariant), so large |v| and p neither overflow nor underflow.
struct LpNormK {
  double p = 3.0;
  static constexpr std::string_view type_name = "LpNormK";
  static constexpr auto fields() {
    return std::tuple{field("p", &LpNormK::p, "1 < p < inf", [](double v) { return v > 1 && v < 1e6; },
                            "the norm ‖·‖_p; feasible set ‖x‖_q <= 1/λ")};
  }
  void validate() const { validate_fields(*this); }
  double q() const { return p / (p - 1); }
  template <class S> S value(In<S> v) const {
    const S m = v.template lpNorm<Eigen::Infinity>();
    if (m == S(0)) return S(0);
    return m * std::pow((v.array().abs() / m).pow(static_cast<S>(p)).sum(), S(1) / static_cast<S>(p));
  }
  template <class S> void grad(In<S> v, Out<S> out) const {
    const S m = v.template lpNorm<Eigen::Infinity>();
    if (m == S(0)) {
      out.setZero();
      return;
    }
    const S pp = static_cast<S>(p);
    S sum = 0;
    for (Eigen::Index i = 0; i < v.size(); ++i) sum += std::pow(std::abs(v[i]) / m, pp);
    const S norm_pm1 = std::pow(sum, (pp - 1) / pp);  // ‖v/m‖_p^(p−1)
    for (Eigen::Index i = 0; i < v.size(); ++i)
      out[i] = detail::sign_keep_nan(v[i]) * std::pow(std::abs(v[i]) / m, pp - 1) / norm_pm1;
  }
  template <class S> S dual_norm(In<S> y) const {
    const S m = y.template lpNorm<Eigen::Infinity>();
    if (m == S(0)) return S(0);
    return m * std::pow((y.array().abs() / m).pow(static_cast<S>(q())).sum(), S(1) / static_cast<S>(q()));
  }
  template <class S> S conjugate(In<S> y) const { return dual_norm(y) <= S(1) * (1 + 64 * std::numeric_limits<S>::epsilon()) ? S(0) : detail::inf<S>(); }
  template <class S> S domain_violation(In<S> y) const { return std::max(S(0), dual_norm(y) - S(1)); }
};

/// κ = ‖·‖∞: one coordinate per step (the first of the argmax set); feasible set ‖x‖₁ ≤ 1/λ.
struct LInfK {
  template <class S> S value(In<S> v) const { return v.template lpNorm<Eigen::Infinity>(); }
  template <class S> void grad(In<S> v, Out<S> out) const {
    Eigen::Index best = 0;
    for (Eigen::Index i = 1; i < v.size(); ++i)
      if (std::abs(v[i]) > std::abs(v[best])) best = i;
    const S s = v.size() ? detail::sign_keep_nan(v[best]) : S(0);
    out.setZero();
    if (v.size()) out[best] = s;
  }
  template <class S> S conjugate(In<S> y) const {
    return y.template lpNorm<1>() <= S(1) * (1 + 64 * std::numeric_limits<S>::epsilon()) ? S(0) : detail::inf<S>();
  }
  template <class S> S domain_violation(In<S> y) const { return std::max(S(0), y.template lpNorm<1>() - S(1)); }
};

template <class K, class S>
S kappa_value(const K& k, In<S> v) requires(!SeparableKappa<K, S>) { return k.template value<S>(v); }
template <class K, class S>
void kappa_grad(const K& k, In<S> v, Out<S> out) requires(!SeparableKappa<K, S>) { k.template grad<S>(v, out); }
template <class K, class S>
S kappa_conjugate(const K& k, In<S> y) requires(!SeparableKappa<K, S>) { return k.template conjugate<S>(y); }
template <class K, class S>
S kappa_domain_violation(const K& k, In<S> y) requires(!SeparableKappa<K, S>) { return k.template domain_violation<S>(y); }

}  // namespace convlab::optim

namespace convlab::optim {

/// κ = nuclear norm of a matrix-shaped parameter (rows × cols, column-major): ∇κ(V) = msign(V)
/// = U Vᵀ from V = UΣVᵀ, so Lion-κ is Muon-like and the feasible set is ‖X‖_op ≤ 1/λ.
/// msign is computed by the Newton–Schulz iteration X ← 1.5X − 0.5·X·(XᵀX) from V/‖V‖_F until
/// it stops changing (at most 100 steps); zero singular values stay zero. Products run Eigen's
/// blocked kernel serially over buffers allocated on first use (detail/packed_gemm.hpp): no
/// allocation in a step, same bits for any thread count and machine.
/// Not separable: Lion-κ needs the shape (a tensor's rows × cols, param_groups.hpp); the buffers make a
/// NuclearK object single-threaded.
struct NuclearK {
  Eigen::Index rows = 0, cols = 0;
  mutable int last_iterations = 0;  ///< Newton–Schulz iterations of the latest grad (diagnostics)
  NuclearK() = default;
  NuclearK(Eigen::Index r, Eigen::Index c) : rows(r), cols(c) {}

  template <class S> S value(In<S> v) const {
    return Eigen::JacobiSVD<MatX<S>>(as_matrix<S>(v)).singularValues().sum();  // diagnostics only
  }
  template <class S> S op_norm(In<S> v) const {
    const auto sv = Eigen::JacobiSVD<MatX<S>>(as_matrix<S>(v)).singularValues();
    return sv.size() ? sv[0] : S(0);
  }
  template <class S> S conjugate(In<S> y) const {
    return op_norm<S>(y) <= S(1) * (1 + 64 * std::numeric_limits<S>::epsilon()) ? S(0) : detail::inf<S>();
  }
  template <class S> S domain_violation(In<S> y) const { return std::max(S(0), op_norm<S>(y) - S(1)); }

  template <class S> void grad(In<S> v, Out<S> out) const {
    convlab::detail::require_size(v.size(), rows * cols, "NuclearK::grad: v (rows * cols)");
    auto& w = workspace<S>();
    const bool tall = rows >= cols;
    w.X = as_matrix<S>(v);
    const S fro = w.X.norm();
    if (fro == S(0) || !std::isfinite(fro)) {
      out = v * S(0) / (fro == S(0) ? S(1) : fro);  // zeros, or NaN propagated
      return;
    }
    w.X /= fro;
    last_iterations = 0;
    for (int it = 0; it < 100; ++it) {
      ++last_iterations;
      w.G.setZero();
      w.Y = S(1.5) * w.X;
      if (tall) {  // Y = 1.5X − 0.5·X·(XᵀX)
        w.gemm.template add<true, false>(w.G, S(1), w.X, w.X);
        w.gemm.template add<false, false>(w.Y, S(-0.5), w.X, w.G);
      } else {  // the same through X·Xᵀ, the smaller Gram matrix
        w.gemm.template add<false, true>(w.G, S(1), w.X, w.X);
        w.gemm.template add<false, false>(w.Y, S(-0.5), w.G, w.X);
      }
      const S change = (w.Y - w.X).norm();
      w.X.swap(w.Y);
      if (change <= S(16) * std::numeric_limits<S>::epsilon() * std::sqrt(static_cast<S>(std::min(rows, cols)))) break;
    }
    out = Eigen::Map<const VecX<S>>(w.X.data(), rows * cols);
  }

 private:
  template <class S>
  struct Workspace {
    MatX<S> X, Y, G;
    detail::PackedGemm<S> gemm;
  };
  template <class S> Workspace<S>& workspace() const {
    auto& w = [this]() -> Workspace<S>& {
      if constexpr (std::is_same_v<S, float>) return ws_f_;
      else return ws_d_;
    }();
    const Eigen::Index k = std::min(rows, cols);
    if (w.X.rows() != rows || w.X.cols() != cols) {  // first use for this shape: allocate once
      w.X.resize(rows, cols);
      w.Y.resize(rows, cols);
      w.G.resize(k, k);
      w.gemm.reserve(std::max(rows, cols), std::max(rows, cols), std::max(rows, cols));
    }
    return w;
  }
  template <class S> Eigen::Map<const MatX<S>> as_matrix(In<S> v) const { return {v.data(), rows, cols}; }
  mutable Workspace<float> ws_f_;
  mutable Workspace<double> ws_d_;
};

}  // namespace convlab::optim
