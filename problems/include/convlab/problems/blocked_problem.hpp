#pragma once
/// \file
/// Any finite-sum problem cut into row blocks, with results that do not depend on how the
/// blocks are spread over ranks. Every rank holds one problem per block of its rows
/// (`blocks`, built by `split_into_blocks`) and, with more than one rank, calls every method
/// collectively (SPMD: all ranks run the same optimizer on the same x). With our problems'
/// convention — a value is the mean of the losses plus a data-independent penalty r(x) — a
/// sum over blocks
///
///     f(x) = Σ_B (|B|/n) · f_B(x)      (Σ |B|/n = 1, so r is counted once)
///
/// (with sample weights, |B| and n are the blocks' and the data's sums of weights),
/// gives the full objective, and the same for gradients and Hessians; each f_B is the block
/// problem's own fused, vectorized evaluation. Each rank evaluates its blocks (BlockLayout: the
/// blocks never depend on the rank count), the partials are exchanged (BlockExchange) and
/// every rank sums them in block order: the same bits on any number of ranks, and the same as
/// one process holding every block (LocalExchange, the default). A minibatch of global indices
/// is cut at block boundaries the same way, so minibatch runs are rank-count invariant too.
///
/// Bytes per evaluation: every rank receives (blocks or batch parts) × (d + 1) doubles.
/// Hessians and Lipschitz moments (linear models) pass once along the ranks (chain).

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "block_exchange.hpp"
#include "block_layout.hpp"
#include "concepts.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

template <FiniteSum<double> P>
class BlockedProblem {
 public:
  using Scalar = double;

  /// `blocks`: one problem per block of this rank, in block order (split_into_blocks).
  BlockedProblem(std::vector<P> blocks, BlockLayout layout, std::shared_ptr<const BlockExchange> exchange = std::make_shared<LocalExchange>())
      : blocks_(std::move(blocks)), layout_(layout), ex_(std::move(exchange)) {
    check_row_blocks(blocks_, layout_, *ex_, "BlockedProblem");
    total_weight_ = static_cast<double>(layout_.rows());
    if constexpr (has_sample_weights) {
      std::vector<double> total(1, 0.0);
      ex_->chain(total, [&](std::vector<double>& a) {
        for (const P& b : blocks_) a[0] += b.total_weight();
      });
      total_weight_ = total[0];
      if (!(total_weight_ > 0)) throw InvalidArgument("BlockedProblem: every sample weight is 0");
      // Minibatch rows on the whole data's scale: a part's mean times its share of the batch.
      for (P& b : blocks_)
        if (b.weighted()) b.set_minibatch_mean_weight(total_weight_ / static_cast<double>(layout_.rows()));
    }
  }

  Eigen::Index dim() const { return blocks_.front().dim(); }
  Eigen::Index num_samples() const { return layout_.rows(); }
  Eigen::Index num_features() const requires requires(const P& p) { p.num_features(); } { return blocks_.front().num_features(); }
  Eigen::Index num_outputs() const requires requires(const P& p) { p.num_outputs(); } { return blocks_.front().num_outputs(); }
  const std::vector<P>& blocks() const { return blocks_; }
  const BlockLayout& layout() const { return layout_; }
  const BlockExchange& exchange() const { return *ex_; }
  /// Whether `flag` is set on any rank. Drivers ask before stopping on something that differs
  /// between ranks (the clock: MinimizeOptions::time_limit), so every rank stops at the same
  /// iteration instead of one waiting forever for the others.
  bool any_rank(bool flag) const { return ex_->any(flag); }
  /// Doubles this rank received in the last evaluation's exchange.
  std::size_t last_exchange_doubles() const { return last_exchange_; }

  double value(In<double> x) const { return full(x, nullptr); }
  double value_and_gradient(In<double> x, Out<double> g) const { return full(x, &g); }
  void gradient(In<double> x, Out<double> g) const { (void)full(x, &g); }
  double value(In<double> x, Batch batch) const { return minibatch(x, batch, nullptr); }
  void gradient(In<double> x, Batch batch, Out<double> g) const { (void)minibatch(x, batch, &g); }

