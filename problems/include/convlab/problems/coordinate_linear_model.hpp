#pragma once
/// \file
/// Block-coordinate form of least squares, logistic and multinomial regression
/// (models `BlockCoordinate` and `BlockNewton`).
///
/// `coordinate_form(problem)` takes a `LeastSquares`, `Logistic` or `Multinomial` and returns
/// an object with the *same* objective f(x) (mean loss + (l2/2)‖w‖², with sample weights sᵢ the
/// weighted mean Σ sᵢ·lossᵢ/Σs as in LinearModelOptions; same parameter layout:
/// coordinate a = k·p + j is feature j of output k, the intercept is the column j = d) that
/// keeps the scores Z = ÃX (Ã = [A, 1] with an intercept) and the loss derivatives
/// D = ∂lossᵢ/∂zᵢ as incremental state. The design is stored twice, by columns (block
/// gradients and updates) and by rows (gradient tracking); dense designs are stored sparse
/// (zeros dropped), which costs at most 2× the dense memory and makes one code path serve both.
///
/// Block curvature bounds (on the scores, per row; H_b = Ã_bᵀÃ_b/n ∘ C + l2 on penalized entries,
/// with sample weights Ã_bᵀ diag(s) Ã_b/Σs):
/// - least squares: C = 1 (exact);
/// - logistic: C = ¼ (σ(1−σ) ≤ ¼);
/// - multinomial (Böhning): C[(c),(c')] = ½(δ_cc' − 1/k), k = min(K, #distinct classes in the
///   block + 1). The classes outside the block lumped into one give a (|C|+1)-class softmax
///   whose Hessian block over C equals ours, so Böhning's bound for |C|+1 classes applies.
/// `hessian_bound_row_sums()` returns (|Ã|ᵀ diag(s)|Ã|1)_j/Σs · Σ_c'|C_cc'| + l2: an upper bound of the
/// Gershgorin row sums of the global bound (equal when A ≥ 0), so diag(D) ⪰ H still holds and
/// it costs O(nnz) instead of forming ÃᵀÃ.
///
/// The L1 term (LinearModelOptions::l1) is not part of the smooth form: coordinate_form
/// refuses it; proximal BCD treats it as a separable regularizer.

#include <Eigen/SparseCore>
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "block_coordinate.hpp"
#include "detail/numerics.hpp"
#include "least_squares.hpp"
#include "logistic.hpp"
#include "multinomial.hpp"

namespace convlab::problems {

/// Row losses of the coordinate form: K scores per row. `bound(c, c', k)` is an entry of a
/// matrix C with ∇²_z lossᵢ restricted to a block's classes ⪯ C (k as in the file comment).
template <class S>
struct SquaredRowLoss {
  VecX<S> y;
  Eigen::Index outputs() const { return 1; }
  S value(Eigen::Index i, const S* z) const { return (z[0] - y[i]) * (z[0] - y[i]) / 2; }
  void derivative(Eigen::Index i, const S* z, S* out) const { out[0] = z[0] - y[i]; }
  S hessian(Eigen::Index, const S*, Eigen::Index, Eigen::Index) const { return S(1); }
  S bound(Eigen::Index, Eigen::Index, Eigen::Index) const { return S(1); }
};

template <class S>
struct LogisticRowLoss {
  VecX<S> y;  // ±1
  Eigen::Index outputs() const { return 1; }
  S value(Eigen::Index i, const S* z) const { return detail::softplus(-y[i] * z[0]); }
  void derivative(Eigen::Index i, const S* z, S* out) const { out[0] = -y[i] * detail::sigmoid(-y[i] * z[0]); }
  // With d = −y·σ(−yz): σ(−yz) = |d| and the curvature is σ(z)σ(−z) = |d|(1 − |d|).
  S hessian(Eigen::Index, const S* d, Eigen::Index, Eigen::Index) const {
    const S s = std::abs(d[0]);
    return s * (S(1) - s);
  }
  S bound(Eigen::Index, Eigen::Index, Eigen::Index) const { return S(0.25); }
};

template <class S>
struct SoftmaxRowLoss {
  Eigen::Matrix<Eigen::Index, Eigen::Dynamic, 1> y;
  Eigen::Index K = 2;
  Eigen::Index outputs() const { return K; }
  S value(Eigen::Index i, const S* z) const {
    const S m = *std::max_element(z, z + K);
    S sum = 0;
    for (Eigen::Index c = 0; c < K; ++c) sum += std::exp(z[c] - m);
    return m + std::log(sum) - z[y[i]];
  }
  void derivative(Eigen::Index i, const S* z, S* out) const {
    const S m = *std::max_element(z, z + K);
    S sum = 0;
    for (Eigen::Index c = 0; c < K; ++c) sum += (out[c] = std::exp(z[c] - m));
    for (Eigen::Index c = 0; c < K; ++c) out[c] /= sum;
    out[y[i]] -= S(1);
  }
  // D = p − e_y, so p_c = D_c + [c = y]; ∇²_z = diag(p) − ppᵀ.
  S hessian(Eigen::Index i, const S* d, Eigen::Index c, Eigen::Index c2) const {
    const S pc = d[c] + (y[i] == c ? S(1) : S(0));
    const S pc2 = d[c2] + (y[i] == c2 ? S(1) : S(0));
    return (c == c2 ? pc : S(0)) - pc * pc2;
  }
  S bound(Eigen::Index c, Eigen::Index c2, Eigen::Index k) const {
    return S(0.5) * ((c == c2 ? S(1) : S(0)) - S(1) / static_cast<S>(k));
  }
};

template <class S, class Loss>
class CoordinateLinearModel {
 public:
  using Scalar = S;

