#pragma once
/// \file
/// Reads only this rank's rows of a LIBSVM file: rank 0 counts the rows in one streaming pass
/// (line by line, nothing kept), every rank then streams the file up to the end of its block
/// range (BlockLayout) and keeps — and parses — only its own lines. Memory per rank: its shard.
/// Errors name the file and the global line. A rank that cannot read its shard throws its
/// DataError; the others throw PeerFailure (which a launcher should end quietly, so the job
/// shows one message: the failing rank's).

#include <mpi.h>

#include <exception>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>

#include <convlab/problems/data_io.hpp>

#include "block_layout.hpp"

namespace convlab::mpi {

/// Thrown on the ranks that did not fail when another rank failed in a collective step.
class PeerFailure : public std::runtime_error {
 public:
  explicit PeerFailure(int rank) : std::runtime_error("rank " + std::to_string(rank) + " failed"), rank_(rank) {}
  int failed_rank() const { return rank_; }

 private:
  int rank_;
};

namespace detail {
/// A LIBSVM line holds a sample when, without its `#` comment, it has a non-blank token.
inline bool is_libsvm_row(const std::string& line) {
  const auto end = line.find('#');
  for (std::size_t i = 0; i < std::min(end, line.size()); ++i)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return true;
  return false;
}

/// Runs `step` on every rank; if any rank threw, every rank throws: the failing rank (the
/// lowest, if several) its own exception, the others PeerFailure.
template <class Fn>
void collectively(MPI_Comm comm, Fn&& step) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  std::exception_ptr error;
  try {
    step();
  } catch (...) {
    error = std::current_exception();
  }
  int failed = error ? rank : std::numeric_limits<int>::max(), first = 0;
  MPI_Allreduce(&failed, &first, 1, MPI_INT, MPI_MIN, comm);
  if (first == std::numeric_limits<int>::max()) return;
  if (first == rank) std::rethrow_exception(error);
  throw PeerFailure(first);
}
}  // namespace detail

struct LibsvmShard {
  problems::SparseDataset data;  ///< this rank's rows (global row first_row + i is local row i)
  BlockLayout layout{1, 1};
  Eigen::Index first_row = 0;
};

inline LibsvmShard read_libsvm_shard(const std::string& path, MPI_Comm comm, problems::LibsvmOptions opt = {}, Eigen::Index block_rows = 0) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  long long rows = 0;
  detail::collectively(comm, [&] {
    if (rank != 0) return;
    std::ifstream in(path);
    if (!in) throw DataError(path, 0, "", "cannot open file");
    std::string line;
    while (std::getline(in, line)) rows += detail::is_libsvm_row(line);
    if (rows == 0) throw DataError(path, 0, "", "no samples");
  });
  MPI_Bcast(&rows, 1, MPI_LONG_LONG, 0, comm);
  LibsvmShard shard;
  shard.layout = BlockLayout(static_cast<Eigen::Index>(rows), size, block_rows);
  shard.first_row = shard.layout.first_row(rank);
  const Eigen::Index last_row = shard.layout.first_row(rank + 1);
  long long local_max = 0;
  detail::collectively(comm, [&] {
    std::ifstream in(path);
    if (!in) throw DataError(path, 0, "", "cannot open file (rank " + std::to_string(rank) + ")");
    std::string line, text;
    Eigen::Index row = 0;
    std::size_t lineno = 0, first_line = 0;
    while (row < last_row && std::getline(in, line)) {
      ++lineno;
      const bool is_row = detail::is_libsvm_row(line);
      if (row >= shard.first_row) {
        if (first_line == 0) first_line = lineno;
        text += line;
        text += '\n';
      }
      row += is_row;
    }
    if (shard.first_row == last_row) throw InvalidArgument("read_libsvm_shard: rank " + std::to_string(rank) + " has no rows; use fewer ranks");
    opt.first_line = first_line;
    const Eigen::Index wanted = opt.num_features;
    shard.data = problems::parse_libsvm(text, path, opt);
    local_max = shard.data.X.cols();
    if (wanted > 0) local_max = wanted;
  });
  long long cols = 0;
  MPI_Allreduce(&local_max, &cols, 1, MPI_LONG_LONG, MPI_MAX, comm);
  shard.data.X.conservativeResize(shard.data.X.rows(), static_cast<Eigen::Index>(cols));
  return shard;
}

}  // namespace convlab::mpi