  /// Σ_B (|B|/n) ∇²f_B(x), added along the ranks in block order.
  void hessian(In<double> x, Eigen::Ref<MatX<double>> H) const requires TwiceDifferentiable<P, double> {
    const Eigen::Index d = dim();
    detail::require_size(H.rows(), d, "BlockedProblem::hessian: rows of H");
    detail::require_size(H.cols(), d, "BlockedProblem::hessian: columns of H");
    std::vector<double> acc(static_cast<std::size_t>(d * d), 0.0);
    ex_->chain(acc, [&](std::vector<double>& a) {
      MatX<double> Hb(d, d);
      Eigen::Map<MatX<double>> sum(a.data(), d, d);
      for (const P& b : blocks_) {
        b.hessian(x, Hb);
        sum += weight(b) * Hb;
      }
    });
    H = Eigen::Map<const MatX<double>>(acc.data(), d, d);
  }

  /// The Lipschitz bound of the whole data set (not of any block): the blocks' additive
  /// moments (LinearModel::add_lipschitz_moments) summed along the ranks in block order.
  double lipschitz() const requires requires(const P& p, std::vector<double>& m) { p.add_lipschitz_moments(m); } {
    if (!lipschitz_) {
      std::vector<double> m(blocks_.front().lipschitz_moments_size(), 0.0);
      ex_->chain(m, [&](std::vector<double>& a) {
        for (const P& b : blocks_) b.add_lipschitz_moments(a);
      });
      lipschitz_ = static_cast<double>(blocks_.front().lipschitz_from_moments(m));
    }
    return *lipschitz_;
  }

 private:
  const P& block(Eigen::Index k) const { return blocks_[static_cast<std::size_t>(k)]; }
  static constexpr bool has_sample_weights = requires(const P& p) { p.total_weight(); };
  /// The block's share of the objective: its rows' weight over the data's.
  double weight(const P& b) const {
    if constexpr (has_sample_weights) return b.total_weight() / total_weight_;
    return static_cast<double>(b.num_samples()) / total_weight_;
  }

  // Each part: weight·(value, gradient) for one block (or one block's share of a batch).
  double full(In<double> x, Out<double>* g) const {
    const Eigen::Index d = dim(), width = g ? d + 1 : 1;
    std::vector<double> mine(blocks_.size() * static_cast<std::size_t>(width), 0.0);
    VecX<double> gb(d);
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      const double w = weight(blocks_[k]);
      double* out = mine.data() + k * static_cast<std::size_t>(width);
      if (g) {
        out[0] = w * problems::value_and_gradient(blocks_[k], x, gb);
        for (Eigen::Index j = 0; j < d; ++j) out[1 + j] = w * gb[j];
      } else {
        out[0] = w * blocks_[k].value(x);
      }
    }
    std::vector<double> sum;
    sum_in_block_order(*ex_, layout_, mine, width, sum);
    last_exchange_ = ex_->size() > 1 ? static_cast<std::size_t>(layout_.blocks() * width) : 0;
    if (g) *g = Eigen::Map<const VecX<double>>(sum.data() + 1, d);
    return sum[0];
  }

  double minibatch(In<double> x, Batch batch, Out<double>* g) const {
    if (batch.empty()) throw InvalidArgument("BlockedProblem: empty minibatch");
    const Eigen::Index d = dim(), width = g ? d + 1 : 1, rows = layout_.block_rows();
    // Parts: the batch cut at block boundaries, blocks in increasing order, rows in batch order.
    std::vector<Eigen::Index> order(batch.begin(), batch.end());
    for (Eigen::Index i : order)
      if (i < 0 || i >= layout_.rows())
        throw InvalidArgument("BlockedProblem: minibatch index " + std::to_string(i) + " outside [0, " + std::to_string(layout_.rows()) + ")");
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return a / rows < b / rows; });
    std::vector<std::vector<Eigen::Index>> parts;
    std::vector<Eigen::Index> part_block;
    for (Eigen::Index i : order) {
      if (part_block.empty() || part_block.back() != i / rows) part_block.push_back(i / rows), parts.emplace_back();
      parts.back().push_back(i);
    }
    const int size = ex_->size(), rank = ex_->rank();
    std::vector<int> counts(static_cast<std::size_t>(size), 0), displs(static_cast<std::size_t>(size), 0);
    for (Eigen::Index b : part_block) counts[static_cast<std::size_t>(layout_.owner_of_block(b))] += static_cast<int>(width);
    for (int r = 1; r < size; ++r) displs[static_cast<std::size_t>(r)] = displs[static_cast<std::size_t>(r) - 1] + counts[static_cast<std::size_t>(r) - 1];
    std::vector<double> mine;
    VecX<double> gb(d);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (layout_.owner_of_block(part_block[k]) != rank) continue;
      const P& b = block(part_block[k] - layout_.first_block(rank));
      std::vector<Eigen::Index> local = parts[k];
      for (auto& i : local) i -= layout_.block_begin(part_block[k]);
      const double w = static_cast<double>(local.size()) / static_cast<double>(batch.size());
      mine.push_back(w * b.value(x, Batch(local)));
      if (g) {
        b.gradient(x, Batch(local), gb);
        for (Eigen::Index j = 0; j < d; ++j) mine.push_back(w * gb[j]);
      }
    }
    std::vector<double> sum;
    sum_parts(*ex_, mine, counts, displs, width, sum);
    last_exchange_ = ex_->size() > 1 ? parts.size() * static_cast<std::size_t>(width) : 0;
    if (g) *g = Eigen::Map<const VecX<double>>(sum.data() + 1, d);
    return sum[0];
  }

  std::vector<P> blocks_;
  BlockLayout layout_;
  std::shared_ptr<const BlockExchange> ex_;
  double total_weight_ = 0;  // Σ of the sample weights over every block (n without weights)
  mutable std::size_t last_exchange_ = 0;
  mutable std::optional<double> lipschitz_;
};

