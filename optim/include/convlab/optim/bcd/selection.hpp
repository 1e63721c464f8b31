#pragma once
/// \file
/// Selection policies of block coordinate descent: which block to update.
///
/// Every rule works with fixed blocks (FB, a partition) and with variable blocks (VB, any τ
/// coordinates). g = ∇f at the current iterate; ties go to the lower index (block or
/// coordinate). Costs per iteration, given the problem's incremental state:
///
/// | rule                | FB choice                     | VB choice                        | cost per iteration |
/// |---------------------|-------------------------------|----------------------------------|--------------------|
/// | `Cyclic`            | B[k mod \|B\|]                | chunk k mod ⌊n/τ⌋ of a permutation redrawn every ⌊n/τ⌋ iterations ("Perm") | O(1) / O(τ); O(n) per epoch |
/// | `RandomPermutation` | blocks in a random order, redrawn each epoch | as `Cyclic`      | O(1) / O(τ)        |
/// | `UniformRandom`     | uniform over B                | uniform τ-subset (partial Fisher–Yates) | O(1) / O(τ)  |
/// | `LipschitzSampling` | P(b) ∝ L_b = λ_max(H_b)       | τ draws ∝ L_i without replacement | O(log \|B\|) / O(τ log n) |
/// | `GaussSouthwell`    | argmax ‖g_b‖ (ℓ2 or ℓ1)        | τ largest \|g_i\|                 | see below          |
/// | `GaussSouthwellLipschitz` | argmax ‖g_b‖₂²/L_b (ℓ1: ‖g_b‖₁/√L_b) | τ largest \|g_i\|/√D_i, D = Gershgorin row sums ("GSD-Hb") | see below |
/// | `GaussSouthwellDiagonal`  | argmax Σ g_i²/L_i (ℓ1: Σ\|g_i\|/√L_i) | τ largest \|g_i\|/√L_i | see below |
/// | `GaussSouthwellQuadratic` | argmax g_bᵀH_b⁻¹g_b (cached LDLT per block) | IHT on min gᵀd + ½dᵀHd, ‖d‖₀ ≤ τ | FB as below, τ² per score; VB O(10·nnz(H)) |
///
/// Greedy rules keep the problem's gradient current (the state tracks it) and a tournament
/// tree of scores (per coordinate for VB, per block for FB). After an update only the
/// entries whose gradient changed are rescored, O(c log n) for c changed entries; when more
/// than a quarter of them changed (dense designs) the scores are rebuilt in O(n). So on a
/// sparse graph (c = O(τ·degree)) greedy selection costs about what the update does; on a
/// sparse design the cost is that of the rows the block touches.
///
/// With an adaptive update (LA) the Lipschitz-based rules (GSL FB, GSD) use its local
/// estimates ℓ_i in place of L_i (the reference code does the same).

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <numeric>
#include <vector>

#include "../detail/sum_tree.hpp"
#include "../detail/tournament_tree.hpp"
#include "context.hpp"

namespace convlab::optim {

/// How FB greedy rules measure a block gradient: ℓ2 as in the paper, ℓ1 as in the reference code.
enum class BlockNorm { L2, L1 };

namespace detail {

/// Shared machinery of the rules that walk a permutation of blocks (FB) or coordinates (VB).
class PermutationWalk {
 protected:
  template <class Ctx>
  SelectedBlock walk(Ctx& ctx, bool shuffle_blocks) {
    if (!ctx.variable) {
      const auto nb = static_cast<std::size_t>(ctx.num_blocks());
      const auto pos = static_cast<std::size_t>(ctx.iteration % static_cast<long long>(nb));
      if (!shuffle_blocks) return ctx.fixed(static_cast<Eigen::Index>(pos));
      if (pos == 0 || order_.size() != nb) shuffle(ctx, nb);
      return ctx.fixed(order_[pos]);
    }
    const auto n = static_cast<std::size_t>(ctx.problem.dim()), tau = static_cast<std::size_t>(ctx.tau);
    const std::size_t chunks = std::max<std::size_t>(1, n / tau);
    const auto c = static_cast<std::size_t>(ctx.iteration % static_cast<long long>(chunks));
    if (c == 0 || order_.size() != n) shuffle(ctx, n);
    return {problems::Block(order_.data() + c * tau, tau), -1};
  }

