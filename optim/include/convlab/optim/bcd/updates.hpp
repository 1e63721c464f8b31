#pragma once
/// \file
/// Update policies of block coordinate descent: the step on the chosen block.
///
/// | policy                   | step d on block b                          | guaranteed decrease recorded     |
/// |--------------------------|--------------------------------------------|----------------------------------|
/// | `GradientUpdate`         | −g_b/L_b, L_b = λ_max(H_b) (cached for FB)  | ‖g_b‖²/(2L_b)                    |
/// | `GlobalGradientUpdate`   | −g_b/L, L = max_b L_b (FB) or Σ of the τ largest L_i (VB) | ‖g_b‖²/(2L)   |
/// | `AdaptiveGradientUpdate` | −g_b/L̂, L̂ = max_{i∈b} ℓ_i doubled until f decreases by ‖g_b‖²/(2L̂) ("LA") | ‖g_b‖²/(2L̂) |
/// | `MatrixUpdate`           | −H_b⁻¹g_b with the block bound H_b ("Hb"; exact block minimization on quadratics) | ½g_bᵀH_b⁻¹g_b |
/// | `NewtonUpdate`           | α·(−∇²_bb f⁻¹ g_b), Armijo backtracking    | c₁·α·\|g_bᵀd\| (the Armijo guarantee) |
///
/// Every update measures the actual decrease with the problem's `decrease` (over the rows the
/// block touches) before committing the step, and reports both.

#include <Eigen/Cholesky>
#include <cmath>
#include <limits>

#include "context.hpp"

namespace convlab::optim {

template <class S>
struct BlockStep {
  S guaranteed = 0;  ///< the decrease the rule guarantees (or its model predicts)
  S decrease = 0;    ///< f(x) − f(x⁺), measured
  int trials = 1;    ///< objective evaluations on the block (line searches)
};

namespace detail {
template <class Ctx, class State, class V>
auto commit(Ctx& ctx, State& s, const SelectedBlock& b, const V& d) {
  const auto dec = ctx.problem.decrease(s, b.indices, d);
  ctx.problem.update_block(s, b.indices, d);
  return dec;
}
}  // namespace detail

struct GradientUpdate {
  static constexpr const char* name = "lb";
  template <class Ctx, class State>
  void init(Ctx&, const State&) {}
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const S L = ctx.block_constant(b);
    if (!(L > 0)) return {};
    const VecX<S> d = -g / L;
    return {g.squaredNorm() / (2 * L), detail::commit(ctx, s, b, d)};
  }
};

struct GlobalGradientUpdate {
  static constexpr const char* name = "global";
  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    if (ctx.variable) {
      L_ = static_cast<double>(ctx.variable_block_global_constant());
    } else {
      L_ = 0;
      for (Eigen::Index b = 0; b < ctx.num_blocks(); ++b)
        L_ = std::max(L_, static_cast<double>(ctx.block_constant(ctx.fixed(b))));
    }
  }
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const S L = static_cast<S>(L_);
    if (!(L > 0)) return {};
    const VecX<S> d = -g / L;
    return {g.squaredNorm() / (2 * L), detail::commit(ctx, s, b, d)};
  }

 private:
  double L_ = 0;
};

/// LA: local Lipschitz estimates ℓ_i, never decreased (as in the reference code), so an
/// accepted L̂ ≤ max(max_{i∈b} ℓ_i, 2·L_b): any L̂ ≥ L_b passes the test. A step whose
/// promised decrease is below the resolution of f is accepted without doubling.
struct AdaptiveGradientUpdate {
  static constexpr const char* name = "la";
  double initial = 1.0;   ///< starting estimate of every ℓ_i, > 0
  int max_doublings = 200;

  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    detail::require(initial > 0 && std::isfinite(initial), "AdaptiveGradientUpdate::initial", initial, "0 < initial < inf");
    ell_ = VecX<double>::Constant(ctx.problem.dim(), initial);
    ctx.local_constants = &ell_;
  }
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    S L = 0;
    for (Eigen::Index i : b.indices) L = std::max(L, static_cast<S>(ell_[i]));
    const S gg = g.squaredNorm();
    BlockStep<S> step;
    step.trials = 0;
    if (gg == S(0)) return step;
    for (int t = 0; t <= max_doublings; ++t, L *= 2) {
      const VecX<S> d = -g / L;
      ++step.trials;
      const S dec = ctx.problem.decrease(s, b.indices, d);
      const S want = gg / (2 * L);
      // Below f's resolution the test compares rounding noise: accept.
      if (dec >= want - 8 * std::numeric_limits<S>::epsilon() * (std::abs(dec) + want) || want <= ctx.resolution()) {
        ctx.problem.update_block(s, b.indices, d);
        for (Eigen::Index i : b.indices) ell_[i] = static_cast<double>(L);
        step.guaranteed = want;
        step.decrease = dec;
        return step;
      }
    }
    throw InvalidArgument("AdaptiveGradientUpdate: no step of size 1/L̂ decreases f after " +
                          std::to_string(max_doublings) + " doublings (is the gradient consistent with f?)");
  }
  /// The current estimates ℓ (after init).
  const VecX<double>& estimates() const { return ell_; }

 private:
  VecX<double> ell_;
};