  struct State : CoordinateState<S> {
    MatX<S> Z;  ///< K × n scores, one column per sample
    MatX<S> D;  ///< K × n derivatives ∂lossᵢ/∂zᵢ
   private:
    friend class CoordinateLinearModel;
    std::vector<Eigen::Index> touched_;      // rows touched by the current block
    std::vector<Eigen::Index> slot_;         // row → scratch slot, −1 when free
    std::vector<char> coord_mark_;           // coordinate already listed in `changed`
    MatX<S> scratch_;                        // K × |rows| trial scores
    VecX<S> fresh_, delta_;                  // one row's new derivative and its change
  };

  /// `A` dense or sparse (any storage order), `loss` the row loss, `intercept`/`l2` as in
  /// LinearModelOptions, `sample_weight` empty or one weight >= 0 per row (checked by the
  /// problem it comes from). Prefer `coordinate_form(problem)`.
  template <class Design>
  CoordinateLinearModel(const Design& A, Loss loss, bool intercept, double l2, std::string name, VecX<S> sample_weight = {})
      : loss_(std::move(loss)), name_(std::move(name)), n_(A.rows()), d_(A.cols()),
        p_(A.cols() + (intercept ? 1 : 0)), K_(loss_.outputs()), intercept_(intercept), l2_(static_cast<S>(l2)),
        sw_(std::move(sample_weight)) {
    if (sw_.size()) detail::require_size(sw_.size(), n_, (name_ + ": sample weights (one per row)").c_str());
    total_ = sw_.size() ? sw_.sum() : static_cast<S>(n_);
    norm_ = total_ > S(0) ? total_ : S(1);  // no weight on any row (a row block may have none): f is the penalty
    std::vector<Eigen::Triplet<S>> t;
    if constexpr (std::is_base_of_v<Eigen::SparseMatrixBase<Design>, Design>) {
      for (Eigen::Index o = 0; o < A.outerSize(); ++o)
        for (typename Design::InnerIterator it(A, o); it; ++it)
          if (it.value() != S(0)) t.emplace_back(it.row(), it.col(), it.value());
    } else {
      for (Eigen::Index j = 0; j < A.cols(); ++j)
        for (Eigen::Index i = 0; i < A.rows(); ++i)
          if (A(i, j) != S(0)) t.emplace_back(i, j, A(i, j));
    }
    if (intercept)
      for (Eigen::Index i = 0; i < n_; ++i) t.emplace_back(i, d_, S(1));
    cols_.resize(n_, p_);
    cols_.setFromTriplets(t.begin(), t.end());
    cols_.makeCompressed();
    rows_ = cols_;
    rows_.makeCompressed();
  }

