#pragma once
/// \file
/// Sparse quadratics f(x) = ½xᵀMx − cᵀx (M symmetric positive definite, sparse) in
/// block-coordinate form, and the label-propagation quadratic on a weighted graph.
///
/// The state keeps the gradient g = Mx − c: updating block b changes g only on b and its
/// graph neighbours N(b), O(Σ_{i∈b} deg i), and `changed` lists exactly those coordinates —
/// the regime where greedy rules cost about as much as random ones (Nutini et al., §b.5).
/// M_bb is the exact block Hessian, so the matrix update is the exact block minimization.

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "block_coordinate.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

template <class S = double>
class GraphQuadratic {
 public:
  using Scalar = S;
  using Matrix = Eigen::SparseMatrix<S>;  // column-major; symmetric, so columns are rows

  struct State : CoordinateState<S> {
   private:
    friend class GraphQuadratic;
    std::vector<Eigen::Index> position_;  // coordinate → position in the current block, −1
  };

  /// Checks M square, symmetric (exactly), finite, with a positive diagonal, and c's size.
  GraphQuadratic(Matrix M, VecX<S> c) : M_(std::move(M)), c_(std::move(c)) {
    M_.makeCompressed();
    if (M_.rows() != M_.cols())
      throw InvalidArgument("GraphQuadratic: M is " + std::to_string(M_.rows()) + "x" + std::to_string(M_.cols()) +
                            ", expected a square matrix");
    detail::require_size(c_.size(), M_.rows(), "GraphQuadratic: c");
    if (!c_.allFinite()) throw InvalidArgument("GraphQuadratic: c contains NaN or Inf");
    const Matrix Mt = M_.transpose();
    for (Eigen::Index j = 0; j < M_.outerSize(); ++j)
      for (typename Matrix::InnerIterator it(M_, j); it; ++it) {
        if (!std::isfinite(static_cast<double>(it.value())))
          throw InvalidArgument("GraphQuadratic: M(" + std::to_string(it.row()) + ", " + std::to_string(j) +
                                ") is not finite");
        if (Mt.coeff(it.row(), j) != it.value())
          throw InvalidArgument("GraphQuadratic: M is not symmetric at (" + std::to_string(it.row()) + ", " +
                                std::to_string(j) + ")");
      }
    diag_ = M_.diagonal();
    for (Eigen::Index i = 0; i < diag_.size(); ++i)
      if (!(diag_[i] > 0))
        throw InvalidArgument("GraphQuadratic: M(" + std::to_string(i) + ", " + std::to_string(i) +
                              ") = " + std::to_string(static_cast<double>(diag_[i])) +
                              " must be > 0 (is every component connected to a labelled node?)");
  }

  Eigen::Index dim() const { return M_.rows(); }
  const Matrix& matrix() const { return M_; }
  const VecX<S>& linear_term() const { return c_; }

  S value(In<S> x) const { return x.dot(M_ * x) / 2 - c_.dot(x); }
  void gradient(In<S> x, Out<S> g) const { g = M_ * x - c_; }

  /// The gradient is always kept (it is as cheap as the state itself); `track_gradient` is ignored.
  State make_state(In<S> x, bool /*track_gradient*/) const {
    detail::require_size(x.size(), dim(), "GraphQuadratic: x");
    if (!x.allFinite()) throw InvalidArgument("GraphQuadratic: the starting point contains NaN or Inf");
    State s;
    s.x = x;
    s.tracks_gradient = true;
    s.position_.assign(static_cast<std::size_t>(dim()), -1);
    refresh(s);
    return s;
  }
  void refresh(State& s) const {
    s.grad = M_ * s.x - c_;
    s.changed.clear();
    s.all_changed = true;
  }
  /// Recomputed from x (O(nnz M)), so it does not inherit rounding drift of the kept gradient.
  S value(const State& s) const { return value(s.x); }
  void gradient(const State& s, Out<S> g) const { g = s.grad; }
  void block_gradient(const State& s, Block b, Out<S> g) const {
    detail::require_size(g.size(), static_cast<long long>(b.size()), "GraphQuadratic: block gradient buffer");
    for (std::size_t t = 0; t < b.size(); ++t) g[t] = s.grad[b[t]];
  }

  void update_block(State& s, Block b, In<S> d) const {
    detail::require_size(d.size(), static_cast<long long>(b.size()), "GraphQuadratic: block step");
    s.changed.clear();  // position_ (all −1 between calls) marks the listed coordinates below
    s.all_changed = false;
    for (std::size_t t = 0; t < b.size(); ++t) {
      s.x[b[t]] += d[t];
      if (d[t] == S(0)) continue;
      for (typename Matrix::InnerIterator it(M_, b[t]); it; ++it) {
        s.grad[it.row()] += it.value() * d[t];
        if (s.position_[it.row()] < 0) {
          s.position_[it.row()] = 0;
          s.changed.push_back(it.row());
        }
      }
    }
    for (Eigen::Index a : s.changed) s.position_[a] = -1;
  }

  /// f(x) − f(x + U_b d) = −(g_bᵀd + ½dᵀM_bb d), O(Σ_{i∈b} deg i).
  S decrease(State& s, Block b, In<S> d) const {
    for (std::size_t t = 0; t < b.size(); ++t) s.position_[b[t]] = static_cast<Eigen::Index>(t);
    S lin = 0, quad = 0;
    for (std::size_t t = 0; t < b.size(); ++t) {
      lin += s.grad[b[t]] * d[t];
      for (typename Matrix::InnerIterator it(M_, b[t]); it; ++it)
        if (const Eigen::Index u = s.position_[it.row()]; u >= 0) quad += d[t] * it.value() * d[u];
    }
    for (Eigen::Index a : b) s.position_[a] = -1;
    return -(lin + quad / 2);
  }

