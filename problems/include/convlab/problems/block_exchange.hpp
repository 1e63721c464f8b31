#pragma once
/// \file
/// How the ranks that hold the blocks of a blocked problem (blocked_problem.hpp) share their
/// per-block partial sums. Two operations suffice, both giving every rank the same bits
/// whatever the rank count:
///
/// - `allgatherv`: every rank contributes its parts (in block order; rank order = block order)
///   and receives everyone's — for per-evaluation partials (values, gradients), summed in block
///   order by the caller. Cost: latency of one collective.
/// - `chain`: a running vector passes rank 0 → 1 → … → last, each rank adding its blocks in
///   order, then the last rank broadcasts it — the same floating-point operations as one
///   process adding the blocks in order, with only one vector per rank on the wire. For large
///   one-off reductions (Gram matrices, Hessians, column moments).
///
/// `LocalExchange` is one process holding every block; `convlab::mpi::MpiExchange`
/// (problems/mpi/mpi_exchange.hpp) spreads them over an MPI communicator. The calls are a few
/// per evaluation, so a virtual call costs nothing measurable and keeps one instantiation of
/// every algorithm for both.

#include <functional>
#include <string>
#include <vector>

#include "block_layout.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

class BlockExchange {
 public:
  virtual ~BlockExchange() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Every rank's `mine`, concatenated in rank order; `counts`/`displs` per rank (doubles).
  virtual std::vector<double> allgatherv(const std::vector<double>& mine, const std::vector<int>& counts,
                                         const std::vector<int>& displs) const = 0;
  /// `acc` (the same size on every rank) is passed through the ranks in order; each calls
  /// add_mine(acc) once. On return every rank holds the last rank's result.
  virtual void chain(std::vector<double>& acc, const std::function<void(std::vector<double>&)>& add_mine) const = 0;
  /// The largest of every rank's `value` (exact in any order).
  virtual long long max(long long value) const = 0;
  /// Whether any rank's `flag` is set (e.g. a rank ran out of time: all stop together).
  virtual bool any(bool flag) const = 0;
};

/// One process holding every block.
class LocalExchange final : public BlockExchange {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::vector<double> allgatherv(const std::vector<double>& mine, const std::vector<int>&, const std::vector<int>&) const override {
    return mine;
  }
  void chain(std::vector<double>& acc, const std::function<void(std::vector<double>&)>& add_mine) const override { add_mine(acc); }
  long long max(long long value) const override { return value; }
  bool any(bool flag) const override { return flag; }
};

/// Checks that `blocks` (one problem per row block of this rank, in block order) match the
/// layout — count, rows, dimension — and that every rank has the same dimension. `who` names
/// the caller in messages.
template <class P>
void check_row_blocks(const std::vector<P>& blocks, const BlockLayout& layout, const BlockExchange& ex, const std::string& who) {
  const int rank = ex.rank();
  if (layout.ranks() != ex.size())
    throw InvalidArgument(who + ": the layout is for " + std::to_string(layout.ranks()) + " ranks, the exchange has " + std::to_string(ex.size()));
  const Eigen::Index first = layout.first_block(rank), count = layout.first_block(rank + 1) - first;
  if (static_cast<Eigen::Index>(blocks.size()) != count || count == 0)
    throw InvalidArgument(who + ": rank " + std::to_string(rank) + " has " + std::to_string(blocks.size()) + " block problems, its layout " +
                          std::to_string(count) + (count == 0 ? " (no rows: use fewer ranks)" : ""));
  for (Eigen::Index k = 0; k < count; ++k) {
    const auto& b = blocks[static_cast<std::size_t>(k)];
    const Eigen::Index rows = layout.block_end(first + k) - layout.block_begin(first + k);
    if (b.num_samples() != rows || b.dim() != blocks.front().dim())
      throw InvalidArgument(who + ": block " + std::to_string(first + k) + " has " + std::to_string(b.num_samples()) + " rows and dimension " +
                            std::to_string(b.dim()) + "; expected " + std::to_string(rows) + " and " + std::to_string(blocks.front().dim()));
  }
  const long long d = blocks.front().dim(), dmax = ex.max(d), dmin = -ex.max(-d);
  if (dmax != dmin) throw InvalidArgument(who + ": ranks disagree on the dimension (" + std::to_string(dmin) + " vs " + std::to_string(dmax) + ")");
}

/// Σ of `width`-long parts over every rank, in rank order then part order (the same bits on
/// every rank); `mine` holds this rank's parts back to back, `counts`/`displs` every rank's
/// share (doubles). `sum` gets the result (resized).
inline void sum_parts(const BlockExchange& ex, const std::vector<double>& mine, const std::vector<int>& counts, const std::vector<int>& displs,
                      Eigen::Index width, std::vector<double>& sum) {
  const std::vector<double> all = ex.allgatherv(mine, counts, displs);
  detail::require(static_cast<Eigen::Index>(all.size()) % width == 0, "sum_parts: exchanged doubles", all.size(), "a multiple of the part width");
  sum.assign(static_cast<std::size_t>(width), 0.0);
  for (std::size_t k = 0; k < all.size(); k += static_cast<std::size_t>(width))
    for (Eigen::Index j = 0; j < width; ++j) sum[static_cast<std::size_t>(j)] += all[k + static_cast<std::size_t>(j)];
}

/// sum_parts with one part per block of the data (rank order = block order): the blocked
/// problems' full sums. `mine` holds this rank's blocks' parts, in block order.
inline void sum_in_block_order(const BlockExchange& ex, const BlockLayout& layout, const std::vector<double>& mine, Eigen::Index width,
                               std::vector<double>& sum) {
  const int size = ex.size();
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
  for (int r = 0; r < size; ++r) {
    counts[static_cast<std::size_t>(r)] = static_cast<int>((layout.first_block(r + 1) - layout.first_block(r)) * width);
    displs[static_cast<std::size_t>(r)] = static_cast<int>(layout.first_block(r) * width);
  }
  sum_parts(ex, mine, counts, displs, width, sum);
}

}  // namespace convlab::problems
