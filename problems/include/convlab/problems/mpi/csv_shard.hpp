#pragma once
/// \file
/// Reads only this rank's rows of a CSV file with a header (shard_text.hpp: rank 0 counts the
/// data rows, every rank streams the file and keeps the header and its own lines). Memory per
/// rank: its shard. Errors name the file, the global line and the column; a rank that cannot
/// read its shard throws its DataError, the others PeerFailure.

#include <convlab/problems/data_io.hpp>

#include "shard_text.hpp"

namespace convlab::mpi {

struct CsvShard {
  problems::DenseDataset data;  ///< this rank's rows (global row first_row + i is local row i)
  problems::BlockLayout layout{1, 1};
  Eigen::Index first_row = 0;
};

/// Collective over `comm`.
inline CsvShard read_csv_shard(const std::string& path, MPI_Comm comm, problems::CsvOptions opt, Eigen::Index block_rows = 0) {
  const ShardText text = read_shard_text(path, comm, detail::RowSyntax::Csv, block_rows);
  CsvShard shard{.data = {}, .layout = text.layout, .first_row = text.first_row};
  detail::collectively(comm, [&] {
    opt.header = text.header;
    opt.header_line = text.header_line;
    opt.first_line = text.first_line;
    shard.data = problems::parse_csv(text.text, path, opt);
  });
  return shard;
}

}  // namespace convlab::mpi