  Eigen::Index dim() const { return p_ * K_; }
  Eigen::Index num_samples() const { return n_; }
  /// Σ of the sample weights (n without them): the loss is Σ sᵢ·lossᵢ / total_weight().
  S total_weight() const { return total_; }
  Eigen::Index rows_per_output() const { return p_; }
  Eigen::Index num_outputs() const { return K_; }
  Eigen::Index feature_of(Eigen::Index a) const { return a % p_; }
  Eigen::Index output_of(Eigen::Index a) const { return a / p_; }
  bool penalized(Eigen::Index a) const { return !(intercept_ && a % p_ == d_); }
  /// The design with the intercept column appended, by columns.
  const Eigen::SparseMatrix<S>& columns() const { return cols_; }

  State make_state(In<S> x, bool track_gradient) const {
    detail::require_size(x.size(), dim(), (name_ + ": x").c_str());
    if (!x.allFinite()) throw InvalidArgument(name_ + ": the starting point contains NaN or Inf");
    State s;
    s.x = x;
    s.tracks_gradient = track_gradient;
    s.slot_.assign(static_cast<std::size_t>(n_), -1);
    s.coord_mark_.assign(static_cast<std::size_t>(dim()), 0);
    refresh(s);
    return s;
  }

  /// Rebuilds Z, D (and ∇f when tracked) from s.x.
  void refresh(State& s) const {
    s.Z.setZero(K_, n_);
    for (Eigen::Index j = 0; j < p_; ++j)
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it)
        for (Eigen::Index c = 0; c < K_; ++c) s.Z(c, it.row()) += it.value() * s.x[c * p_ + j];
    s.D.resize(K_, n_);
    for (Eigen::Index i = 0; i < n_; ++i) loss_.derivative(i, s.Z.col(i).data(), s.D.col(i).data());
    if (s.tracks_gradient) {
      s.grad.resize(dim());
      gradient(s, s.grad);
    }
    s.changed.clear();
    s.all_changed = true;
  }

  S value(const State& s) const {
    S sum = 0;
    for (Eigen::Index i = 0; i < n_; ++i) sum += row_weight(i) * loss_.value(i, s.Z.col(i).data());
    return sum / norm_ + penalty(s.x);
  }

  void gradient(const State& s, Out<S> g) const {
    detail::require_size(g.size(), dim(), (name_ + ": gradient buffer").c_str());
    for (Eigen::Index a = 0; a < dim(); ++a) g[a] = coordinate_gradient(s, a);
  }

  void block_gradient(const State& s, Block b, Out<S> g) const {
    detail::require_size(g.size(), static_cast<long long>(b.size()), (name_ + ": block gradient buffer").c_str());
    for (std::size_t t = 0; t < b.size(); ++t) g[t] = s.tracks_gradient ? s.grad[b[t]] : coordinate_gradient(s, b[t]);
  }

