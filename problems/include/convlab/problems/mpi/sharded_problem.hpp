#pragma once
/// \file
/// Any finite-sum problem over rows spread across MPI ranks, with results that do not depend on
/// the rank count. Every rank holds one problem per block of its rows (`blocks`, built by
/// `split_into_blocks` from its shard, e.g. read_libsvm_shard) and calls every method
/// collectively (SPMD: all ranks run the same optimizer on the same x). With our problems'
/// convention — a value is the mean of the losses plus a data-independent penalty r(x) — a sum
/// over blocks
///
///     f(x) = Σ_B (|B|/n) · f_B(x)      (Σ |B|/n = 1, so r is counted once)
///
/// gives the full objective, and the same for gradients; each f_B is the block problem's own
/// fused, vectorized full-batch evaluation. Each rank evaluates its blocks (BlockLayout: the
/// blocks never depend on the rank count), the partials are all-gathered and every rank sums
/// them in block order: the same bits on any number of ranks, and the same as the 1-rank
/// (in-process) result. A minibatch of global indices is cut at block boundaries the same way,
/// so minibatch runs are rank-count invariant too. Bytes per evaluation: every rank receives
/// (blocks or batch parts) × (d + 1) doubles.
///
/// Not here: Hessians, coordinate (BCD) state, Lipschitz bounds — see docs/distributed.md.

#include <mpi.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/errors.hpp>

#include "block_layout.hpp"

namespace convlab::mpi {

template <problems::FiniteSum<double> P>
class ShardedProblem {
 public:
  using Scalar = double;

  /// `blocks`: one problem per block of this rank, in block order (split_into_blocks).
  ShardedProblem(std::vector<P> blocks, BlockLayout layout, MPI_Comm comm) : blocks_(std::move(blocks)), layout_(layout), comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    if (layout_.ranks() != size_)
      throw InvalidArgument("ShardedProblem: the layout is for " + std::to_string(layout_.ranks()) + " ranks, the communicator has " +
                            std::to_string(size_));
    const Eigen::Index first = layout_.first_block(rank_), count = layout_.first_block(rank_ + 1) - first;
    if (static_cast<Eigen::Index>(blocks_.size()) != count || count == 0)
      throw InvalidArgument("ShardedProblem: rank " + std::to_string(rank_) + " has " + std::to_string(blocks_.size()) + " block problems, its layout " +
                            std::to_string(count) + (count == 0 ? " (no rows: use fewer ranks)" : ""));
    for (Eigen::Index k = 0; k < count; ++k)
      if (blocks_[static_cast<std::size_t>(k)].num_samples() != layout_.block_end(first + k) - layout_.block_begin(first + k))
        throw InvalidArgument("ShardedProblem: block " + std::to_string(first + k) + " has " + std::to_string(blocks_[static_cast<std::size_t>(k)].num_samples()) +
                              " rows, the layout " + std::to_string(layout_.block_end(first + k) - layout_.block_begin(first + k)));
    for (const auto& b : blocks_)
      if (b.dim() != blocks_.front().dim()) throw InvalidArgument("ShardedProblem: the block problems differ in dimension");
    int d = static_cast<int>(blocks_.front().dim()), dmax = 0, dmin = 0;
    MPI_Allreduce(&d, &dmax, 1, MPI_INT, MPI_MAX, comm_);
    MPI_Allreduce(&d, &dmin, 1, MPI_INT, MPI_MIN, comm_);
    if (dmax != dmin) throw InvalidArgument("ShardedProblem: ranks disagree on the dimension (" + std::to_string(dmin) + " vs " + std::to_string(dmax) + ")");
  }

  Eigen::Index dim() const { return blocks_.front().dim(); }
  Eigen::Index num_samples() const { return layout_.rows(); }
  const std::vector<P>& blocks() const { return blocks_; }
  const BlockLayout& layout() const { return layout_; }
  /// Doubles this rank received in the last evaluation's all-gather.
  std::size_t last_exchange_doubles() const { return last_exchange_; }

  double value(In<double> x) const { return full(x, nullptr); }
  double value_and_gradient(In<double> x, Out<double> g) const { return full(x, &g); }
  void gradient(In<double> x, Out<double> g) const { (void)full(x, &g); }
  double value(In<double> x, Batch batch) const { return minibatch(x, batch, nullptr); }
  void gradient(In<double> x, Batch batch, Out<double> g) const { (void)minibatch(x, batch, &g); }

 private:
  // Each part: weight·(value, gradient) for one block (or one block's share of a batch).
  double full(In<double> x, Out<double>* g) const {
    const Eigen::Index d = dim(), width = d + 1;
    const double n = static_cast<double>(layout_.rows());
    std::vector<double> mine(blocks_.size() * static_cast<std::size_t>(width), 0.0);
    VecX<double> gb(d);
    for (std::size_t k = 0; k < blocks_.size(); ++k) {
      const double w = static_cast<double>(blocks_[k].num_samples()) / n;
      double* out = mine.data() + k * static_cast<std::size_t>(width);
      if (g) {
        out[0] = w * problems::value_and_gradient(blocks_[k], x, gb);
        for (Eigen::Index j = 0; j < d; ++j) out[1 + j] = w * gb[j];
      } else {
        out[0] = w * blocks_[k].value(x);
      }
    }
    std::vector<int> counts(static_cast<std::size_t>(size_)), displs(static_cast<std::size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      counts[static_cast<std::size_t>(r)] = static_cast<int>((layout_.first_block(r + 1) - layout_.first_block(r)) * width);
      displs[static_cast<std::size_t>(r)] = static_cast<int>(layout_.first_block(r) * width);
    }
    return reduce(mine, counts, displs, layout_.blocks(), g);
  }