  VecX<S> coordinate_lipschitz() const { return diag_; }

  /// M_bb (exact), O(Σ_{i∈b} deg i) after zeroing the τ×τ matrix.
  void block_hessian_bound(Block b, Eigen::Ref<MatX<S>> H) const {
    const auto t = static_cast<Eigen::Index>(b.size());
    if (H.rows() != t || H.cols() != t)
      throw InvalidArgument("GraphQuadratic: block matrix is " + std::to_string(H.rows()) + "x" +
                            std::to_string(H.cols()) + ", expected " + std::to_string(t) + "x" + std::to_string(t));
    H.setZero();
    // A sorted (coordinate, position) list: no O(n) scratch for a τ-block.
    std::vector<std::pair<Eigen::Index, Eigen::Index>> where;
    where.reserve(b.size());
    for (Eigen::Index u = 0; u < t; ++u) where.emplace_back(b[u], u);
    std::sort(where.begin(), where.end());
    for (Eigen::Index u = 0; u < t; ++u)
      for (typename Matrix::InnerIterator it(M_, b[u]); it; ++it) {
        auto w = std::lower_bound(where.begin(), where.end(), std::make_pair(it.row(), Eigen::Index{-1}));
        if (w != where.end() && w->first == it.row()) H(w->second, u) = it.value();
      }
  }
  void block_hessian(const State&, Block b, Eigen::Ref<MatX<S>> H) const { block_hessian_bound(b, H); }

  void hessian_bound_times(In<S> v, Out<S> out) const { out = M_ * v; }
  /// Exact Gershgorin row sums Σ_j |M_ij|.
  VecX<S> hessian_bound_row_sums() const {
    VecX<S> r = VecX<S>::Zero(dim());
    for (Eigen::Index j = 0; j < M_.outerSize(); ++j)
      for (typename Matrix::InnerIterator it(M_, j); it; ++it) r[j] += std::abs(it.value());
    return r;
  }

 private:
  Matrix M_;
  VecX<S> c_;
  VecX<S> diag_;
};

/// Label propagation (Zhu, Ghahramani, Lafferty 2003) as a GraphQuadratic over the unlabelled
/// nodes: with symmetric non-negative weights W (zero diagonal), labelled set S and labels y_S,
/// M = (diag(Σ_j W_ij) − W) restricted to the unlabelled nodes U (degrees count all
/// neighbours), c_i = Σ_{j∈S} W_ij y_j. f(x) = ½Σ_{edges} w_ij (x_i − x_j)² up to a constant.
template <class S = double>
struct LabelPropagation {
  GraphQuadratic<S> problem;
  std::vector<Eigen::Index> unlabelled;  ///< node of each coordinate of `problem`
};

template <class S>
LabelPropagation<S> label_propagation(const Eigen::SparseMatrix<S>& W, const std::vector<Eigen::Index>& labelled,
                                      const VecX<S>& labels) {
  const Eigen::Index n = W.rows();
  if (W.cols() != n) throw InvalidArgument("label_propagation: W must be square");
  detail::require_size(labels.size(), static_cast<long long>(labelled.size()), "label_propagation: labels");
  std::vector<Eigen::Index> index(static_cast<std::size_t>(n), -1);
  VecX<S> label_of = VecX<S>::Zero(n);
  std::vector<char> is_labelled(static_cast<std::size_t>(n), 0);
  for (std::size_t t = 0; t < labelled.size(); ++t) {
    const Eigen::Index v = labelled[t];
    if (v < 0 || v >= n) throw InvalidArgument("label_propagation: labelled node " + std::to_string(v) + " outside the graph");
    if (is_labelled[v]) throw InvalidArgument("label_propagation: node " + std::to_string(v) + " labelled twice");
    is_labelled[v] = 1;
    label_of[v] = labels[static_cast<Eigen::Index>(t)];
  }
  std::vector<Eigen::Index> unlabelled;
  for (Eigen::Index v = 0; v < n; ++v)
    if (!is_labelled[v]) {
      index[v] = static_cast<Eigen::Index>(unlabelled.size());
      unlabelled.push_back(v);
    }
  const auto m = static_cast<Eigen::Index>(unlabelled.size());
  std::vector<Eigen::Triplet<S>> t;
  VecX<S> c = VecX<S>::Zero(m);
  VecX<S> degree = VecX<S>::Zero(m);
  for (Eigen::Index j = 0; j < n; ++j)
    for (typename Eigen::SparseMatrix<S>::InnerIterator it(W, j); it; ++it) {
      const Eigen::Index i = it.row();
      if (i == j || it.value() == S(0)) continue;
      if (!(it.value() > 0) || !std::isfinite(static_cast<double>(it.value())))
        throw InvalidArgument("label_propagation: weight W(" + std::to_string(i) + ", " + std::to_string(j) +
                              ") must be positive and finite");
      if (index[i] < 0) continue;
      degree[index[i]] += it.value();
      if (index[j] >= 0) t.emplace_back(index[i], index[j], -it.value());
      else c[index[i]] += it.value() * label_of[j];
    }
  for (Eigen::Index u = 0; u < m; ++u) t.emplace_back(u, u, degree[u]);
  Eigen::SparseMatrix<S> M(m, m);
  M.setFromTriplets(t.begin(), t.end());
  return {GraphQuadratic<S>(std::move(M), std::move(c)), std::move(unlabelled)};
}

}  // namespace convlab::problems
