#pragma once
/// \file
/// A κ chosen at run time: one of the built-in κ of kappa.hpp held by value, for configs and
/// bindings that pick κ by name (`LionK<S, AnyKappa>`). To the type system it is a
/// non-separable κ (it gives `value`, `grad`, ... on whole vectors, one dispatch per call); Lion-κ
/// looks inside (`variant()`) and steps a separable held κ in that κ's own fused loop, the others
/// through its work buffer. The arithmetic is the same as with the concrete κ, so the iterates
/// are the same bits (tests/optim/lion_test.cpp, AnyKappa.*).
/// The names are those of docs/configs.md: `kappa = "sign" | "huber" | ...`.

#include <array>
#include <string_view>
#include <utility>
#include <variant>

#include "kappa.hpp"

namespace convlab::optim {

class AnyKappa {
 public:
  using Variant = std::variant<SignK, HuberK, L2NormK, LInfK, LpNormK, RelativisticK, DeadZoneK, LogCoshK, QuadraticK,
                               NuclearK>;

  AnyKappa() = default;  ///< sign: Lion
  template <class K>
    requires std::is_constructible_v<Variant, K>
  AnyKappa(K kappa) : k_(std::move(kappa)) {}  // NOLINT: implicit, so any built-in κ converts

  const Variant& variant() const { return k_; }

  template <class S> S value(In<S> v) const {
    return std::visit([&](const auto& k) { return kappa_value<std::decay_t<decltype(k)>, S>(k, v); }, k_);
  }
  template <class S> void grad(In<S> v, Out<S> out) const {
    std::visit([&](const auto& k) { kappa_grad<std::decay_t<decltype(k)>, S>(k, v, out); }, k_);
  }
  template <class S> S conjugate(In<S> y) const {
    return std::visit([&](const auto& k) { return kappa_conjugate<std::decay_t<decltype(k)>, S>(k, y); }, k_);
  }
  template <class S> S domain_violation(In<S> y) const {
    return std::visit([&](const auto& k) { return kappa_domain_violation<std::decay_t<decltype(k)>, S>(k, y); }, k_);
  }
  void validate() const {
    std::visit([](const auto& k) { if constexpr (requires { k.validate(); }) k.validate(); }, k_);
  }
  /// The parameter's shape; only the nuclear κ uses it (∇κ of a rows × cols matrix).
  void reshape(Eigen::Index rows, Eigen::Index cols) {
    if (auto* n = std::get_if<NuclearK>(&k_)) *n = NuclearK(rows, cols);
  }

 private:
  Variant k_;
};

/// A built-in κ and its name in configs and bindings.
template <class K>
struct KappaName {
  using type = K;
  std::string_view name;
  std::string_view doc;
};

/// Every built-in κ by name, in the order of kappa.hpp's table.
inline constexpr auto kappa_names = std::tuple{
    KappaName<SignK>{"sign", "κ = ‖·‖₁: Lion, ∇κ = sign; feasible set ‖x‖∞ <= 1/λ"},
    KappaName<HuberK>{"huber", "Σ huber_δ: ∇κ = clip(v/δ, −1, 1)"},
    KappaName<L2NormK>{"l2", "κ = ‖·‖₂: normalized momentum; ‖x‖₂ <= 1/λ"},
    KappaName<LInfK>{"linf", "κ = ‖·‖∞: one coordinate per step; ‖x‖₁ <= 1/λ"},
    KappaName<LpNormK>{"lp", "κ = ‖·‖_p, 1 < p < ∞; ‖x‖_q <= 1/λ"},
    KappaName<RelativisticK>{"relativistic", "Σ √(v² + δ²): ∇κ = v/√(v² + δ²)"},
    KappaName<DeadZoneK>{"dead_zone", "Σ max(|v| − δ, 0): an L1 penalty inside the box"},
    KappaName<LogCoshK>{"log_cosh", "Σ (1/β) log cosh(βv): ∇κ = tanh(βv)"},
    KappaName<QuadraticK>{"quadratic", "½‖v‖²: momentum SGD with decoupled decay"},
    KappaName<NuclearK>{"nuclear", "nuclear norm of the parameter matrix: ∇κ = msign (Muon-like); ‖X‖_op <= 1/λ"},
};

/// Calls fn(KappaName<K>) for the κ called `name`; false when no κ has that name.
template <class Fn>
bool with_kappa_named(std::string_view name, Fn&& fn) {
  bool found = false;
  std::apply([&](const auto&... entry) { ((!found && entry.name == name ? (fn(entry), found = true) : false), ...); },
             kappa_names);
  return found;
}

}  // namespace convlab::optim
