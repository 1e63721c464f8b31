#pragma once
/// \file
/// Proximal block coordinate descent for F(x) = f(x) + Σᵢ r(xᵢ) with a separable, non-smooth r
/// (Nutini, Laradji, Schmidt, §d): the composite problem, the GS-q selection rule and the PG,
/// PN and TMP block updates. Active-set identification is observable through the driver's
/// per-iteration callback (the iterate's support).
///
/// | piece | what |
/// |---|---|
/// | `L1Penalty{λ}` | r(t) = λ\|t\|; prox = soft threshold (exact zeros); `change(t, d)` = r(t + d) − r(t) without cancellation |
/// | `NonNegativeL1{λ}` | r(t) = λt + ι(t ≥ 0); prox = max(0, z − λ/L) |
/// | `Composite<P, R>` | F = f + Σ r(xᵢ) as a `BlockCoordinate` problem (value and decrease include r); optionally some coordinates free of r (unpenalized intercepts) |
/// | `GaussSouthwellProximal` ("GS-q") | per coordinate q_i = min_d ∇_i f·d + (L_i/2)d² + r(x_i + d) − r(x_i) ≤ 0; VB: the τ most negative, FB: the largest Σ\|q_i\| |
/// | `ProxGradientUpdate` ("PG") | x_b⁺ = prox_{r/L_b}(x_b − ∇_b f/L_b); guaranteed decrease (L_b/2)‖d‖² |
/// | `ProxNewtonUpdate` ("PN") | d = argmin ∇_b fᵀd + ½dᵀ∇²_bb f d + r(x_b + d) (coordinate descent on the block model to rounding), Armijo on F; exact block minimization when f is quadratic |
/// | `ManifoldNewtonSelection<Inner>` | once the support is stable, the support as one block (Newton on the manifold with PN) |
/// | `TwoMetricProjectionUpdate` ("TMP", non-negative L1) | ε-active coordinates take a scaled gradient step, the others a Newton step; projected Armijo search on F |

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "context.hpp"
#include "selection.hpp"
#include "updates.hpp"

namespace convlab::optim {

struct L1Penalty {
  double lambda = 0;
  static constexpr bool nonnegative = false;
  template <class S>
  S value(S t) const { return static_cast<S>(lambda) * std::abs(t); }
  /// r(t + d) − r(t) without cancellation: λ·|d| terms, not the difference of two λ|t|.
  template <class S>
  S change(S t, S d) const {
    const S u = t + d, l = static_cast<S>(lambda);
    if (t >= 0 && u >= 0) return l * d;
    if (t <= 0 && u <= 0) return -l * d;
    return l * (std::abs(u) - std::abs(t));  // a sign change: no cancellation
  }
  /// argmin_y (L/2)(y − z)² + λ|y|.
  template <class S>
  S prox(S z, S L) const {
    const S k = static_cast<S>(lambda) / L;
    return z > k ? z - k : z < -k ? z + k : S(0);
  }
};

struct NonNegativeL1 {
  double lambda = 0;
  static constexpr bool nonnegative = true;
  template <class S>
  S value(S t) const { return t < 0 ? std::numeric_limits<S>::infinity() : static_cast<S>(lambda) * t; }
  /// r(t + d) − r(t) for a feasible t, without cancellation.
  template <class S>
  S change(S t, S d) const { return t + d < 0 ? std::numeric_limits<S>::infinity() : static_cast<S>(lambda) * d; }
  template <class S>
  S prox(S z, S L) const {
    const S v = z - static_cast<S>(lambda) / L;
    return v > 0 ? v : S(0);
  }
};

/// F = f + Σ_{i not free} r(xᵢ) over a block-coordinate problem P; forwards everything else to P.
/// `free` (empty, or one flag per coordinate) marks coordinates r does not act on, such as the
/// unpenalized intercepts of a linear model; only for L1Penalty, whose λ = 0 is no term at all.
template <problems::BlockCoordinate P, class R>
class Composite {
 public:
  using Scalar = typename P::Scalar;
  using State = typename P::State;
  using S = Scalar;

  Composite(const P& smooth, R reg, std::vector<char> free = {}) : f_(smooth), r_(reg), free_(std::move(free)) {
    detail::require(reg.lambda >= 0 && std::isfinite(reg.lambda), "regularizer lambda", reg.lambda, "0 <= lambda < inf");
    if (!free_.empty()) {
      detail::require_size(static_cast<long long>(free_.size()), f_.dim(), "Composite: free");
      if (R::nonnegative) throw InvalidArgument("Composite: free coordinates need a regularizer without a constraint (L1Penalty)");
    }
  }
  const P& smooth() const { return f_; }
  /// The regularizer of the coordinates it acts on.
  const R& regularizer() const { return r_; }
  /// The regularizer of coordinate i: r, or λ = 0 (no term) where i is free.
  R regularizer(Eigen::Index i) const {
    if (free_.empty() || !free_[static_cast<std::size_t>(i)]) return r_;
    R none = r_;
    none.lambda = 0;
    return none;
  }

