#pragma once
/// \file
/// Message passing for block coordinate descent on sparse quadratics (Nutini, Laradji,
/// Schmidt, §c): forest blocks minimized exactly in linear time, the graph partitions the paper
/// compares, and the policies that plug them into `BlockCoordinateDescent`.
///
/// | piece | what | cost |
/// |---|---|---|
/// | `ForestUpdate` | exact block minimization, M_bb d = −g_b, by `ForestSolver` | O(Σ_{i∈b} deg i) |
/// | `FixedBlocks` | a precomputed partition (any of the partitions below) | — |
/// | `lattice_red_black` | colour (r + c) mod 2: two independent sets | O(n) |
/// | `lattice_tree_partition` | two combs (top row + even columns, bottom row + odd columns) | O(n) |
/// | `greedy_colouring` | red–black for general graphs (fewest-members allowed colour) | O(nnz) |
/// | `first_fit_forests` | tree partition for general graphs (lowest forest that stays acyclic) | O(#forests · nnz · α) |
/// | `GreedyTree` | each iteration: a maximal forest grown by decreasing \|g_i\| (or \|g_i\|/√L_i) | O(n log n + nnz · α) |
/// | `RandomTree` | the same from a random order | O(n + nnz · α) |
///
/// Node orders for the general-graph partitions: `NodeOrder::Lipschitz` (decreasing M_ii) or
/// `NodeOrder::ReverseIndex`, as the reference code.

#include <algorithm>
#include <boost/random/uniform_int_distribution.hpp>
#include <numeric>
#include <vector>

#include "context.hpp"
#include "forest.hpp"
#include "updates.hpp"

namespace convlab::optim {

/// A problem that exposes its sparse symmetric matrix (f = ½xᵀMx − cᵀx), e.g. GraphQuadratic.
template <class P>
concept SparseQuadratic = problems::BlockCoordinate<P> && requires(const P& p) {
  { p.matrix() } -> std::convertible_to<const Eigen::SparseMatrix<typename P::Scalar>&>;
};

/// A precomputed partition as a partition policy (blocks may differ in size).
struct FixedBlocks {
  BlockList list;
  Eigen::Index tau = 1;  ///< the largest block (set by the constructor)
  bool variable = false;
  explicit FixedBlocks(BlockList b) : list(std::move(b)) {
    for (const auto& blk : list) tau = std::max<Eigen::Index>(tau, static_cast<Eigen::Index>(blk.size()));
  }
  template <class V>
  BlockList blocks(const V&) const { return list; }
};

enum class NodeOrder { Lipschitz, ReverseIndex };

namespace detail {
template <class S>
std::vector<Eigen::Index> node_order(const Eigen::SparseMatrix<S>& M, NodeOrder order) {
  std::vector<Eigen::Index> v(static_cast<std::size_t>(M.rows()));
  std::iota(v.begin(), v.end(), Eigen::Index{0});
  if (order == NodeOrder::ReverseIndex) {
    std::reverse(v.begin(), v.end());
  } else {
    const VecX<S> diag = M.diagonal();
    std::stable_sort(v.begin(), v.end(), [&](Eigen::Index a, Eigen::Index b) { return diag[a] > diag[b]; });
  }
  return v;
}

/// Coordinates (after removing labelled nodes) grouped by a label of their lattice node.
template <class Label>
BlockList by_lattice_label(Eigen::Index rows, const std::vector<Eigen::Index>& nodes, int labels, Label&& label) {
  BlockList out(static_cast<std::size_t>(labels));
  for (std::size_t u = 0; u < nodes.size(); ++u) {
    const Eigen::Index r = nodes[u] % rows, c = nodes[u] / rows;
    out[static_cast<std::size_t>(label(r, c))].push_back(static_cast<Eigen::Index>(u));
  }
  out.erase(std::remove_if(out.begin(), out.end(), [](const auto& b) { return b.empty(); }), out.end());
  return out;
}
}  // namespace detail

/// Red–black colouring of a rows × cols lattice (node (r, c) has id c·rows + r); `nodes[u]` is
/// the lattice node of coordinate u (label propagation drops the labelled nodes).
inline BlockList lattice_red_black(Eigen::Index rows, const std::vector<Eigen::Index>& nodes) {
  return detail::by_lattice_label(rows, nodes, 2, [](Eigen::Index r, Eigen::Index c) { return static_cast<int>((r + c) % 2); });
}

/// Two comb-shaped trees covering a rows × cols lattice: the top row with rows 0..rows−2 of every
/// even column, and the bottom row with rows 1..rows−1 of every odd column.
inline BlockList lattice_tree_partition(Eigen::Index rows, const std::vector<Eigen::Index>& nodes) {
  return detail::by_lattice_label(rows, nodes, 2, [rows](Eigen::Index r, Eigen::Index c) {
    return (r == 0 || (c % 2 == 0 && r <= rows - 2)) ? 0 : 1;
  });
}

/// Greedy colouring of G(M) into independent sets (red–black for general graphs): nodes in the
/// given order take the allowed colour (none of their coloured neighbours has it) with the
/// fewest members, or open a new colour.
template <class S>
BlockList greedy_colouring(const Eigen::SparseMatrix<S>& M, NodeOrder order = NodeOrder::Lipschitz) {
  std::vector<Eigen::Index> colour(static_cast<std::size_t>(M.rows()), -1);
  BlockList classes;
  std::vector<char> used;
  for (Eigen::Index v : detail::node_order(M, order)) {
    used.assign(classes.size(), 0);
    for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, v); it; ++it)
      if (it.row() != v && it.value() != S(0) && colour[it.row()] >= 0) used[colour[it.row()]] = 1;
    Eigen::Index best = -1;
    for (std::size_t c = 0; c < classes.size(); ++c)
      if (!used[c] && (best < 0 || classes[c].size() < classes[best].size())) best = static_cast<Eigen::Index>(c);
    if (best < 0) {
      best = static_cast<Eigen::Index>(classes.size());
      classes.emplace_back();
    }
    colour[v] = best;
    classes[best].push_back(v);
  }
  return classes;
}