  /// x_b += d, then Z, D on the rows the block touches (and ∇f when tracked).
  void update_block(State& s, Block b, In<S> d) const {
    detail::require_size(d.size(), static_cast<long long>(b.size()), (name_ + ": block step").c_str());
    if (s.tracks_gradient) {
      for (Eigen::Index a : s.changed) s.coord_mark_[a] = 0;
      s.changed.clear();
      s.all_changed = false;
    }
    s.touched_.clear();
    for (std::size_t t = 0; t < b.size(); ++t) {
      const Eigen::Index a = b[t], j = feature_of(a), c = output_of(a);
      s.x[a] += d[t];
      if (d[t] == S(0)) continue;
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) {
        if (s.slot_[it.row()] < 0) {
          s.slot_[it.row()] = 0;
          s.touched_.push_back(it.row());
        }
        s.Z(c, it.row()) += it.value() * d[t];
      }
    }
    s.fresh_.resize(K_);
    s.delta_.resize(K_);
    const S inv_norm = S(1) / norm_;
    for (Eigen::Index i : s.touched_) {
      s.slot_[i] = -1;
      auto& fresh = s.fresh_;
      auto& delta = s.delta_;
      loss_.derivative(i, s.Z.col(i).data(), fresh.data());
      if (s.tracks_gradient) {
        delta = (inv_norm * row_weight(i)) * (fresh - s.D.col(i));
        for (typename Eigen::SparseMatrix<S, Eigen::RowMajor>::InnerIterator it(rows_, i); it; ++it)
          for (Eigen::Index c = 0; c < K_; ++c) {
            const Eigen::Index a = c * p_ + it.col();
            s.grad[a] += it.value() * delta[c];
            mark(s, a);
          }
      }
      s.D.col(i) = fresh;
    }
    if (s.tracks_gradient && l2_ != S(0))
      for (std::size_t t = 0; t < b.size(); ++t)
        if (penalized(b[t])) {
          s.grad[b[t]] += l2_ * d[t];
          mark(s, b[t]);
        }
  }

  /// f(x) − f(x + U_b d), summed over the touched rows only (accurate when f is large).
  S decrease(State& s, Block b, In<S> d) const {
    detail::require_size(d.size(), static_cast<long long>(b.size()), (name_ + ": block step").c_str());
    s.touched_.clear();
    for (std::size_t t = 0; t < b.size(); ++t) {
      if (d[t] == S(0)) continue;
      const Eigen::Index j = feature_of(b[t]), c = output_of(b[t]);
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) {
        Eigen::Index& slot = s.slot_[it.row()];
        if (slot < 0) {
          slot = static_cast<Eigen::Index>(s.touched_.size());
          s.touched_.push_back(it.row());
          if (s.scratch_.cols() <= slot) s.scratch_.conservativeResize(K_, std::max<Eigen::Index>(2 * slot, 64));
          s.scratch_.col(slot) = s.Z.col(it.row());
        }
        s.scratch_(c, slot) += it.value() * d[t];
      }
    }
    S loss_change = 0;
    for (std::size_t r = 0; r < s.touched_.size(); ++r) {
      const Eigen::Index i = s.touched_[r];
      loss_change += row_weight(i) * (loss_.value(i, s.Z.col(i).data()) - loss_.value(i, s.scratch_.col(static_cast<Eigen::Index>(r)).data()));
      s.slot_[i] = -1;
    }
    S pen_change = 0;
    for (std::size_t t = 0; t < b.size(); ++t)
      if (penalized(b[t])) pen_change -= l2_ / 2 * d[t] * (2 * s.x[b[t]] + d[t]);
    return loss_change / norm_ + pen_change;
  }

  /// L_a = C_cc·Σᵢ sᵢã_ij²/Σs (+ l2): the coordinate constants (exact for least squares).
  VecX<S> coordinate_lipschitz() const {
    VecX<S> L(dim());
    for (Eigen::Index a = 0; a < dim(); ++a) {
      const Eigen::Index j = feature_of(a), c = output_of(a);
      S sq = 0;
      if (sw_.size()) {
        for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) sq += sw_[it.row()] * it.value() * it.value();
      } else {
        sq = cols_.col(j).squaredNorm();
      }
      L[a] = loss_.bound(c, c, std::min<Eigen::Index>(K_, 2)) * sq / norm_ + (penalized(a) ? l2_ : S(0));
    }
    return L;
  }

  /// H_b ⪰ ∇²_bb f(y) for every y (see the file comment).
  void block_hessian_bound(Block b, Eigen::Ref<MatX<S>> H) const {
    check_block_matrix(b, H);
    const Eigen::Index k = bound_classes(b);
    block_gram(b, H, [&](Eigen::Index, Eigen::Index c, Eigen::Index c2) { return loss_.bound(c, c2, k); });
  }

  /// ∇²_bb f(x) at the state, O(τ·Σ nnz of the block's columns).
  void block_hessian(const State& s, Block b, Eigen::Ref<MatX<S>> H) const {
    check_block_matrix(b, H);
    block_gram(b, H, [&](Eigen::Index i, Eigen::Index c, Eigen::Index c2) {
      return loss_.hessian(i, s.D.col(i).data(), c, c2);
    });
  }

  /// out = H v for the global bound H = (Ãᵀdiag(s)Ã/Σs) ⊗ C_K + l2 (penalized).
  void hessian_bound_times(In<S> v, Out<S> out) const {
    MatX<S> U = MatX<S>::Zero(K_, n_);
    for (Eigen::Index j = 0; j < p_; ++j)
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it)
        for (Eigen::Index c = 0; c < K_; ++c) U(c, it.row()) += it.value() * v[c * p_ + j];
    MatX<S> C(K_, K_);
    for (Eigen::Index c = 0; c < K_; ++c)
      for (Eigen::Index c2 = 0; c2 < K_; ++c2) C(c, c2) = loss_.bound(c, c2, K_);
    const MatX<S> W = C.lazyProduct(U);  // one dot per entry: no thread-count-dependent GEMM blocking
    for (Eigen::Index j = 0; j < p_; ++j)
      for (Eigen::Index c = 0; c < K_; ++c) {
        S sum = 0;
        for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) sum += it.value() * W(c, it.row()) * row_weight(it.row());
        const Eigen::Index a = c * p_ + j;
        out[a] = sum / norm_ + (penalized(a) ? l2_ * v[a] : S(0));
      }
  }

  /// D_a ≥ Σ_a' |H_aa'| for the global bound H (see the file comment).
  VecX<S> hessian_bound_row_sums() const {
    VecX<S> row_abs = VecX<S>::Zero(n_);
    for (Eigen::Index j = 0; j < p_; ++j)
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) row_abs[it.row()] += std::abs(it.value());
    VecX<S> D(dim());
    for (Eigen::Index a = 0; a < dim(); ++a) {
      const Eigen::Index j = feature_of(a), c = output_of(a);
      S r = 0;
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it)
        r += std::abs(it.value()) * row_abs[it.row()] * row_weight(it.row());
      S csum = 0;
      for (Eigen::Index c2 = 0; c2 < K_; ++c2) csum += std::abs(loss_.bound(c, c2, K_));
      D[a] = r * csum / norm_ + (penalized(a) ? l2_ : S(0));
    }
    return D;
  }

 private:
  S coordinate_gradient(const State& s, Eigen::Index a) const {
    const Eigen::Index j = feature_of(a), c = output_of(a);
    S sum = 0;
    for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, j); it; ++it) sum += it.value() * s.D(c, it.row()) * row_weight(it.row());
    return sum / norm_ + (penalized(a) ? l2_ * s.x[a] : S(0));
  }

  // sᵢ (1 without weights: multiplying by it keeps the unweighted bits).
  S row_weight(Eigen::Index i) const { return sw_.size() ? sw_[i] : S(1); }

  S penalty(const VecX<S>& x) const {
    if (l2_ == S(0)) return S(0);
    S sq = 0;
    for (Eigen::Index a = 0; a < dim(); ++a)
      if (penalized(a)) sq += x[a] * x[a];
    return l2_ / 2 * sq;
  }

  /// Lists coordinate a in s.changed once. Past a quarter of all coordinates the list stops
  /// (all_changed): consumers rescan everything then, and marking would cost more than it saves.
  void mark(State& s, Eigen::Index a) const {
    if (s.all_changed || s.coord_mark_[a]) return;
    if (4 * static_cast<Eigen::Index>(s.changed.size()) >= dim()) {
      for (Eigen::Index c : s.changed) s.coord_mark_[c] = 0;
      s.changed.clear();
      s.all_changed = true;
      return;
    }
    s.coord_mark_[a] = 1;
    s.changed.push_back(a);
  }

  Eigen::Index bound_classes(Block b) const {
    std::vector<char> seen(static_cast<std::size_t>(K_), 0);
    Eigen::Index distinct = 0;
    for (Eigen::Index a : b)
      if (!seen[output_of(a)]) seen[output_of(a)] = 1, ++distinct;
    return std::min<Eigen::Index>(K_, distinct + 1);
  }

  void check_block_matrix(Block b, const Eigen::Ref<MatX<S>>& H) const {
    const auto t = static_cast<Eigen::Index>(b.size());
    if (H.rows() != t || H.cols() != t)
      throw InvalidArgument(name_ + ": block matrix is " + std::to_string(H.rows()) + "x" + std::to_string(H.cols()) +
                            ", expected " + std::to_string(t) + "x" + std::to_string(t));
    for (Eigen::Index a : b)
      if (a < 0 || a >= dim())
        throw InvalidArgument(name_ + ": block index " + std::to_string(a) + " outside [0, " + std::to_string(dim()) + ")");
  }

  /// H(u, v) = Σᵢ sᵢ ã_{i,j_u} ã_{i,j_v} w(i, c_u, c_v) / Σs + l2·δ_uv (penalized): column j_u is
  /// scattered into a dense per-thread work vector (kept zero between calls, so no O(n) work or
  /// allocation per call), then dotted with every sparse column j_v.
  template <class Weight>
  void block_gram(Block b, Eigen::Ref<MatX<S>> H, Weight&& w) const {
    thread_local std::vector<S> work;
    if (work.size() < static_cast<std::size_t>(n_)) work.assign(static_cast<std::size_t>(n_), S(0));
    const auto t = static_cast<Eigen::Index>(b.size());
    for (Eigen::Index u = 0; u < t; ++u) {
      const Eigen::Index ju = feature_of(b[u]), cu = output_of(b[u]);
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, ju); it; ++it) work[static_cast<std::size_t>(it.row())] = it.value();
      for (Eigen::Index v = u; v < t; ++v) {
        const Eigen::Index jv = feature_of(b[v]), cv = output_of(b[v]);
        S sum = 0;
        for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, jv); it; ++it)
          sum += work[static_cast<std::size_t>(it.row())] * it.value() * w(it.row(), cu, cv) * row_weight(it.row());
        H(u, v) = H(v, u) = sum / norm_;
      }
      for (typename Eigen::SparseMatrix<S>::InnerIterator it(cols_, ju); it; ++it) work[static_cast<std::size_t>(it.row())] = S(0);
      if (penalized(b[u])) H(u, u) += l2_;
    }
  }

  Loss loss_;
  std::string name_;
  Eigen::Index n_, d_, p_, K_;
  bool intercept_;
  S l2_;
  VecX<S> sw_;            // sample weights; empty: every row weighs 1
  S total_ = 0, norm_ = 1;  // Σs (n without weights), and the divisor of the mean (1 when Σs = 0)
  Eigen::SparseMatrix<S> cols_;
  Eigen::SparseMatrix<S, Eigen::RowMajor> rows_;
};