  Eigen::Index dim() const { return f_.dim(); }
  /// Rows spread over processes (problems::BlockedCoordinate): the driver's stop agreement.
  bool any_rank(bool flag) const requires requires(const P& f) { f.any_rank(flag); } { return f_.any_rank(flag); }
  State make_state(In<S> x, bool track) const {
    for (Eigen::Index i = 0; i < x.size(); ++i)
      if (!std::isfinite(static_cast<double>(regularizer(i).value(x[i]))))
        throw InvalidArgument("Composite: the starting point is outside the regularizer's domain at coordinate " +
                              std::to_string(i));
    return f_.make_state(x, track);
  }
  void refresh(State& s) const { f_.refresh(s); }
  S value(const State& s) const { return f_.value(s) + reg_value(s.x); }
  S reg_value(const VecX<S>& x) const {
    S sum = 0;
    for (Eigen::Index i = 0; i < x.size(); ++i) sum += regularizer(i).value(x[i]);
    return sum;
  }
  /// ∇f (the smooth part): what greedy proximal rules score.
  void gradient(const State& s, Out<S> g) const { f_.gradient(s, g); }
  void block_gradient(const State& s, problems::Block b, Out<S> g) const { f_.block_gradient(s, b, g); }
  void update_block(State& s, problems::Block b, In<S> d) const { f_.update_block(s, b, d); }
  S decrease(State& s, problems::Block b, In<S> d) const {
    S reg = 0;
    for (std::size_t t = 0; t < b.size(); ++t)
      reg -= regularizer(b[t]).change(s.x[b[t]], d[static_cast<Eigen::Index>(t)]);
    return f_.decrease(s, b, d) + reg;
  }
  VecX<S> coordinate_lipschitz() const { return f_.coordinate_lipschitz(); }
  void block_hessian_bound(problems::Block b, Eigen::Ref<MatX<S>> H) const { f_.block_hessian_bound(b, H); }
  void block_hessian(const State& s, problems::Block b, Eigen::Ref<MatX<S>> H) const {
    if constexpr (problems::BlockNewton<P>) f_.block_hessian(s, b, H);
    else f_.block_hessian_bound(b, H);
  }
  void hessian_bound_times(In<S> v, Out<S> out) const { f_.hessian_bound_times(v, out); }
  VecX<S> hessian_bound_row_sums() const { return f_.hessian_bound_row_sums(); }

  /// The proximal-gradient optimality residual ‖x − prox_r(x − ∇f)‖₂: 0 exactly at a solution,
  /// and ‖∇f‖₂ when r = 0 (the driver's `gradient_tolerance` tests it).
  S kkt_residual(const State& s) const {
    VecX<S> g(dim());
    f_.gradient(s, g);
    for (Eigen::Index i = 0; i < dim(); ++i) g[i] = s.x[i] - regularizer(i).prox(s.x[i] - g[i], S(1));
    return g.norm();
  }

 private:
  P f_;
  R r_;
  std::vector<char> free_;
};

template <class P>
concept CompositeProblem = requires(const P& p) { p.regularizer(); p.smooth(); };

namespace detail {
/// q_i and the step d_i of the GS-q model for one coordinate.
template <class R, class S>
S proximal_model(const R& r, S x, S g, S L, S& d) {
  d = r.prox(x - g / L, L) - x;
  return g * d + L / 2 * d * d + r.change(x, d);  // change(): the score of a tiny step is not rounding noise
}
}  // namespace detail

/// GS-q: the coordinates (VB) or the block (FB) whose proximal model promises the most decrease.
/// Scores −q_i ≥ 0, and 0 exactly where x_i is optimal for its one-dimensional model.
struct GaussSouthwellProximal : detail::GreedySelection<GaussSouthwellProximal> {
  static constexpr const char* name = "gs_q";
  template <class Ctx, class State>
  double coordinate_score(Ctx& ctx, const State& s, Eigen::Index i) const {
    using S = typename Ctx::S;
    S d;
    const S L = std::max(ctx.L[i], std::numeric_limits<S>::min());
    return -static_cast<double>(detail::proximal_model(ctx.problem.regularizer(i), s.x[i], s.grad[i], L, d));
  }
  template <class Ctx, class State>
  double block_score(Ctx& ctx, const State& s, Eigen::Index id) const {
    double sum = 0;
    for (Eigen::Index i : ctx.blocks[static_cast<std::size_t>(id)]) sum += coordinate_score(ctx, s, i);
    return sum;
  }
};

/// Switch to Newton on the identified manifold: wraps a selection rule (GS-q by default) and,
/// once the iterate's support has stayed the same for `patience` iterations (and has at most
/// `max_size` coordinates), selects the whole support as one block — with a Newton-type update
/// (PN) that is a Newton step on the manifold the support defines, so convergence turns
/// superlinear (finite on least squares). The next iteration goes back to the wrapped rule, so
/// coordinates that should leave or join the support are still found; each switch costs one
/// support-sized Newton step, O(|S|³).
template <class Inner = GaussSouthwellProximal>
struct ManifoldNewtonSelection {
  static constexpr bool needs_gradient = Inner::needs_gradient;
  static constexpr const char* name = "gs_q_manifold";
  Inner inner{};
  long long patience = 10;
  Eigen::Index max_size = 500;

