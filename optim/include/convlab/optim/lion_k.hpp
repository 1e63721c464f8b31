#pragma once
/// \file
/// Lion-κ (Chen, Liu, Liang, Liu 2024) and Lion (Chen et al. 2023) as κ = ‖·‖₁.
///
/// Update, in the reference order (google/automl lion_pytorch.py), momentum m tracking +g:
///   c = β₁·m + (1 − β₁)·g          (the OLD momentum)
///   x ← x·(1 − lr·λ) + lr·∇κ(−c)    (decoupled decay scaled by the current lr; for even κ
///                                    this is x − lr·∇κ(c), i.e. Lion's x − lr·sign(c))
///   m ← β₂·m + (1 − β₂)·g
/// The paper's form uses M = −m; ∇κ(−c) keeps it literal for a κ that is not even.
/// With λ > 0 it solves min f(x) + (1/λ)κ*(λx): for Lion, min f subject to ‖x‖∞ ≤ 1/λ, and
/// the box is invariant once lr·λ ≤ 1 (not enforced: a schedule may start higher; see
/// docs/optim.md). Defaults β₁ = 0.9, β₂ = 0.99, λ = 0 (automl reference).
///
/// `step` works in place on the caller's memory, never allocates, and for separable κ is one
/// fused OpenMP loop (elementwise: the same result for any thread count). Non-separable κ
/// (L2, Lp, L∞, nuclear) use one state buffer per parameter tensor. A model's tensors step
/// through the parameter-group API (param_groups.hpp), each with its own shape; a vector-norm
/// κ then acts per tensor, the nuclear κ per matrix.

#include <variant>
#include <vector>

#include <convlab/core/fields.hpp>

#include "detail/cpu_dispatch.hpp"
#include <convlab/core/parallel.hpp>
#include "kappa.hpp"
#include "optimizer.hpp"

namespace convlab::optim {

struct LionOptions {
  double beta1 = 0.9;         ///< interpolation, 0 <= β₁ < 1
  double beta2 = 0.99;        ///< momentum, 0 <= β₂ < 1
  double weight_decay = 0.0;  ///< λ >= 0, decoupled, multiplied by the current lr; radius 1/λ

  static constexpr std::string_view type_name = "LionOptions";
  static constexpr auto fields() {
    using O = LionOptions;
    return std::tuple{
        field("beta1", &O::beta1, "0 <= beta1 < 1", [](double v) { return v >= 0 && v < 1; },
              "interpolation between momentum and gradient β₁"),
        field("beta2", &O::beta2, "0 <= beta2 < 1", [](double v) { return v >= 0 && v < 1; }, "momentum decay β₂"),
        field("weight_decay", &O::weight_decay, "0 <= weight_decay < inf",
              [](double v) { return v >= 0 && std::isfinite(v); },
              "decoupled decay λ, multiplied by the lr; the solution lies in {x : λx ∈ dom κ*}")};
  }
  void validate() const { validate_fields(*this); }
};

namespace detail {
template <class S>
struct LionCoefficients {
  S b1, b2, decay, lr;
};
// One entry of the fused step; inlined into both loops below, so each vectorizes at its width.
template <class S, class Sep>
[[gnu::always_inline]] inline void lion_entry(S* x, const S* g, S* m, Eigen::Index i, const Sep& k, const LionCoefficients<S>& c) {
  const S d = c.b1 * m[i] + (1 - c.b1) * g[i];
  x[i] = x[i] * c.decay + c.lr * static_cast<S>(k.grad1(-d));
  m[i] = c.b2 * m[i] + (1 - c.b2) * g[i];
}
template <class S, class Sep>
void lion_entries(S* x, const S* g, S* m, Eigen::Index n, const Sep& k, const LionCoefficients<S>& c) {
  for (Eigen::Index i = 0; i < n; ++i) lion_entry(x, g, m, i, k, c);
}
#if CONVLAB_X86_64_DISPATCH
template <class S, class Sep>
[[gnu::target("avx2")]] void lion_entries_avx2(S* x, const S* g, S* m, Eigen::Index n, const Sep& k, const LionCoefficients<S>& c) {
  for (Eigen::Index i = 0; i < n; ++i) lion_entry(x, g, m, i, k, c);
}
#endif
}  // namespace detail

template <class S = double, class K = SignK>
  requires Kappa<K, S>
class LionK : public detail::VectorArguments<LionK<S, K>, S> {
 public:
  using detail::VectorArguments<LionK, S>::init;  // a matrix steps as its whole storage
  using detail::VectorArguments<LionK, S>::step;
  using Scalar = S;
  using Options = LionOptions;
  static constexpr std::string_view name = "LionK";
  using KappaType = K;
  static constexpr bool separable = SeparableKappa<K, S>;

  struct State {
    VecX<S> m;     ///< momentum (tracks +gradient)
    VecX<S> work;  ///< direction buffer, non-separable κ only
    K kappa;       ///< this tensor's κ (carries the shape for the nuclear norm)
    auto saved() { return std::tie(m); }  ///< what state_io.hpp saves (work and κ come from init)
    auto saved() const { return std::tie(m); }
  };