/// Tree partition of a general graph: nodes in the given order go into the lowest-index forest
/// that stays acyclic (first fit), else into a new forest.
template <class S>
BlockList first_fit_forests(const Eigen::SparseMatrix<S>& M, NodeOrder order = NodeOrder::Lipschitz) {
  const Eigen::Index n = M.rows();
  std::vector<Eigen::Index> forest_of(static_cast<std::size_t>(n), -1), roots;
  std::vector<UnionFind> uf;
  BlockList forests;
  for (Eigen::Index v : detail::node_order(M, order)) {
    Eigen::Index chosen = -1;
    for (std::size_t f = 0; f < forests.size() && chosen < 0; ++f) {
      roots.clear();
      bool ok = true;
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, v); it && ok; ++it) {
        if (it.row() == v || it.value() == S(0) || forest_of[it.row()] != static_cast<Eigen::Index>(f)) continue;
        const Eigen::Index r = uf[f].find(it.row());
        ok = std::find(roots.begin(), roots.end(), r) == roots.end();
        roots.push_back(r);
      }
      if (ok) chosen = static_cast<Eigen::Index>(f);
    }
    if (chosen < 0) {
      chosen = static_cast<Eigen::Index>(forests.size());
      forests.emplace_back();
      uf.emplace_back(n);
      roots.clear();
    } else {
      roots.clear();
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, v); it; ++it)
        if (it.row() != v && it.value() != S(0) && forest_of[it.row()] == chosen) roots.push_back(it.row());
    }
    for (Eigen::Index u : roots) uf[chosen].unite(v, u);
    forest_of[v] = chosen;
    forests[chosen].push_back(v);
  }
  return forests;
}

/// Exact block minimization on a forest block of a sparse quadratic: M_bb d = −g_b by tree
/// elimination (throws if the block has a cycle). Guaranteed decrease ½g_bᵀM_bb⁻¹g_b (exact).
template <class Scalar = double>
struct ForestUpdate {
  static constexpr const char* name = "forest";
  template <class Ctx, class State>
  void init(Ctx&, const State&) {
    static_assert(SparseQuadratic<std::remove_cvref_t<decltype(std::declval<Ctx&>().problem)>>,
                  "ForestUpdate needs a sparse quadratic (a problem with matrix())");
  }
  template <class Ctx, class State, class S = typename Ctx::S>
  BlockStep<S> apply(Ctx& ctx, State& s, const SelectedBlock& b, const VecX<S>& g) {
    d_.resize(g.size());
    solver_.solve(ctx.problem.matrix(), b.indices, -g, d_);
    return {-g.dot(d_) / 2, detail::commit(ctx, s, b, d_)};
  }

 private:
  ForestSolver<Scalar> solver_;
  VecX<Scalar> d_;
};

/// Greedy Tree: each iteration a maximal forest grown by decreasing |g_i| (`lipschitz` = true:
/// |g_i|/√L_i). Variable blocks of whatever size the forest has (τ is unused).
template <class Scalar = double>
struct GreedyTree {
  static constexpr bool needs_gradient = true;
  static constexpr const char* name = "greedy_tree";
  bool lipschitz = false;
  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    order_.resize(static_cast<std::size_t>(ctx.problem.dim()));
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State& s) {
    std::iota(order_.begin(), order_.end(), Eigen::Index{0});
    score_.resize(order_.size());
    for (std::size_t i = 0; i < order_.size(); ++i)
      score_[i] = std::abs(static_cast<double>(s.grad[static_cast<Eigen::Index>(i)])) /
                  (lipschitz ? std::sqrt(static_cast<double>(ctx.L[static_cast<Eigen::Index>(i)])) : 1.0);
    std::stable_sort(order_.begin(), order_.end(), [&](Eigen::Index a, Eigen::Index b) { return score_[a] > score_[b]; });
    grower_.grow(ctx.problem.matrix(), order_, block_);
    return {problems::Block(block_), -1};
  }
  template <class Ctx, class State>
  void updated(Ctx&, const State&, const SelectedBlock&) {}

 private:
  std::vector<Eigen::Index> order_, block_;
  std::vector<double> score_;
  ForestGrower<Scalar> grower_;
};

/// Random Tree: a maximal forest grown from a uniformly random node order each iteration.
template <class Scalar = double>
struct RandomTree {
  static constexpr bool needs_gradient = false;
  static constexpr const char* name = "random_tree";
  template <class Ctx, class State>
  void init(Ctx& ctx, const State&) {
    order_.resize(static_cast<std::size_t>(ctx.problem.dim()));
    std::iota(order_.begin(), order_.end(), Eigen::Index{0});
  }
  template <class Ctx, class State>
  SelectedBlock select(Ctx& ctx, const State&) {
    for (std::size_t i = order_.size(); i > 1; --i) {
      boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
      std::swap(order_[i - 1], order_[pick(ctx.rng)]);
    }
    grower_.grow(ctx.problem.matrix(), order_, block_);
    return {problems::Block(block_), -1};
  }
  template <class Ctx, class State>
  void updated(Ctx&, const State&, const SelectedBlock&) {}

 private:
  std::vector<Eigen::Index> order_, block_;
  ForestGrower<Scalar> grower_;
};

}  // namespace convlab::optim