  template <class Ctx, class State>
  void init(Ctx& ctx, const State& s) {
    inner.init(ctx, s);
    support_.clear();
    stable_ = 0;
    switched_ = false;
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State& s) {
    if (!switched_ && stable_ >= patience && !support_.empty() && static_cast<Eigen::Index>(support_.size()) <= max_size) {
      switched_ = true;
      return {problems::Block(support_), -1};
    }
    switched_ = false;
    return inner.select(ctx, s);
  }
  template <class Ctx, class State>
  void updated(Ctx& ctx, const State& s, const SelectedBlock& b) {
    inner.updated(ctx, s, b);
    next_.clear();
    for (Eigen::Index i = 0; i < s.x.size(); ++i)
      if (s.x[i] != 0) next_.push_back(i);
    stable_ = next_ == support_ ? stable_ + 1 : 0;
    support_.swap(next_);
  }

 private:
  std::vector<Eigen::Index> support_, next_;
  long long stable_ = 0;
  bool switched_ = false;
};

struct ProxGradientUpdate {
  static constexpr const char* name = "pg";
  template <class Ctx, class State>
  void init(Ctx&, const State&) {}
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const S L = ctx.block_constant(b);
    if (!(L > 0)) return {};
    VecX<S> d(g.size());
    for (Eigen::Index t = 0; t < g.size(); ++t) {
      const Eigen::Index i = b.indices[static_cast<std::size_t>(t)];
      const S x = s.x[i];
      d[t] = ctx.problem.regularizer(i).prox(x - g[t] / L, L) - x;
    }
    return {L / 2 * d.squaredNorm(), detail::commit(ctx, s, b, d)};
  }
};

namespace detail {
/// min_d gᵀd + ½dᵀHd + Σ r_t(x_t + d_t) by cyclic coordinate descent on the τ-dimensional model
/// (H positive definite: linear convergence), until no coordinate moves by more than
/// 1e-15·(1 + |x_t + d_t|) or `max_sweeps`; `r(t)` is the regularizer of the block's t-th coordinate.
template <class RegularizerOf, class S>
void solve_block_model(const RegularizerOf& r, const VecX<S>& x, const VecX<S>& g, const MatX<S>& H, VecX<S>& d,
                       int max_sweeps = 2000) {
  const Eigen::Index t = g.size();
  d.setZero(t);
  VecX<S> Hd = VecX<S>::Zero(t);
  for (int sweep = 0; sweep < max_sweeps; ++sweep) {
    S moved = 0;
    for (Eigen::Index i = 0; i < t; ++i) {
      const S hii = H(i, i);
      if (!(hii > 0)) continue;
      // One coordinate: min_u (g_i + (Hd)_i − h_ii d_i)u + ½h_ii u² + r(x_i + u) over u = d_i.
      const S lin = g[i] + Hd[i] - hii * d[i];
      const S ui = r(i).prox(x[i] - lin / hii, hii) - x[i];
      const S delta = ui - d[i];
      if (delta != S(0)) {
        Hd += delta * H.col(i);
        d[i] = ui;
        moved = std::max(moved, std::abs(delta) / (1 + std::abs(x[i] + ui)));
      }
    }
    if (moved <= S(1e-15)) return;
  }
}

/// Armijo backtracking on F along x + αd (α = 1, ½, ¼, …) with the proximal-Newton decrease
/// measure Δ = gᵀd + r(x + d) − r(x); accepts below f's resolution.
/// With `slope` (TMP: the smooth slope ∂F of a non-negative problem) the path is projected,
/// x(α) = max(0, x + αd), and the test uses Δ(α) = ∂Fᵀ(x(α) − x) (Bertsekas' projected Armijo rule).
template <class Ctx, class State, class S>
BlockStep<S> composite_line_search(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g, const VecX<S>& d,
                                   const VecX<S>* slope, double c1, int max_backtracks) {
  S delta = g.dot(d);
  if (!slope)
    for (Eigen::Index t = 0; t < d.size(); ++t) {
      const Eigen::Index i = b.indices[static_cast<std::size_t>(t)];
      delta += ctx.problem.regularizer(i).change(s.x[i], d[t]);
    }
  BlockStep<S> step;
  step.trials = 0;
  VecX<S> trial(d.size());
  S alpha = 1;
  for (int k = 0; k <= max_backtracks; ++k, alpha /= 2) {
    for (Eigen::Index t = 0; t < d.size(); ++t) {
      const S x = s.x[b.indices[static_cast<std::size_t>(t)]];
      trial[t] = slope ? std::max(S(0), x + alpha * d[t]) - x : alpha * d[t];
    }
    const S model = slope ? slope->dot(trial) : alpha * delta;  // predicted first-order change of F
    if (!(model < 0)) return step;
    ++step.trials;
    const S dec = ctx.problem.decrease(s, b.indices, trial);
    if (dec >= -static_cast<S>(c1) * model || -model <= ctx.resolution()) {
      ctx.problem.update_block(s, b.indices, trial);
      step.guaranteed = -static_cast<S>(c1) * model;
      step.decrease = dec;
      return step;
    }
  }
  return step;
}
}  // namespace detail

