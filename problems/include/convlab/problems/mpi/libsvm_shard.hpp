#pragma once
/// \file
/// Reads only this rank's rows of a LIBSVM file (shard_text.hpp: rank 0 counts the rows, every
/// rank streams the file and keeps and parses only its own lines). Memory per rank: its shard.
/// Errors name the file and the global line; a rank that cannot read its shard throws its
/// DataError, the others PeerFailure.

#include <convlab/problems/data_io.hpp>

#include "shard_text.hpp"

namespace convlab::mpi {

struct LibsvmShard {
  problems::SparseDataset data;  ///< this rank's rows (global row first_row + i is local row i)
  problems::BlockLayout layout{1, 1};
  Eigen::Index first_row = 0;
};

/// Collective over `comm`. The column count is the largest over all ranks (or opt.num_features).
inline LibsvmShard read_libsvm_shard(const std::string& path, MPI_Comm comm, problems::LibsvmOptions opt = {}, Eigen::Index block_rows = 0) {
  const ShardText text = read_shard_text(path, comm, detail::RowSyntax::Libsvm, block_rows);
  LibsvmShard shard{.data = {}, .layout = text.layout, .first_row = text.first_row};
  long long local_max = 0;
  detail::collectively(comm, [&] {
    opt.first_line = text.first_line;
    shard.data = problems::parse_libsvm(text.text, path, opt);
    local_max = opt.num_features > 0 ? opt.num_features : shard.data.X.cols();
  });
  long long cols = 0;
  MPI_Allreduce(&local_max, &cols, 1, MPI_LONG_LONG, MPI_MAX, comm);
  shard.data.X.conservativeResize(shard.data.X.rows(), static_cast<Eigen::Index>(cols));
  return shard;
}

}  // namespace convlab::mpi