 private:
  template <class Ctx>
  void shuffle(Ctx& ctx, std::size_t n) {
    order_.resize(n);
    std::iota(order_.begin(), order_.end(), Eigen::Index{0});
    for (std::size_t i = n; i > 1; --i) {
      boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
      std::swap(order_[i - 1], order_[pick(ctx.rng)]);
    }
  }
  std::vector<Eigen::Index> order_;
};

}  // namespace detail

namespace detail {
/// Cyclic (ShuffleBlocks = false) or random-permutation order over fixed blocks; for variable
/// blocks both walk chunks of a random permutation ("Perm").
template <bool ShuffleBlocks>
struct PermutationRule : PermutationWalk {
  static constexpr bool needs_gradient = false;
  template <class Ctx, class State>
  void init(Ctx&, const State&) {}
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State&) { return walk(ctx, ShuffleBlocks); }
  template <class Ctx, class State>
  void updated(Ctx&, const State&, const SelectedBlock&) {}
};
}  // namespace detail

struct Cyclic : detail::PermutationRule<false> {
  static constexpr const char* name = "cyclic";
};
struct RandomPermutation : detail::PermutationRule<true> {
  static constexpr const char* name = "random_permutation";
};

struct UniformRandom {
  static constexpr bool needs_gradient = false;
  static constexpr const char* name = "random";
  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    pool_.resize(static_cast<std::size_t>(ctx.problem.dim()));
    std::iota(pool_.begin(), pool_.end(), Eigen::Index{0});
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State&) {
    if (!ctx.variable) {
      boost::random::uniform_int_distribution<Eigen::Index> pick(0, ctx.num_blocks() - 1);
      return ctx.fixed(pick(ctx.rng));
    }
    // Partial Fisher–Yates on a pool that stays a permutation: each τ-subset equally likely.
    const auto n = pool_.size(), tau = static_cast<std::size_t>(ctx.tau);
    for (std::size_t t = 0; t < tau; ++t) {
      boost::random::uniform_int_distribution<std::size_t> pick(t, n - 1);
      std::swap(pool_[t], pool_[pick(ctx.rng)]);
    }
    return {problems::Block(pool_.data(), tau), -1};
  }
  template <class Ctx, class State>
  void updated(Ctx&, const State&, const SelectedBlock&) {}

 private:
  std::vector<Eigen::Index> pool_;
};

struct LipschitzSampling {
  static constexpr bool needs_gradient = false;
  static constexpr const char* name = "lipschitz";
  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    using S = typename Ctx::S;
    std::vector<S> w;
    if (!ctx.variable)
      for (Eigen::Index b = 0; b < ctx.num_blocks(); ++b) w.push_back(ctx.block_constant(ctx.fixed(b)));
    else
      w.assign(ctx.L.data(), ctx.L.data() + ctx.L.size());
    for (S& v : w) v = std::max(v, S(0));
    tree_.assign(std::vector<double>(w.begin(), w.end()));
    if (!(tree_.total() > 0)) throw InvalidArgument("LipschitzSampling: every Lipschitz constant is zero");
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State&) {
    boost::random::uniform_real_distribution<double> u(0.0, 1.0);
    if (!ctx.variable) return ctx.fixed(static_cast<Eigen::Index>(tree_.find(u(ctx.rng) * tree_.total())));
    // τ successive draws, each renormalised over the coordinates not yet drawn.
    chosen_.clear();
    saved_.clear();
    for (Eigen::Index t = 0; t < ctx.tau; ++t) {
      const double total = tree_.total();
      std::size_t i;
      if (total > 0) {
        i = tree_.find(u(ctx.rng) * total);
      } else {  // only zero-L coordinates remain: take the first not yet chosen
        i = 0;
        while (std::find(chosen_.begin(), chosen_.end(), static_cast<Eigen::Index>(i)) != chosen_.end()) ++i;
      }
      chosen_.push_back(static_cast<Eigen::Index>(i));
      saved_.push_back(tree_.weight(i));
      tree_.set(i, 0.0);
    }
    for (std::size_t t = 0; t < chosen_.size(); ++t) tree_.set(static_cast<std::size_t>(chosen_[t]), saved_[t]);
    return {problems::Block(chosen_), -1};
  }
  template <class Ctx, class State>
  void updated(Ctx&, const State&, const SelectedBlock&) {}

 private:
  detail::SumTree<double> tree_;
  std::vector<Eigen::Index> chosen_;
  std::vector<double> saved_;
};

