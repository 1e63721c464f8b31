#pragma once
/// \file
/// Forest-structured blocks of a sparse symmetric matrix M: union–find, the test "is the
/// subgraph of G(M) induced by this block a forest", growing a maximal forest block from a node
/// order, and the exact solve M_bb d = r by elimination along the trees in O(Σ_{i∈b} deg i)
/// (Gaussian belief propagation on a tree: leaf-to-root elimination, root-to-leaf values; no
/// fill-in, no dense factorization). Nutini, Laradji, Schmidt, §c.

#include <Eigen/SparseCore>
#include <numeric>
#include <vector>

#include <convlab/problems/block_coordinate.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::optim {

/// Disjoint sets with path halving and union by size: near-constant time per operation.
class UnionFind {
 public:
  explicit UnionFind(Eigen::Index n = 0) { reset(n); }
  void reset(Eigen::Index n) {
    parent_.resize(static_cast<std::size_t>(n));
    std::iota(parent_.begin(), parent_.end(), Eigen::Index{0});
    size_.assign(static_cast<std::size_t>(n), 1);
  }
  Eigen::Index find(Eigen::Index v) {
    while (parent_[v] != v) v = parent_[v] = parent_[parent_[v]];
    return v;
  }
  /// Joins the sets of a and b; false when they were already one set.
  bool unite(Eigen::Index a, Eigen::Index b) {
    a = find(a), b = find(b);
    if (a == b) return false;
    if (size_[a] < size_[b]) std::swap(a, b);
    parent_[b] = a;
    size_[a] += size_[b];
    return true;
  }

 private:
  std::vector<Eigen::Index> parent_, size_;
};

/// True when the subgraph of G(M) (edges = off-diagonal non-zeros) induced by `block` is a
/// forest: |E| = |V| − #components.
template <class S>
bool is_induced_forest(const Eigen::SparseMatrix<S>& M, problems::Block block) {
  std::vector<Eigen::Index> pos(static_cast<std::size_t>(M.rows()), -1);
  for (std::size_t t = 0; t < block.size(); ++t) pos[block[t]] = static_cast<Eigen::Index>(t);
  UnionFind uf(static_cast<Eigen::Index>(block.size()));
  long long edges = 0, components = static_cast<long long>(block.size());
  for (std::size_t t = 0; t < block.size(); ++t)
    for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, block[t]); it; ++it) {
      const Eigen::Index u = pos[it.row()];
      if (u < 0 || u <= static_cast<Eigen::Index>(t) || it.value() == S(0)) continue;  // each edge once
      ++edges;
      if (uf.unite(u, static_cast<Eigen::Index>(t))) --components;
    }
  return edges == static_cast<long long>(block.size()) - components;
}

/// Grows a forest block: scans `order` and adds each node whose neighbours already in the block
/// lie in pairwise distinct trees (so no cycle forms), O(Σ deg · α(n)). The result is a maximal
/// induced forest among the scanned nodes.
template <class S>
class ForestGrower {
 public:
  void grow(const Eigen::SparseMatrix<S>& M, const std::vector<Eigen::Index>& order, std::vector<Eigen::Index>& block) {
    const Eigen::Index n = M.rows();
    if (static_cast<Eigen::Index>(in_.size()) != n) in_.assign(static_cast<std::size_t>(n), 0), uf_.reset(n);
    block.clear();
    for (Eigen::Index v : order) {
      roots_.clear();
      bool ok = true;
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, v); it && ok; ++it) {
        if (it.row() == v || !in_[it.row()] || it.value() == S(0)) continue;
        const Eigen::Index r = uf_.find(it.row());
        for (Eigen::Index seen : roots_) ok = ok && seen != r;
        roots_.push_back(r);
      }
      if (!ok) continue;
      in_[v] = 1;
      block.push_back(v);
      for (Eigen::Index r : roots_) uf_.unite(v, r);
    }
    for (Eigen::Index v : block) in_[v] = 0;
    uf_.reset(n);  // O(n); the growth itself scanned every node already
  }

 private:
  std::vector<char> in_;
  std::vector<Eigen::Index> roots_;
  UnionFind uf_;
};

/// Solves M_bb d = r exactly when G(M)[b] is a forest, in O(Σ_{i∈b} deg i): one BFS per tree,
/// then elimination from the leaves up (pivot_p −= M_pi²/pivot_i, r_p −= M_pi r_i/pivot_i) and
/// back-substitution from the roots down. Throws InvalidArgument when the block has a cycle.
template <class S>
class ForestSolver {
 public:
  void solve(const Eigen::SparseMatrix<S>& M, problems::Block b, const Eigen::Ref<const VecX<S>>& r,
             Eigen::Ref<VecX<S>> d) {
    const auto t = static_cast<Eigen::Index>(b.size());
    if (static_cast<Eigen::Index>(pos_.size()) != M.rows()) pos_.assign(static_cast<std::size_t>(M.rows()), -1);
    for (Eigen::Index u = 0; u < t; ++u) pos_[b[u]] = u;
    parent_.assign(static_cast<std::size_t>(t), -2);  // −2 unvisited, −1 root
    weight_.assign(static_cast<std::size_t>(t), S(0));
    pivot_.assign(static_cast<std::size_t>(t), S(0));
    order_.clear();
    rhs_.assign(r.data(), r.data() + t);
    bool cycle = false;
    for (Eigen::Index root = 0; root < t && !cycle; ++root) {
      if (parent_[root] != -2) continue;
      parent_[root] = -1;
      std::size_t head = order_.size();
      order_.push_back(root);
      while (head < order_.size() && !cycle) {
        const Eigen::Index u = order_[head++];
        for (typename Eigen::SparseMatrix<S>::InnerIterator it(M, b[u]); it; ++it) {
          const Eigen::Index v = pos_[it.row()];
          if (v < 0) continue;
          if (v == u) {
            pivot_[u] = it.value();
            continue;
          }
          if (it.value() == S(0) || v == parent_[u]) continue;
          if (parent_[v] != -2) {  // a visited node other than the parent: a cycle
            cycle = true;
            break;
          }
          parent_[v] = u;
          weight_[v] = it.value();
          order_.push_back(v);
        }
      }
    }
    for (Eigen::Index u = 0; u < t; ++u) pos_[b[u]] = -1;
    if (cycle) throw InvalidArgument("ForestSolver: the block's induced subgraph has a cycle");
    for (auto k = order_.size(); k-- > 0;) {  // leaves to roots
      const Eigen::Index i = order_[k], p = parent_[i];
      if (p < 0) continue;
      pivot_[p] -= weight_[i] * weight_[i] / pivot_[i];
      rhs_[p] -= weight_[i] * rhs_[i] / pivot_[i];
    }
    for (Eigen::Index i : order_) {  // roots to leaves
      const Eigen::Index p = parent_[i];
      d[i] = (rhs_[i] - (p >= 0 ? weight_[i] * d[p] : S(0))) / pivot_[i];
    }
  }

 private:
  std::vector<Eigen::Index> pos_, parent_, order_;
  std::vector<S> weight_, pivot_, rhs_;
};

}  // namespace convlab::optim
