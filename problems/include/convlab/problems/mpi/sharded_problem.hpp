#pragma once
/// \file
/// Any finite-sum problem over rows spread across MPI ranks, with results that do not depend on
/// the rank count. Every rank holds the problem over its own rows (`local`, e.g. from
/// read_libsvm_shard) and calls every method collectively (SPMD: all ranks run the same
/// optimizer on the same x). With our problems' convention — a minibatch value is the mean of
/// the batch's losses plus a batch-independent penalty r(x) — a sum over blocks
///
///     f(x) = Σ_B (|B|/n) · f_B(x),     f_B(x) = local.value(x, rows of B)   (Σ |B|/n = 1, so r is counted once)
///
/// gives the full objective, and the same for gradients. Each rank evaluates its blocks
/// (BlockLayout: the blocks never depend on the rank count), the partials are all-gathered and
/// every rank sums them in block order: the same bits on any number of ranks, and the same as
/// the 1-rank (in-process) result. A minibatch of global indices is cut at block boundaries the
/// same way, so minibatch runs are rank-count invariant too. Bytes per evaluation: every rank
/// receives (blocks or batch parts) × (d + 1) doubles.
///
/// Not here: Hessians, coordinate (BCD) state, Lipschitz bounds — see docs/distributed.md.

#include <mpi.h>

#include <algorithm>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/errors.hpp>

#include "block_layout.hpp"

namespace convlab::mpi {

template <problems::FiniteSum<double> P>
class ShardedProblem {
 public:
  using Scalar = double;

  /// `local` holds global rows [layout.first_row(rank), layout.first_row(rank + 1)).
  ShardedProblem(P local, BlockLayout layout, MPI_Comm comm) : local_(std::move(local)), layout_(layout), comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    if (layout_.ranks() != size_)
      throw InvalidArgument("ShardedProblem: the layout is for " + std::to_string(layout_.ranks()) + " ranks, the communicator has " +
                            std::to_string(size_));
    first_row_ = layout_.first_row(rank_);
    const Eigen::Index mine = layout_.first_row(rank_ + 1) - first_row_;
    if (local_.num_samples() != mine)
      throw InvalidArgument("ShardedProblem: rank " + std::to_string(rank_) + " holds " + std::to_string(local_.num_samples()) +
                            " rows, its blocks cover " + std::to_string(mine));
    for (Eigen::Index b = layout_.first_block(rank_); b < layout_.first_block(rank_ + 1); ++b) {
      std::vector<Eigen::Index> rows;
      for (Eigen::Index i = layout_.block_begin(b); i < layout_.block_end(b); ++i) rows.push_back(i - first_row_);
      block_rows_.push_back(std::move(rows));
    }
  }

  Eigen::Index dim() const { return local_.dim(); }
  Eigen::Index num_samples() const { return layout_.rows(); }
  const P& local() const { return local_; }
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
    std::vector<double> mine(block_rows_.size() * static_cast<std::size_t>(width), 0.0);
    VecX<double> gb(d);
    for (std::size_t k = 0; k < block_rows_.size(); ++k) {
      const Batch rows(block_rows_[k]);
      const double w = static_cast<double>(rows.size()) / n;
      double* out = mine.data() + k * static_cast<std::size_t>(width);
      out[0] = w * local_.value(x, rows);
      if (g) {
        local_.gradient(x, rows, gb);
        for (Eigen::Index j = 0; j < d; ++j) out[1 + j] = w * gb[j];
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
      std::vector<Eigen::Index> rows = parts[k];
      for (auto& i : rows) i -= first_row_;
      const double w = static_cast<double>(rows.size()) / static_cast<double>(batch.size());
      mine.push_back(w * local_.value(x, Batch(rows)));
      if (g) {
        local_.gradient(x, Batch(rows), gb);
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

  P local_;
  BlockLayout layout_;
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  Eigen::Index first_row_ = 0;
  std::vector<std::vector<Eigen::Index>> block_rows_;
  mutable std::size_t last_exchange_ = 0;
};

}  // namespace convlab::mpi