  double minibatch(In<double> x, Batch batch, Out<double>* g) const {
    if (batch.empty()) throw InvalidArgument("ShardedProblem: empty minibatch");
    const Eigen::Index d = dim(), width = d + 1;
    // Parts: the batch cut at block boundaries, blocks in increasing order, rows in batch order.
    std::vector<std::vector<Eigen::Index>> parts;
    std::vector<Eigen::Index> part_block;
    std::vector<Eigen::Index> order(batch.begin(), batch.end());
    for (Eigen::Index i : order)
      if (i < 0 || i >= layout_.rows()) throw InvalidArgument("ShardedProblem: minibatch index " + std::to_string(i) + " outside [0, " + std::to_string(layout_.rows()) + ")");
    std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return a / layout_.block_rows() < b / layout_.block_rows(); });
    for (Eigen::Index i : order) {
      const Eigen::Index b = i / layout_.block_rows();
      if (part_block.empty() || part_block.back() != b) part_block.push_back(b), parts.emplace_back();
      parts.back().push_back(i);
    }
    std::vector<int> counts(static_cast<std::size_t>(size_), 0), displs(static_cast<std::size_t>(size_), 0);
    for (Eigen::Index b : part_block) counts[static_cast<std::size_t>(layout_.owner_of_block(b))] += static_cast<int>(width);
    for (int r = 1; r < size_; ++r) displs[static_cast<std::size_t>(r)] = displs[static_cast<std::size_t>(r) - 1] + counts[static_cast<std::size_t>(r) - 1];
    std::vector<double> mine;
    VecX<double> gb(d);
    for (std::size_t k = 0; k < parts.size(); ++k) {
      if (layout_.owner_of_block(part_block[k]) != rank_) continue;
      const P& block = blocks_[static_cast<std::size_t>(part_block[k] - layout_.first_block(rank_))];
      std::vector<Eigen::Index> rows = parts[k];
      for (auto& i : rows) i -= layout_.block_begin(part_block[k]);
      const double w = static_cast<double>(rows.size()) / static_cast<double>(batch.size());
      mine.push_back(w * block.value(x, Batch(rows)));
      if (g) {
        block.gradient(x, Batch(rows), gb);
        for (Eigen::Index j = 0; j < d; ++j) mine.push_back(w * gb[j]);
      } else {
        mine.insert(mine.end(), static_cast<std::size_t>(d), 0.0);
      }
    }
    return reduce(mine, counts, displs, static_cast<Eigen::Index>(parts.size()), g);
  }

  // All-gathers the parts (rank order = block order) and sums them in that order on every rank.
  double reduce(const std::vector<double>& mine, const std::vector<int>& counts, const std::vector<int>& displs, Eigen::Index parts,
                Out<double>* g) const {
    const Eigen::Index d = dim(), width = d + 1;
    std::vector<double> all(static_cast<std::size_t>(parts * width));
    MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, comm_);
    last_exchange_ = all.size();
    double f = 0;
    if (g) g->setZero();
    for (Eigen::Index k = 0; k < parts; ++k) {
      const double* p = all.data() + k * width;
      f += p[0];
      if (g)
        for (Eigen::Index j = 0; j < d; ++j) (*g)[j] += p[1 + j];
    }
    return f;
  }

  std::vector<P> blocks_;
  BlockLayout layout_;
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  mutable std::size_t last_exchange_ = 0;
};

/// One problem per block of this rank's rows: `make(X_block, y_block)` for each block, rows
/// copied out of the shard (X, y: global rows layout.first_row(rank) …, in order).
template <class Design, class Make>
auto split_into_blocks(const Design& X, const VecX<double>& y, const BlockLayout& layout, int rank, Make&& make) {
  using P = std::decay_t<decltype(make(X, y))>;
  const Eigen::Index first_row = layout.first_row(rank);
  convlab::detail::require_size(X.rows(), layout.first_row(rank + 1) - first_row, "split_into_blocks: rows of this rank's shard");
  convlab::detail::require_size(y.size(), X.rows(), "split_into_blocks: labels");
  std::vector<P> blocks;
  for (Eigen::Index b = layout.first_block(rank); b < layout.first_block(rank + 1); ++b) {
    const Eigen::Index start = layout.block_begin(b) - first_row, len = layout.block_end(b) - layout.block_begin(b);
    blocks.push_back(make(Design(X.middleRows(start, len)), VecX<double>(y.segment(start, len))));
  }
  return blocks;
}

}  // namespace convlab::mpi