/// PN: the block's proximal Newton step (exact block Hessian when the problem has one, else the
/// bound), solved to rounding, then an Armijo search on F. On a quadratic f the first trial is
/// the exact block minimizer of F.
struct ProxNewtonUpdate {
  static constexpr const char* name = "pn";
  double c1 = 1e-10;
  int max_backtracks = 50;
  template <class Ctx, class State>
  void init(Ctx&, const State&) {}
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const auto t = static_cast<Eigen::Index>(b.indices.size());
    MatX<S> H(t, t);
    ctx.problem.block_hessian(s, b.indices, H);
    Ctx::add_ridge(H);
    VecX<S> x(t), d;
    for (Eigen::Index u = 0; u < t; ++u) x[u] = s.x[b.indices[static_cast<std::size_t>(u)]];
    detail::solve_block_model([&](Eigen::Index u) { return ctx.problem.regularizer(b.indices[static_cast<std::size_t>(u)]); }, x, g,
                              H, d);
    return detail::composite_line_search(ctx, s, b, g, d, static_cast<const VecX<S>*>(nullptr), c1, max_backtracks);
  }
};

/// TMP (two-metric projection, for non-negative L1): with ∂F = ∇f + λ, the ε-active set
/// A = {i : x_i < ε, ∂_iF > 0} takes d_i = −∂_iF/Σ_{j∈A}L_j, the rest W a Newton step
/// d_W = −(∇²_WW f)⁻¹∂_W F; then x(α) = max(0, x + αd) with Armijo backtracking on F.
struct TwoMetricProjectionUpdate {
  static constexpr const char* name = "tmp";
  double epsilon = 1e-4;
  double c1 = 1e-10;
  int max_backtracks = 50;
  template <class Ctx, class State>
  void init(Ctx&, const State&) {
    static_assert(std::remove_cvref_t<decltype(std::declval<Ctx&>().problem.regularizer())>::nonnegative,
                  "TwoMetricProjectionUpdate is for non-negativity constrained problems (NonNegativeL1)");
  }
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    const auto t = static_cast<Eigen::Index>(b.indices.size());
    const S lambda = static_cast<S>(ctx.problem.regularizer().lambda);
    VecX<S> dF = g.array() + lambda;
    std::vector<Eigen::Index> active, free;
    S active_L = 0;
    for (Eigen::Index u = 0; u < t; ++u) {
      const Eigen::Index i = b.indices[static_cast<std::size_t>(u)];
      if (s.x[i] < static_cast<S>(epsilon) && dF[u] > 0) active.push_back(u), active_L += ctx.L[i];
      else free.push_back(u);
    }
    VecX<S> d = VecX<S>::Zero(t);
    for (Eigen::Index u : active) d[u] = -dF[u] / std::max(active_L, std::numeric_limits<S>::min());
    if (!free.empty()) {
      MatX<S> H(t, t);
      ctx.problem.block_hessian(s, b.indices, H);
      const auto w = static_cast<Eigen::Index>(free.size());
      MatX<S> Hw(w, w);
      VecX<S> gw(w);
      for (Eigen::Index a = 0; a < w; ++a) {
        gw[a] = dF[free[static_cast<std::size_t>(a)]];
        for (Eigen::Index c = 0; c < w; ++c) Hw(a, c) = H(free[static_cast<std::size_t>(a)], free[static_cast<std::size_t>(c)]);
      }
      Ctx::add_ridge(Hw);
      const VecX<S> dw = -Eigen::LDLT<MatX<S>>(Hw).solve(gw);
      for (Eigen::Index a = 0; a < w; ++a) d[free[static_cast<std::size_t>(a)]] = dw[a];
    }
    return detail::composite_line_search(ctx, s, b, g, d, &dF, c1, max_backtracks);
  }
};

}  // namespace convlab::optim
