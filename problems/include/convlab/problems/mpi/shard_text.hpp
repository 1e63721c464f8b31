#pragma once
/// \file
/// The part every shard reader shares: rank 0 counts the data rows of a text file in one
/// streaming pass (line by line, nothing kept); the rows are cut into blocks (BlockLayout);
/// every rank then streams the file up to the end of its block range and keeps only its own
/// lines (and the header line, for CSV). Memory per rank: its shard's text. A .gz file is
/// decompressed as it streams (every rank decompresses up to the end of its rows). A rank that fails
/// throws its exception and the others PeerFailure (`collectively`), so a launcher shows one
/// message: the failing rank's.

#include <mpi.h>

#include <algorithm>
#include <exception>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include <convlab/problems/block_layout.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/core/errors.hpp>

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

/// Which lines of a file hold data rows.
enum class RowSyntax {
  Libsvm,  ///< a line with a token outside its `#` comment
  Csv      ///< a non-blank line after the first non-blank one (the header)
};

inline bool is_blank_line(const std::string& line, std::size_t end = std::string::npos) {
  for (std::size_t i = 0; i < std::min(end, line.size()); ++i)
    if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r') return false;
  return true;
}

/// Streams `in`, calling on_line(line_number, line, is_row) for every line.
template <class Fn>
void scan_lines(std::istream& in, RowSyntax syntax, Fn&& on_line) {
  std::string line;
  std::size_t lineno = 0;
  bool seen_header = false;
  while (std::getline(in, line)) {
    ++lineno;
    bool row = false;
    if (syntax == RowSyntax::Libsvm) {
      row = !is_blank_line(line, line.find('#'));
    } else if (!is_blank_line(line)) {
      row = seen_header;
      seen_header = true;
    }
    if (!on_line(lineno, line, row)) return;
  }
}

/// A std::streambuf over a GzipReader, so gzip files stream through scan_lines like plain ones.
class GzipStreambuf : public std::streambuf {
 public:
  explicit GzipStreambuf(const std::string& path) : in_(path), buf_(1 << 17) {}

 protected:
  int_type underflow() override {
    const std::size_t got = in_.read(buf_.data(), static_cast<unsigned>(buf_.size()));
    if (got == 0) return traits_type::eof();
    setg(buf_.data(), buf_.data(), buf_.data() + got);
    return traits_type::to_int_type(buf_[0]);
  }

 private:
  problems::detail::GzipReader in_;
  std::vector<char> buf_;
};

/// scan_lines over the file `path` (decompressed when its name ends in .gz); `who` ends the
/// message of a file that cannot be opened.
template <class Fn>
void scan_file(const std::string& path, RowSyntax syntax, const std::string& who, Fn&& on_line) {
  if (problems::detail::ends_with_gz(path)) {
    GzipStreambuf buf(path);
    std::istream in(&buf);
    in.exceptions(std::ios::badbit);  // a DataError of the reader reaches the caller, not a quiet stop
    scan_lines(in, syntax, on_line);
    return;
  }
  std::ifstream in(path);
  if (!in) throw DataError(path, 0, "", "cannot open file" + who);
  scan_lines(in, syntax, on_line);
}

}  // namespace detail

/// One rank's lines of a data file.
struct ShardText {
  problems::BlockLayout layout{1, 1};
  Eigen::Index first_row = 0;    ///< global index of this rank's first row
  std::string text{};            ///< this rank's lines (rows, and the comments/blank lines between them)
  std::size_t first_line = 1;    ///< the file's line number of text's first line
  std::string header{};          ///< CSV: the header line
  std::size_t header_line = 0;   ///< CSV: its line number
};

/// The number of data rows of `path`: rank 0 counts them in one streaming pass and every rank
/// gets the count (collective over `comm`). A caller that cuts the rows into a given number of
/// blocks asks for it first. A file without rows is an error naming it.
inline long long count_data_rows(const std::string& path, MPI_Comm comm, detail::RowSyntax syntax) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  long long rows = 0;
  detail::collectively(comm, [&] {
    if (rank != 0) return;
    problems::detail::require_regular_file(path);
    detail::scan_file(path, syntax, "", [&](std::size_t, const std::string&, bool row) { return rows += row, true; });
    if (rows == 0) throw DataError(path, 0, "", "no data rows");
  });
  MPI_Bcast(&rows, 1, MPI_LONG_LONG, 0, comm);
  return rows;
}

/// This rank's lines of `path` (collective over `comm`). Errors name the file; a rank left
/// without rows (more ranks than blocks) is an error that says so.
inline ShardText read_shard_text(const std::string& path, MPI_Comm comm, detail::RowSyntax syntax, Eigen::Index block_rows = 0) {
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const long long rows = count_data_rows(path, comm, syntax);
  ShardText shard;
  shard.layout = problems::BlockLayout(static_cast<Eigen::Index>(rows), size, block_rows);
  shard.first_row = shard.layout.first_row(rank);
  const Eigen::Index last_row = shard.layout.first_row(rank + 1);
  detail::collectively(comm, [&] {
    if (shard.first_row == last_row)
      throw InvalidArgument(path + ": rank " + std::to_string(rank) + " has no rows (" + std::to_string(rows) + " rows in " +
                            std::to_string(shard.layout.blocks()) + " blocks for " + std::to_string(size) + " ranks); use fewer ranks");
    Eigen::Index row = 0;
    shard.first_line = 0;
    detail::scan_file(path, syntax, " (rank " + std::to_string(rank) + ")", [&](std::size_t lineno, const std::string& line, bool is_row) {
      if (syntax == detail::RowSyntax::Csv && !is_row && shard.header_line == 0 && !detail::is_blank_line(line)) {
        shard.header = line;
        shard.header_line = lineno;
        return true;
      }
      if (row >= last_row) return false;
      if (row >= shard.first_row) {
        if (shard.first_line == 0) shard.first_line = lineno;
        shard.text += line;
        shard.text += '\n';
      }
      row += is_row;
      return true;
    });
  });
  return shard;
}

}  // namespace convlab::mpi