namespace detail {

/// Greedy selection over scores kept in a tournament tree. `Rule` supplies
/// `coordinate_score(ctx, state, i)` (VB) and `block_score(ctx, state, id)` (FB).
template <class Rule>
class GreedySelection {
 public:
  static constexpr bool needs_gradient = true;

  template <class Ctx, class State>
  void init(Ctx& ctx, const State& s) {
    rebuild(ctx, s);
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State&) {
    if (!ctx.variable) return ctx.fixed(tree_.argmax());
    tree_.top(ctx.tau, chosen_);
    return {problems::Block(chosen_), -1};
  }
  template <class Ctx, class State>
  void updated(Ctx& ctx, const State& s, const SelectedBlock& b) {
    const auto n = static_cast<std::size_t>(ctx.problem.dim());
    if (s.all_changed || s.changed.size() > n / 4) return rebuild(ctx, s);
    if (ctx.variable) {
      for (Eigen::Index i : s.changed) tree_.set(i, self().coordinate_score(ctx, s, i));
      for (Eigen::Index i : b.indices) tree_.set(i, self().coordinate_score(ctx, s, i));
      return;
    }
    dirty_.clear();
    for (Eigen::Index i : s.changed) dirty_.push_back(ctx.block_of[i]);
    dirty_.push_back(b.id);
    std::sort(dirty_.begin(), dirty_.end());
    dirty_.erase(std::unique(dirty_.begin(), dirty_.end()), dirty_.end());
    for (Eigen::Index id : dirty_) tree_.set(id, self().block_score(ctx, s, id));
  }

 protected:
  template <class Ctx, class State>
  void rebuild(Ctx& ctx, const State& s) {
    using S = typename Ctx::S;
    const Eigen::Index m = ctx.variable ? ctx.problem.dim() : ctx.num_blocks();
    VecX<S> scores(m);
    for (Eigen::Index i = 0; i < m; ++i)
      scores[i] = ctx.variable ? self().coordinate_score(ctx, s, i) : self().block_score(ctx, s, i);
    tree_.assign(scores.template cast<double>());
  }
  Rule& self() { return static_cast<Rule&>(*this); }

  TournamentTree<double> tree_;
  std::vector<Eigen::Index> chosen_, dirty_;
};

/// Σ_{i∈b} φ(g_i, w_i) over a fixed block.
template <class Ctx, class State, class Fn>
double block_sum(Ctx& ctx, const State& s, Eigen::Index id, Fn&& fn) {
  double sum = 0;
  for (Eigen::Index i : ctx.blocks[static_cast<std::size_t>(id)]) sum += fn(static_cast<double>(s.grad[i]), i);
  return sum;
}

template <class Ctx>
double lipschitz_weight(const Ctx& ctx, Eigen::Index i) {
  const double w = static_cast<double>(ctx.local_constants ? (*ctx.local_constants)[i] : ctx.L[i]);
  return w > 0 ? w : std::numeric_limits<double>::min();
}

}  // namespace detail

