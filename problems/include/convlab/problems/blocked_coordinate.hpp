#pragma once
/// \file
/// Block coordinate descent on a problem cut into row blocks (BlockLayout), the blocks spread
/// over ranks (BlockExchange) — a `BlockCoordinate` problem like the others, so every BCD
/// selection rule and update of optim/bcd runs on it unchanged.
///
/// Each rank keeps, per row block, that block's coordinate form (coordinate_form of the block's
/// problem) and its incremental state (scores and loss derivatives of its rows only). With
/// f = Σ_B (|B|/n) f_B (with sample weights, Σ_B (Σ_{i∈B} sᵢ/Σs) f_B), every quantity BCD asks
/// for is a weighted sum over row blocks, which the ranks exchange and add in block order — the
/// same bits on any number of ranks:
///
/// | member                               | per call, each rank sends (doubles)     |
/// |--------------------------------------|-----------------------------------------|
/// | `block_gradient(s, b, g)`            | |b| per row block (untracked states)    |
/// | `update_block(s, b, d)`              | nothing (each row block updates its own |
/// |                                      | scores); d per row block when tracking ∇f |
/// | `decrease`, `value`                  | 1 per row block                         |
/// | `gradient`                           | d per row block                         |
/// | curvature (`coordinate_lipschitz`, bounds, block Hessians) | their size per row block |
///
/// What it costs: an untracked state (cyclic, random, Lipschitz-sampling rules, and greedy
/// rules that score from block gradients) pays one exchange of |b| numbers per iteration;
/// a tracked gradient (Gauss–Southwell rules that keep ∇f current) pays d per row block per
/// update and marks every entry changed — correct, but on many ranks the untracked rules are
/// the ones to use. Message passing on forests (graph quadratics) is not a sum over rows and
/// has no row-blocked form. Rows in the blocks' own messages are block-local; see
/// split_into_blocks. The coordinate constants are Σ_B (|B|/n)·L_B — the same numbers as the
/// unblocked problem's in exact arithmetic.

#include <memory>
#include <string>
#include <vector>

#include "block_coordinate.hpp"
#include "block_exchange.hpp"
#include "block_layout.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

template <BlockCoordinate<double> P>
class BlockedCoordinate {
 public:
  using Scalar = double;

  struct State : CoordinateState<double> {
    std::vector<typename P::State> parts;  ///< one per row block of this rank
  };