  explicit LionK(const LionOptions& options = {}, K kappa = {}) : opt_(options), kappa_(std::move(kappa)) {
    opt_.validate();
    if constexpr (requires { kappa_.validate(); }) kappa_.validate();
  }
  const LionOptions& options() const { return opt_; }
  const K& kappa() const { return kappa_; }

  /// One parameter vector. With NuclearK, the κ given to the constructor carries its shape.
  State init(In<S> x) const {
    if constexpr (std::is_same_v<K, NuclearK>) {
      detail::require_size(x.size(), kappa_.rows * kappa_.cols, "LionK<NuclearK>::init: x (the kappa's rows * cols)");
    }
    return make_state(x.size(), kappa_);  // a run-time κ (AnyKappa) keeps the shape it was given too
  }

  void step(Out<S> x, In<S> g, State& st, S lr) const {
    detail::check_step_sizes(x.size(), g.size(), st.m.size(), "LionK");
    step_raw(x.data(), g.data(), x.size(), st, lr);
  }

  /// One tensor of a list or group (param_groups.hpp): a vector-norm κ acts on this tensor, the
  /// nuclear κ on its rows × cols matrix.
  State init(In<S> x, Eigen::Index rows, Eigen::Index cols) const {
    detail::require_size(x.size(), rows * cols, "LionK::init: the tensor (rows * cols)");
    K kappa = kappa_;
    if constexpr (std::is_same_v<K, NuclearK>) kappa = NuclearK(rows, cols);
    else if constexpr (requires { kappa.reshape(rows, cols); }) kappa.reshape(rows, cols);
    return make_state(x.size(), std::move(kappa));
  }

 private:
  State make_state(Eigen::Index n, K kappa) const {
    State st{VecX<S>::Zero(n), VecX<S>(), std::move(kappa)};
    if constexpr (!separable) {
      st.work = VecX<S>::Zero(n);
      kappa_grad<K, S>(st.kappa, st.m, st.work);  // sizes κ's own buffers now, not in the first step
    }
    return st;
  }

  void step_raw(S* xp, const S* gp, Eigen::Index n, State& st, S lr) const {
    if constexpr (separable) {
      fused(xp, gp, n, st.m.data(), st.kappa, lr);
    } else if constexpr (requires { st.kappa.variant(); }) {
      // A κ chosen at run time (AnyKappa): a separable one takes the same fused loop as its
      // concrete type (same bits, one pass); the others the buffered path.
      const bool done = std::visit(
          [&](const auto& k) {
            if constexpr (SeparableKappa<std::decay_t<decltype(k)>, S>) {
              fused(xp, gp, n, st.m.data(), k, lr);
              return true;
            } else {
              return false;
            }
          },
          st.kappa.variant());
      if (!done) buffered(xp, gp, n, st, lr);
    } else {
      buffered(xp, gp, n, st, lr);
    }
  }

  // x ← x·(1 − lr·λ) + lr·∇κ(−c) and m ← β₂m + (1 − β₂)g in one elementwise pass, compiled
  // for AVX2 too and that taken at run time when the CPU has it (detail/cpu_dispatch.hpp): the
  // same bits, twice the speed of a portable build's SSE2 on tensors in cache.
  template <class Sep>
  void fused(S* xp, const S* gp, Eigen::Index n, S* mp, const Sep& k, S lr) const {
    const detail::LionCoefficients<S> c{.b1 = static_cast<S>(opt_.beta1),
                                        .b2 = static_cast<S>(opt_.beta2),
                                        .decay = static_cast<S>(1 - static_cast<double>(lr) * opt_.weight_decay),
                                        .lr = lr};
    convlab::for_each_chunk(n, [&](Eigen::Index b, Eigen::Index len) {
#if CONVLAB_X86_64_DISPATCH
      if (detail::use_avx2()) return detail::lion_entries_avx2(xp + b, gp + b, mp + b, len, k, c);
#endif
      detail::lion_entries(xp + b, gp + b, mp + b, len, k, c);
    });
  }

  // A κ on the whole vector: the direction argument into the work buffer, ∇κ in place, then the update.
  void buffered(S* xp, const S* gp, Eigen::Index n, State& st, S lr) const {
    const S b1 = static_cast<S>(opt_.beta1), b2 = static_cast<S>(opt_.beta2);
    const S decay = static_cast<S>(1 - static_cast<double>(lr) * opt_.weight_decay);
    S *mp = st.m.data(), *wp = st.work.data();
    convlab::for_each_index(n, [=](Eigen::Index i) { wp[i] = -(b1 * mp[i] + (1 - b1) * gp[i]); });
    kappa_grad<K, S>(st.kappa, st.work, st.work);
    convlab::for_each_index(n, [=](Eigen::Index i) {
      xp[i] = xp[i] * decay + lr * wp[i];
      mp[i] = b2 * mp[i] + (1 - b2) * gp[i];
    });
  }

  LionOptions opt_;
  K kappa_;
};

/// Lion: κ = ‖·‖₁, ∇κ = sign.
template <class S = double>
using Lion = LionK<S, SignK>;

}  // namespace convlab::optim