/// GS: the largest gradient (block norm for FB, τ largest |g_i| for VB).
struct GaussSouthwell : detail::GreedySelection<GaussSouthwell> {
  static constexpr const char* name = "gs";
  BlockNorm norm = BlockNorm::L2;
  GaussSouthwell() = default;
  explicit GaussSouthwell(BlockNorm n) : norm(n) {}
  template <class Ctx, class State>
  double coordinate_score(Ctx&, const State& s, Eigen::Index i) const { return std::abs(static_cast<double>(s.grad[i])); }
  template <class Ctx, class State>
  double block_score(Ctx& ctx, const State& s, Eigen::Index id) const {
    return detail::block_sum(ctx, s, id, [&](double g, Eigen::Index) { return norm == BlockNorm::L2 ? g * g : std::abs(g); });
  }
};

/// GSL: the largest guaranteed decrease of a gradient step, ‖g_b‖²/(2L_b). VB: GSD-Hb.
struct GaussSouthwellLipschitz : detail::GreedySelection<GaussSouthwellLipschitz> {
  static constexpr const char* name = "gsl";
  BlockNorm norm = BlockNorm::L2;
  GaussSouthwellLipschitz() = default;
  explicit GaussSouthwellLipschitz(BlockNorm n) : norm(n) {}
  template <class Ctx, class State>
  double coordinate_score(Ctx& ctx, const State& s, Eigen::Index i) const {
    const double d = static_cast<double>(ctx.row_sums()[i]);
    return std::abs(static_cast<double>(s.grad[i])) / std::sqrt(d > 0 ? d : std::numeric_limits<double>::min());
  }
  template <class Ctx, class State>
  double block_score(Ctx& ctx, const State& s, Eigen::Index id) const {
    if (ctx.local_constants) {  // adaptive update: its estimates (ℓ2: max over the block)
      if (norm == BlockNorm::L1)
        return detail::block_sum(ctx, s, id, [&](double g, Eigen::Index i) {
          return std::abs(g) / std::sqrt(detail::lipschitz_weight(ctx, i));
        });
      double lmax = 0;
      for (Eigen::Index i : ctx.blocks[static_cast<std::size_t>(id)]) lmax = std::max(lmax, detail::lipschitz_weight(ctx, i));
      return detail::block_sum(ctx, s, id, [](double g, Eigen::Index) { return g * g; }) / lmax;
    }
    const double Lb = std::max(static_cast<double>(ctx.block_constant(ctx.fixed(id))), std::numeric_limits<double>::min());
    if (norm == BlockNorm::L1) return detail::block_sum(ctx, s, id, [](double g, Eigen::Index) { return std::abs(g); }) / std::sqrt(Lb);
    return detail::block_sum(ctx, s, id, [](double g, Eigen::Index) { return g * g; }) / Lb;
  }
};

/// GSD: gradient scaled by the coordinate constants, Σ_{i∈b} g_i²/L_i (VB: τ largest |g_i|/√L_i).
struct GaussSouthwellDiagonal : detail::GreedySelection<GaussSouthwellDiagonal> {
  static constexpr const char* name = "gsd";
  BlockNorm norm = BlockNorm::L2;
  GaussSouthwellDiagonal() = default;
  explicit GaussSouthwellDiagonal(BlockNorm n) : norm(n) {}
  template <class Ctx, class State>
  double coordinate_score(Ctx& ctx, const State& s, Eigen::Index i) const {
    return std::abs(static_cast<double>(s.grad[i])) / std::sqrt(detail::lipschitz_weight(ctx, i));
  }
  template <class Ctx, class State>
  double block_score(Ctx& ctx, const State& s, Eigen::Index id) const {
    return detail::block_sum(ctx, s, id, [&](double g, Eigen::Index i) {
      const double w = detail::lipschitz_weight(ctx, i);
      return norm == BlockNorm::L2 ? g * g / w : std::abs(g) / std::sqrt(w);
    });
  }
};