  /// `blocks`: the coordinate form of each row block of this rank, in block order.
  BlockedCoordinate(std::vector<P> blocks, BlockLayout layout, std::shared_ptr<const BlockExchange> exchange = std::make_shared<LocalExchange>())
      : blocks_(std::move(blocks)), layout_(layout), ex_(std::move(exchange)) {
    check_row_blocks(blocks_, layout_, *ex_, "BlockedCoordinate");
    // Each row block's share of the mean: its total sample weight over all blocks' (|B|/n without
    // weights: integer sums, exact). With no weight anywhere f is the penalty; |B|/n keeps Σ = 1.
    std::vector<double> mine(blocks_.size());
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      if constexpr (requires { blocks_[k].total_weight(); }) mine[k] = static_cast<double>(blocks_[k].total_weight());
      else mine[k] = static_cast<double>(blocks_[k].num_samples());
    }
    std::vector<double> total;
    sum_in_block_order(*ex_, layout_, mine, 1, total);
    for (std::size_t k = 0; k < blocks_.size(); ++k)
      share_.push_back(total[0] > 0 ? mine[k] / total[0] : static_cast<double>(blocks_[k].num_samples()) / static_cast<double>(layout_.rows()));
  }

  Eigen::Index dim() const { return blocks_.front().dim(); }
  Eigen::Index num_samples() const { return layout_.rows(); }
  const std::vector<P>& blocks() const { return blocks_; }
  const BlockLayout& layout() const { return layout_; }
  bool any_rank(bool flag) const { return ex_->any(flag); }

  State make_state(In<double> x, bool track_gradient) const {
    State s;
    s.x = x;
    s.tracks_gradient = track_gradient;
    for (const P& b : blocks_) s.parts.push_back(b.make_state(x, false));
    if (track_gradient) {
      s.grad.resize(dim());
      gradient(s, s.grad);
    }
    s.all_changed = true;
    return s;
  }

  void refresh(State& s) const {
    for (std::size_t k = 0; k < blocks_.size(); ++k) blocks_[k].refresh(s.parts[k]);
    if (s.tracks_gradient) gradient(s, s.grad);
    s.changed.clear();
    s.all_changed = true;
  }

  double value(const State& s) const {
    return sum(1, [&](std::size_t k, double* out) { out[0] = blocks_[k].value(s.parts[k]); })[0];
  }

  void gradient(const State& s, Out<double> g) const {
    detail::require_size(g.size(), dim(), "BlockedCoordinate: gradient buffer");
    VecX<double> gk(dim());
    const auto total = sum(dim(), [&](std::size_t k, double* out) {
      blocks_[k].gradient(s.parts[k], gk);
      Eigen::Map<VecX<double>>(out, dim()) = gk;
    });
    g = Eigen::Map<const VecX<double>>(total.data(), dim());
  }

  void block_gradient(const State& s, Block b, Out<double> g) const {
    const auto n = static_cast<Eigen::Index>(b.size());
    detail::require_size(g.size(), n, "BlockedCoordinate: block gradient buffer");
    if (s.tracks_gradient) {
      for (Eigen::Index t = 0; t < n; ++t) g[t] = s.grad[b[static_cast<std::size_t>(t)]];
      return;
    }
    VecX<double> gk(n);
    const auto total = sum(n, [&](std::size_t k, double* out) {
      blocks_[k].block_gradient(s.parts[k], b, gk);
      Eigen::Map<VecX<double>>(out, n) = gk;
    });
    g = Eigen::Map<const VecX<double>>(total.data(), n);
  }

  /// x_b += d on every row block's state (no exchange), then ∇f when tracked.
  void update_block(State& s, Block b, In<double> d) const {
    detail::require_size(d.size(), static_cast<Eigen::Index>(b.size()), "BlockedCoordinate: block step");
    for (std::size_t t = 0; t < b.size(); ++t) s.x[b[t]] += d[static_cast<Eigen::Index>(t)];
    for (std::size_t k = 0; k < blocks_.size(); ++k) blocks_[k].update_block(s.parts[k], b, d);
    if (s.tracks_gradient) {
      gradient(s, s.grad);
      s.changed.clear();
      s.all_changed = true;
    }
  }

  double decrease(State& s, Block b, In<double> d) const {
    return sum(1, [&](std::size_t k, double* out) { out[0] = blocks_[k].decrease(s.parts[k], b, d); })[0];
  }

  VecX<double> coordinate_lipschitz() const {
    const auto total = sum(dim(), [&](std::size_t k, double* out) { Eigen::Map<VecX<double>>(out, dim()) = blocks_[k].coordinate_lipschitz(); });
    return Eigen::Map<const VecX<double>>(total.data(), dim());
  }

  void block_hessian_bound(Block b, Eigen::Ref<MatX<double>> H) const {
    matrix_sum(b, H, [&](std::size_t k, Eigen::Ref<MatX<double>> Hk) { blocks_[k].block_hessian_bound(b, Hk); });
  }

  void block_hessian(const State& s, Block b, Eigen::Ref<MatX<double>> H) const requires BlockNewton<P, double> {
    matrix_sum(b, H, [&](std::size_t k, Eigen::Ref<MatX<double>> Hk) { blocks_[k].block_hessian(s.parts[k], b, Hk); });
  }

  void hessian_bound_times(In<double> v, Out<double> out) const {
    VecX<double> ok(dim());
    const auto total = sum(dim(), [&](std::size_t k, double* o) {
      blocks_[k].hessian_bound_times(v, ok);
      Eigen::Map<VecX<double>>(o, dim()) = ok;
    });
    out = Eigen::Map<const VecX<double>>(total.data(), dim());
  }

  /// Σ_B share_B·D_B: Σ_B |H_B| entrywise bounds |Σ_B H_B|, so diag(D) ⪰ H still holds.
  VecX<double> hessian_bound_row_sums() const {
    const auto total = sum(dim(), [&](std::size_t k, double* out) { Eigen::Map<VecX<double>>(out, dim()) = blocks_[k].hessian_bound_row_sums(); });
    return Eigen::Map<const VecX<double>>(total.data(), dim());
  }

 private:
  // Σ_B share_B·part_B over every row block, in block order; fill(k, out) writes row block k's part.
  template <class Fill>
  std::vector<double> sum(Eigen::Index width, Fill&& fill) const {
    std::vector<double> mine(blocks_.size() * static_cast<std::size_t>(width));
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      double* out = mine.data() + k * static_cast<std::size_t>(width);
      fill(k, out);
      for (Eigen::Index j = 0; j < width; ++j) out[j] *= share_[k];
    }
    std::vector<double> total;
    sum_in_block_order(*ex_, layout_, mine, width, total);
    return total;
  }

  template <class Fill>
  void matrix_sum(Block b, Eigen::Ref<MatX<double>> H, Fill&& fill) const {
    const auto n = static_cast<Eigen::Index>(b.size());
    detail::require_size(H.rows(), n, "BlockedCoordinate: rows of the block matrix");
    detail::require_size(H.cols(), n, "BlockedCoordinate: columns of the block matrix");
    MatX<double> Hk(n, n);
    const auto total = sum(n * n, [&](std::size_t k, double* out) {
      fill(k, Hk);
      Eigen::Map<MatX<double>>(out, n, n) = Hk;
    });
    H = Eigen::Map<const MatX<double>>(total.data(), n, n);
  }

  std::vector<P> blocks_;
  BlockLayout layout_;
  std::shared_ptr<const BlockExchange> ex_;
  std::vector<double> share_;  // row block k's weight in the mean (|B|/n without sample weights)
};

}  // namespace convlab::problems