struct MatrixUpdate {
  static constexpr const char* name = "hb";
  template <class Ctx, class State>
  void init(Ctx&, const State&) {}
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const VecX<S> d = -ctx.bound_factor(b).solve(g);
    return {-g.dot(d) / 2, detail::commit(ctx, s, b, d)};
  }
};

/// Newton on the block with the exact block Hessian and an Armijo line search (c₁ = 1e-10,
/// α₀ = 1; first backtrack by quadratic interpolation, later ones by cubic interpolation of
/// the last two trials, each safeguarded to [0.1α, 0.5α]). A step whose predicted decrease
/// α|g_bᵀd| is below the resolution of f (64ε(1 + |f|)) is accepted untested: Armijo cannot
/// tell it from rounding, and rejecting it would stall at the optimum. Falls back to the gradient step
/// −g_b/L_b when the Newton direction is not a descent direction.
struct NewtonUpdate {
  static constexpr const char* name = "newton";
  double c1 = 1e-10;
  int max_backtracks = 50;

  template <class Ctx, class State>
  void init(Ctx&, const State&) {
    static_assert(problems::BlockNewton<std::remove_cvref_t<decltype(std::declval<Ctx&>().problem)>>,
                  "NewtonUpdate needs a problem with block_hessian (concept BlockNewton)");
  }
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const auto t = static_cast<Eigen::Index>(b.indices.size());
    MatX<S> H(t, t);
    ctx.problem.block_hessian(s, b.indices, H);
    Ctx::add_ridge(H);
    VecX<S> d = -Eigen::LDLT<MatX<S>>(H).solve(g);
    S phi = g.dot(d);
    if (!(phi < 0) || !d.allFinite()) {  // not a descent direction: gradient step
      const S L = ctx.block_constant(b);
      d = -g / L;
      phi = g.dot(d);
      if (!(phi < 0)) return {};
    }
    BlockStep<S> step;
    step.trials = 0;
    S alpha = 1, prev_alpha = 0, prev_value = 0;
    for (int k = 0; k <= max_backtracks; ++k) {
      ++step.trials;
      const VecX<S> trial = alpha * d;
      const S dec = ctx.problem.decrease(s, b.indices, trial);
      const S change = -dec;  // f(x + αd) − f(x)
      // Accept on Armijo, or when the step's predicted effect is below f's resolution.
      if (change <= static_cast<S>(c1) * alpha * phi || -alpha * phi <= ctx.resolution()) {
        ctx.problem.update_block(s, b.indices, trial);
        step.guaranteed = -static_cast<S>(c1) * alpha * phi;  // what the Armijo test guarantees
        step.decrease = dec;
        return step;
      }
      S next;
      if (k == 0 || !std::isfinite(change)) {
        const S Z = change - alpha * phi;
        next = std::isfinite(Z) && Z > 0 ? -phi * alpha * alpha / (2 * Z) : alpha / 2;
      } else {
        next = cubic(alpha, change, prev_alpha, prev_value, phi);
      }
      prev_alpha = alpha;
      prev_value = change;
      alpha = std::clamp(std::isfinite(next) ? next : alpha / 2, alpha / 10, alpha / 2);
    }
    return step;  // no acceptable step: leave the block unchanged
  }

 private:
  /// Minimizer of the cubic through φ(0) = 0, φ'(0) = phi, φ(a) = fa, φ(b) = fb.
  template <class S>
  static S cubic(S a, S fa, S b, S fb, S phi) {
    const S ra = fa - phi * a, rb = fb - phi * b;
    const S den = a * a * b * b * (a - b);
    const S c3 = (b * b * ra - a * a * rb) / den;
    const S c2 = (-b * b * b * ra + a * a * a * rb) / den;
    if (c3 == S(0)) return c2 > 0 ? -phi / (2 * c2) : a / 2;
    const S disc = c2 * c2 - 3 * c3 * phi;
    if (disc < 0) return a / 2;
    return (-c2 + std::sqrt(disc)) / (3 * c3);
  }
};

}  // namespace convlab::optim