/// One problem per block of rank `rank`'s rows: `make(X_block, y_block, w_block)` for each block,
/// rows copied out of the shard (X, y and the sample weights w: global rows
/// layout.first_row(rank) …, in order; w empty: no weights, and every w_block is empty).
template <class Design, class Make>
auto split_into_blocks(const Design& X, const VecX<double>& y, const VecX<double>& w, const BlockLayout& layout, int rank, Make&& make) {
  using P = std::decay_t<decltype(make(X, y, w))>;
  const Eigen::Index first_row = layout.first_row(rank);
  detail::require_size(X.rows(), layout.first_row(rank + 1) - first_row, "split_into_blocks: rows of this rank's shard");
  detail::require_size(y.size(), X.rows(), "split_into_blocks: labels");
  if (w.size()) detail::require_size(w.size(), X.rows(), "split_into_blocks: sample weights");
  std::vector<P> blocks;
  for (Eigen::Index b = layout.first_block(rank); b < layout.first_block(rank + 1); ++b) {
    const Eigen::Index start = layout.block_begin(b) - first_row, len = layout.block_end(b) - layout.block_begin(b);
    try {
      blocks.push_back(make(Design(X.middleRows(start, len)), VecX<double>(y.segment(start, len)),
                            w.size() ? VecX<double>(w.segment(start, len)) : VecX<double>()));
    } catch (const InvalidArgument& e) {  // rows in the block problem's message are block-local
      throw InvalidArgument(std::string(e.what()) + " (in row block " + std::to_string(b) + ", whose row 0 is row " +
                            std::to_string(layout.block_begin(b)) + " of the data, counting from 0)");
    }
  }
  return blocks;
}

/// The same without sample weights: `make(X_block, y_block)` for each block.
template <class Design, class Make>
auto split_into_blocks(const Design& X, const VecX<double>& y, const BlockLayout& layout, int rank, Make&& make) {
  return split_into_blocks(X, y, VecX<double>(), layout, rank,
                           [&](Design A, VecX<double> b, const VecX<double>&) { return make(std::move(A), std::move(b)); });
}

}  // namespace convlab::problems
