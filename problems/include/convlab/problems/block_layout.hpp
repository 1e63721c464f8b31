#pragma once
/// \file
/// How the rows of a data set are cut into blocks and the blocks spread over ranks (MPI or
/// one process). The block size depends only on the number of rows, never on the rank count,
/// so the per-block partial sums of a blocked problem — and their sum, taken in block order —
/// are the same bits on 1, 2, 3 or 4 ranks. Ranks own contiguous runs of blocks (rank order =
/// row order).

#include <algorithm>

#include <Eigen/Core>

#include <convlab/core/errors.hpp>

namespace convlab::problems {

class BlockLayout {
 public:
  /// `block_rows` = 0: max(64, ⌈n / 1024⌉): at most ~1024 partials to combine, and small data sets
  /// still cut into enough blocks for a few ranks (a rank needs at least one block).
  BlockLayout(Eigen::Index rows, int ranks, Eigen::Index block_rows = 0) : rows_(rows), ranks_(ranks) {
    convlab::detail::require(rows >= 1, "BlockLayout: rows", rows, ">= 1");
    convlab::detail::require(ranks >= 1, "BlockLayout: ranks", ranks, ">= 1");
    convlab::detail::require(block_rows >= 0, "BlockLayout: block_rows", block_rows, ">= 0");
    block_rows_ = block_rows > 0 ? block_rows : std::max<Eigen::Index>(64, (rows + 1023) / 1024);
    blocks_ = (rows_ + block_rows_ - 1) / block_rows_;
  }
  Eigen::Index rows() const { return rows_; }
  Eigen::Index block_rows() const { return block_rows_; }
  Eigen::Index blocks() const { return blocks_; }
  int ranks() const { return ranks_; }
  Eigen::Index block_begin(Eigen::Index b) const { return std::min(rows_, b * block_rows_); }
  Eigen::Index block_end(Eigen::Index b) const { return std::min(rows_, (b + 1) * block_rows_); }
  /// Blocks [first_block(r), first_block(r + 1)) belong to rank r.
  Eigen::Index first_block(int r) const { return blocks_ * r / ranks_; }
  Eigen::Index first_row(int r) const { return block_begin(first_block(r)); }
  int owner_of_block(Eigen::Index b) const {
    int r = static_cast<int>(b * ranks_ / blocks_);
    while (r + 1 < ranks_ && first_block(r + 1) <= b) ++r;
    while (r > 0 && first_block(r) > b) --r;
    return r;
  }

 private:
  Eigen::Index rows_ = 0, block_rows_ = 0, blocks_ = 0;
  int ranks_ = 1;
};

}  // namespace convlab::problems