namespace detail {
/// What the coordinate form cannot carry: an l1 term (not smooth).
template <class P>
void refuse_l1(const P& p, const char* what) {
  if (p.options().l1 != 0)
    throw InvalidArgument(std::string("coordinate_form(") + what + "): l1 = " + std::to_string(p.options().l1) +
                          " is not smooth; smooth block coordinate descent needs l1 = 0 (treat the L1 term "
                          "as a separable regularizer in proximal BCD)");
}
}  // namespace detail

/// The block-coordinate form of a least-squares problem (same f, same layout).
template <class S, class Design>
CoordinateLinearModel<S, SquaredRowLoss<S>> coordinate_form(const LeastSquares<S, Design>& p) {
  detail::refuse_l1(p, "LeastSquares");
  return {p.design(), SquaredRowLoss<S>{p.response()}, p.options().intercept, p.options().l2, "CoordinateLeastSquares", p.sample_weights()};
}

/// The block-coordinate form of a logistic-regression problem (same f, same layout).
template <class S, class Design>
CoordinateLinearModel<S, LogisticRowLoss<S>> coordinate_form(const Logistic<S, Design>& p) {
  detail::refuse_l1(p, "Logistic");
  return {p.design(), LogisticRowLoss<S>{p.labels()}, p.options().intercept, p.options().l2, "CoordinateLogistic", p.sample_weights()};
}

/// The block-coordinate form of a multinomial problem: coordinate k·p + j is (feature j, class k).
template <class S, class Design>
CoordinateLinearModel<S, SoftmaxRowLoss<S>> coordinate_form(const Multinomial<S, Design>& p) {
  detail::refuse_l1(p, "Multinomial");
  return {p.design(), SoftmaxRowLoss<S>{p.labels(), p.num_classes()}, p.options().intercept, p.options().l2,
          "CoordinateMultinomial", p.sample_weights()};
}

}  // namespace convlab::problems
