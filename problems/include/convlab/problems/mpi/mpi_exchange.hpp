#pragma once
/// \file
/// BlockExchange over an MPI communicator: the ranks of `comm` hold contiguous runs of blocks
/// in rank order (BlockLayout). allgatherv is MPI_Allgatherv; chain passes the running vector
/// rank 0 → 1 → … with MPI_Send/MPI_Recv and broadcasts the last rank's result, so its sums
/// are the operations of one process adding the blocks in order. All calls are collective.

#include <mpi.h>

#include <convlab/problems/block_exchange.hpp>

namespace convlab::mpi {

class MpiExchange final : public problems::BlockExchange {
 public:
  explicit MpiExchange(MPI_Comm comm) : comm_(comm) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  MPI_Comm comm() const { return comm_; }

  std::vector<double> allgatherv(const std::vector<double>& mine, const std::vector<int>& counts,
                                 const std::vector<int>& displs) const override {
    std::size_t total = 0;
    for (int c : counts) total += static_cast<std::size_t>(c);
    std::vector<double> all(total);
    MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_DOUBLE, all.data(), counts.data(), displs.data(), MPI_DOUBLE, comm_);
    return all;
  }

  void chain(std::vector<double>& acc, const std::function<void(std::vector<double>&)>& add_mine) const override {
    constexpr int kTag = 0x636c;  // ours alone, so user traffic on the same communicator cannot match
    const int n = static_cast<int>(acc.size());
    if (rank_ > 0) MPI_Recv(acc.data(), n, MPI_DOUBLE, rank_ - 1, kTag, comm_, MPI_STATUS_IGNORE);
    add_mine(acc);
    if (rank_ + 1 < size_) MPI_Send(acc.data(), n, MPI_DOUBLE, rank_ + 1, kTag, comm_);
    MPI_Bcast(acc.data(), n, MPI_DOUBLE, size_ - 1, comm_);
  }

  long long max(long long value) const override {
    long long out = value;
    MPI_Allreduce(&value, &out, 1, MPI_LONG_LONG, MPI_MAX, comm_);
    return out;
  }

  bool any(bool flag) const override {
    int mine = flag ? 1 : 0, out = 0;
    MPI_Allreduce(&mine, &out, 1, MPI_INT, MPI_MAX, comm_);
    return out != 0;
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
};

}  // namespace convlab::mpi