/// GSQ: the largest guaranteed decrease of a matrix step, ½g_bᵀH_b⁻¹g_b. FB: exact over the
/// partition (one cached LDLT per block). VB: the cardinality-constrained QP is NP-hard; it
/// is approximated by iterative hard thresholding (IHT) on q(d) = gᵀd + ½dᵀHd with the global
/// bound H: d ← d − μ(g + Hd), keep the τ largest |d_i|, ≤ `iht_iterations` times, μ = 1/λ_max(H)
/// (power iteration, once), from d₀ = −g/√L (elementwise); the block is the support of d.
struct GaussSouthwellQuadratic : detail::GreedySelection<GaussSouthwellQuadratic> {
  static constexpr const char* name = "gsq";
  int iht_iterations = 10;

  template <class Ctx, class State>
  void init(Ctx& ctx, const State& s) {
    if (!ctx.variable) rebuild(ctx, s);
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State& s) {
    if (!ctx.variable) return ctx.fixed(tree_.argmax());
    return iht(ctx, s);
  }
  template <class Ctx, class State>
  void updated(Ctx& ctx, const State& s, const SelectedBlock& b) {
    if (!ctx.variable) detail::GreedySelection<GaussSouthwellQuadratic>::updated(ctx, s, b);
  }
  template <class Ctx, class State>
  double coordinate_score(Ctx&, const State&, Eigen::Index) const { return 0; }  // unused: VB is IHT
  template <class Ctx, class State>
  double block_score(Ctx& ctx, const State& s, Eigen::Index id) {
    using S = typename Ctx::S;
    const SelectedBlock b = ctx.fixed(id);
    VecX<S> g(static_cast<Eigen::Index>(b.indices.size()));
    for (std::size_t t = 0; t < b.indices.size(); ++t) g[static_cast<Eigen::Index>(t)] = s.grad[b.indices[t]];
    return static_cast<double>(g.dot(ctx.bound_factor(b).solve(g)));
  }

 private:
  template <class Ctx, class State>
  SelectedBlock iht(Ctx& ctx, const State& s) {
    using S = typename Ctx::S;
    const Eigen::Index n = ctx.problem.dim();
    const S mu = S(1) / ctx.global_lambda_max();
    VecX<S> d(n), Hd(n), prev(n);
    for (Eigen::Index i = 0; i < n; ++i) d[i] = -s.grad[i] / std::sqrt(std::max(ctx.L[i], std::numeric_limits<S>::min()));
    keep_largest(ctx, d);
    for (int it = 0; it < iht_iterations; ++it) {
      prev = d;
      ctx.problem.hessian_bound_times(d, Hd);
      d -= mu * (s.grad + Hd);
      keep_largest(ctx, d);
      if ((d - prev).norm() < S(1e-10)) break;
    }
    return {problems::Block(chosen_), -1};
  }
  /// Zeroes all but the τ largest |d_i| (ties: lower index) and records them in chosen_.
  template <class Ctx, class V>
  void keep_largest(Ctx& ctx, V& d) {
    order_.resize(static_cast<std::size_t>(d.size()));
    std::iota(order_.begin(), order_.end(), Eigen::Index{0});
    const auto tau = static_cast<std::ptrdiff_t>(ctx.tau);
    std::nth_element(order_.begin(), order_.begin() + (tau - 1), order_.end(), [&](Eigen::Index a, Eigen::Index b) {
      return std::abs(d[a]) > std::abs(d[b]) || (std::abs(d[a]) == std::abs(d[b]) && a < b);
    });
    chosen_.assign(order_.begin(), order_.begin() + tau);
    std::sort(chosen_.begin(), chosen_.end());
    auto kept = d;
    d.setZero();
    for (Eigen::Index i : chosen_) d[i] = kept[i];
  }
  std::vector<Eigen::Index> order_;
};

}  // namespace convlab::optim
