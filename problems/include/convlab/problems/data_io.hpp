#pragma once
/// \file
/// Loaders for LIBSVM/SVMlight (sparse) and CSV with a header (dense), plain or gzip-compressed
/// (a name ending in .gz; decompressed by zlib).
///
/// Every malformed input throws DataError("file:line: field: what"); nothing aborts or
/// crashes (the loaders are fuzzed, tests/fuzz). NaN and Inf are errors unless
/// `allow_nonfinite` is set. Numbers are parsed with std::from_chars, so the locale
/// never changes a result.

#include <Eigen/SparseCore>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <zlib.h>

#include "concepts.hpp"
#include "detail/linear_model.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

namespace detail {
/// The extension of `path` in lower case, with its dot (".csv"; "" without one).
inline std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

inline bool ends_with_gz(const std::string& path) { return lower_extension(path) == ".gz"; }
}  // namespace detail

/// "csv" or "libsvm" as a data file's extension says (.csv; .libsvm or .svm; any case, also
/// followed by .gz), else "".
inline std::string data_format_from_name(const std::string& path) {
  const std::filesystem::path p(path);
  const std::string ext = detail::lower_extension(p);
  if (ext == ".gz") return data_format_from_name(p.stem().string());
  return ext == ".csv" ? "csv" : (ext == ".libsvm" || ext == ".svm") ? "libsvm" : "";
}

/// Samples × features (sparse, row-major) with one response per sample.
struct SparseDataset {
  SparseDesign<double> X;
  VecX<double> y;
};

/// Samples × features (dense) with one response per sample and the CSV column names.
struct DenseDataset {
  MatX<double> X;
  VecX<double> y;
  std::vector<std::string> feature_names;
  std::string response;
  VecX<double> weights;  ///< one weight per row from CsvOptions::weights; empty without one
};

struct LibsvmOptions {
  bool zero_based = false;            ///< indices start at 0 instead of LIBSVM's 1
  Eigen::Index num_features = 0;      ///< 0 = largest index seen; else an index beyond it is an error
  bool allow_nonfinite = false;       ///< accept NaN/Inf values and labels
  std::size_t first_line = 1;         ///< line number of the text's first line, for errors (a shard of a file)
};

struct CsvOptions {
  std::string response;               ///< name of the response column (required)
  std::vector<std::string> features{};  ///< the feature columns, in this order; empty = every other column
  std::vector<std::string> exclude{};   ///< columns that are neither response nor feature (ids, splits); not parsed
  std::string weights{};              ///< a column of per-row weights (finite, >= 0; never a feature); "" = none
  char delimiter = ',';
  bool allow_nonfinite = false;       ///< accept NaN/Inf (written nan, inf) in any column but the weights
  bool response_optional = false;     ///< a file without the response column gives an empty y (new rows to predict)
  // A shard of a file (problems/mpi/csv_shard.hpp): the text holds only data rows.
  std::string header{};               ///< the header line, when it is not the text's first line
  std::size_t header_line = 1;        ///< its line number, for errors
  std::size_t first_line = 1;         ///< line number of the text's first line, for errors
};

namespace detail {

inline std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out = "'" + std::string(s.substr(0, kMax));
  if (s.size() > kMax) out += "...";
  return out + "'";
}

/// Parses the whole token as a double (a leading '+' is allowed) or throws.
inline double parse_number(std::string_view tok, bool allow_nonfinite, const std::string& file, std::size_t line,
                           const std::string& field) {
  std::string_view t = tok;
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    throw DataError(file, line, field, quoted(tok) + " is not a number");
  if (!allow_nonfinite && !std::isfinite(v))
    throw DataError(file, line, field, quoted(tok) + " is not finite (NaN/Inf not allowed here)");
  return v;
}

/// Refuses what is not a regular file before it is read: a directory (named x.csv, say) or a
/// device or pipe (/dev/zero, /dev/urandom would be read until memory runs out).
inline void require_regular_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw DataError(path, 0, "", "cannot open file (no such file)");
  if (std::filesystem::is_directory(st)) throw DataError(path, 0, "", "is a directory, not a data file");
  if (!std::filesystem::is_regular_file(st)) throw DataError(path, 0, "", "is not a regular file (a device, pipe or socket)");
}

/// When the caller did not fix the number of features, the largest LIBSVM index sets it, and
/// with it the size of every dense vector of a model (x, gradients, optimizer state, column
/// moments). A stray index (5e7 in a 100-row file: gigabytes) is refused unless the file holds
/// values to match: at most max(2^20, 16 per stored value) features.
inline void check_implied_features(const std::string& name, std::size_t line, long long index, long long features,
                                   std::size_t values) {
  const long long limit = std::max<long long>(1LL << 20, 16LL * static_cast<long long>(values));
  if (features > limit)
    throw DataError(name, line, "index " + std::to_string(index),
                    "implies " + std::to_string(features) + " features, but the file holds only " + std::to_string(values) +
                        " values (a stray index? at most max(2^20, 16 per value) features are inferred; set the number of "
                        "features explicitly to allow more)");
}

/// A gzip file read in chunks of decompressed bytes (several members one after another, as
/// `gzip -d` reads them). Data that is not gzip, damaged or cut off is a DataError naming the
/// file: zlib alone would pass non-gzip bytes through unchanged and end a truncated stream quietly.
class GzipReader {
 public:
  explicit GzipReader(const std::string& path) : path_(path), f_(gzopen(path.c_str(), "rb")) {
    if (!f_) throw DataError(path, 0, "", "cannot open file");
    gzbuffer(f_, 1 << 17);
  }
  ~GzipReader() { gzclose(f_); }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  /// Up to n bytes into out; 0 at the end of the data.
  std::size_t read(char* out, unsigned n) {
    int errnum = Z_OK;
    const int got = gzread(f_, out, n);
    if (got < 0) throw DataError(path_, 0, "", std::string("damaged gzip data (zlib: ") + gzerror(f_, &errnum) + ")");
    if (got > 0 && !checked_ && gzdirect(f_)) throw DataError(path_, 0, "", "is named .gz but is not gzip-compressed");
    checked_ = true;
    if (got == 0) {
      const char* what = gzerror(f_, &errnum);
      if (errnum == Z_BUF_ERROR) throw DataError(path_, 0, "", "gzip data cut off before its end (truncated file?)");
      if (errnum != Z_OK) throw DataError(path_, 0, "", std::string("damaged gzip data (zlib: ") + what + ")");
    }
    return static_cast<std::size_t>(got);
  }

 private:
  std::string path_;
  gzFile f_;
  bool checked_ = false;
};

inline std::string read_gzip(const std::string& path) {
  GzipReader in(path);
  std::string text;
  std::vector<char> buf(1 << 17);
  while (const std::size_t got = in.read(buf.data(), static_cast<unsigned>(buf.size()))) text.append(buf.data(), got);
  return text;
}

/// The whole file; a name ending in .gz is decompressed.
inline std::string read_file(const std::string& path) {
  require_regular_file(path);
  if (ends_with_gz(path)) return read_gzip(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path, 0, "", "cannot open file");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw DataError(path, 0, "", "read error");
  return ss.str();
}

/// Calls fn(line_number, line) for each line, without the line break ('\n' or "\r\n").
template <class Fn>
void for_each_line(std::string_view text, Fn&& fn) {
  std::size_t lineno = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    fn(++lineno, line);
    pos = end + 1;
  }
}

inline bool is_blank(char c) { return c == ' ' || c == '\t'; }

/// Splits one CSV record on `delim`, honouring double quotes ("" inside quotes is a quote).
inline std::vector<std::string> split_csv(std::string_view line, char delim, const std::string& file,
                                          std::size_t lineno) {
  std::vector<std::string> fields;
  std::string cur;
  bool quoted_field = false, in_quotes = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"' && cur.find_first_not_of(" \t") == std::string::npos && !quoted_field) {
      cur.clear();
      in_quotes = quoted_field = true;
    } else if (c == delim) {
      fields.push_back(std::move(cur));
      cur.clear();
      quoted_field = false;
    } else if (quoted_field && !is_blank(c)) {
      throw DataError(file, lineno, "field " + std::to_string(fields.size() + 1),
                      "text after a closing quote");
    } else {
      cur += c;
    }
  }
  if (in_quotes) throw DataError(file, lineno, "field " + std::to_string(fields.size() + 1), "unterminated quote");
  fields.push_back(std::move(cur));
  for (auto& f : fields) {  // trim surrounding blanks
    const auto b = f.find_first_not_of(" \t");
    const auto e = f.find_last_not_of(" \t");
    f = b == std::string::npos ? std::string() : f.substr(b, e - b + 1);
  }
  return fields;
}

}  // namespace detail

/// Parses LIBSVM/SVMlight text: per line `label idx:val idx:val ...`, indices strictly
/// increasing, 1-based unless `zero_based`. Blank lines and `#` comments are skipped; a
/// `qid:N` token is accepted and ignored. `name` is used in error messages.
inline SparseDataset parse_libsvm(std::string_view text, const std::string& name, const LibsvmOptions& opt = {}) {
  // Rows arrive in order with increasing indices, so the compressed row storage is filled
  // directly: memory O(rows + nonzeros), whatever the largest index.
  std::vector<int> outer{0}, inner;
  std::vector<double> values, labels;
  long long max_index = -1;
  std::size_t max_index_line = 0;
  const long long base = opt.zero_based ? 0 : 1;
  const long long limit = opt.num_features > 0 ? opt.num_features : std::numeric_limits<int>::max() - 1;
  constexpr std::size_t kMaxEntries = static_cast<std::size_t>(std::numeric_limits<int>::max());
  detail::for_each_line(text, [&](std::size_t text_line, std::string_view line) {
    const std::size_t lineno = text_line + opt.first_line - 1;
    if (const auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    std::size_t pos = 0, token_no = 0;
    long long prev = -1;
    bool have_label = false;
    while (pos < line.size()) {
      while (pos < line.size() && detail::is_blank(line[pos])) ++pos;
      if (pos >= line.size()) break;
      std::size_t end = pos;
      while (end < line.size() && !detail::is_blank(line[end])) ++end;
      const std::string_view tok = line.substr(pos, end - pos);
      pos = end;
      ++token_no;
      if (!have_label) {
        if (labels.size() >= kMaxEntries) throw DataError(name, lineno, "", "too many rows");
        labels.push_back(detail::parse_number(tok, opt.allow_nonfinite, name, lineno, "label"));
        have_label = true;
        continue;
      }
      const auto colon = tok.find(':');
      const std::string field = "token " + std::to_string(token_no);
      if (colon == std::string_view::npos) throw DataError(name, lineno, field, detail::quoted(tok) + " is not index:value");
      const std::string_view key = tok.substr(0, colon), val = tok.substr(colon + 1);
      if (key == "qid") continue;
      long long idx = 0;
      const auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), idx);
      if (key.empty() || ec != std::errc() || p != key.data() + key.size())
        throw DataError(name, lineno, field, "index " + detail::quoted(key) + " is not an integer");
      if (idx < base) throw DataError(name, lineno, field, "index " + std::to_string(idx) + " is below " + std::to_string(base) + (opt.zero_based ? "" : " (indices are 1-based)"));
      const long long col = idx - base;
      if (col >= limit)
        throw DataError(name, lineno, field, "index " + std::to_string(idx) + " exceeds the number of features (" + std::to_string(limit) + ")");
      if (col <= prev) throw DataError(name, lineno, field, "index " + std::to_string(idx) + " is not greater than the previous index");
      prev = col;
      const double v = detail::parse_number(val, opt.allow_nonfinite, name, lineno, field + " (index " + std::to_string(idx) + ")");
      if (inner.size() >= kMaxEntries) throw DataError(name, lineno, field, "too many nonzeros");
      inner.push_back(static_cast<int>(col));
      values.push_back(v);
      if (col > max_index) max_index = col, max_index_line = lineno;
    }
    if (have_label) outer.push_back(static_cast<int>(inner.size()));
  });
  if (labels.empty()) throw DataError(name, 0, "", "no samples");
  if (opt.num_features == 0) detail::check_implied_features(name, max_index_line, max_index + base, max_index + 1, values.size());
  SparseDataset ds;
  const auto rows = static_cast<Eigen::Index>(labels.size());
  const Eigen::Index cols = opt.num_features > 0 ? opt.num_features : max_index + 1;
  // Filled array by array: Eigen's generic sparse assignment reserves 2·max(rows, cols)
  // entries, which a single huge index would turn into a multi-gigabyte allocation.
  ds.X.resize(rows, cols);
  ds.X.resizeNonZeros(static_cast<Eigen::Index>(values.size()));
  std::copy(outer.begin(), outer.end(), ds.X.outerIndexPtr());
  std::copy(inner.begin(), inner.end(), ds.X.innerIndexPtr());
  std::copy(values.begin(), values.end(), ds.X.valuePtr());
  ds.y = Eigen::Map<const VecX<double>>(labels.data(), rows);
  return ds;
}

/// Loads a LIBSVM file; errors name the file and line.
inline SparseDataset load_libsvm(const std::string& path, const LibsvmOptions& opt = {}) {
  return parse_libsvm(detail::read_file(path), path, opt);
}

/// Parses CSV text whose first line is a header. The features are the columns named in
/// `opt.features` (in that order), else every column but the response and `opt.exclude` (in
/// file order); columns that are neither are not parsed. Blank lines are skipped; empty values
/// are errors.
inline DenseDataset parse_csv(std::string_view text, const std::string& name, const CsvOptions& opt) {
  if (opt.response.empty()) throw InvalidArgument("CsvOptions::response is empty; name the response column");
  if (!opt.features.empty() && !opt.exclude.empty())
    throw InvalidArgument("CsvOptions: give either features or exclude, not both");
  if (!opt.weights.empty() && opt.weights == opt.response)
    throw InvalidArgument("CsvOptions: '" + opt.weights + "' is both the response and the weights column");
  constexpr Eigen::Index kWeight = -3, kSkip = -2, kResponse = -1;
  std::vector<std::string> header;
  std::vector<Eigen::Index> role;  // per column: its feature position, kResponse, kWeight or kSkip
  std::size_t header_line = 0;
  Eigen::Index d = 0;
  std::vector<double> values, responses, weights, row;
  Eigen::Index rows = 0;
  const auto take_header = [&](std::size_t lineno, std::vector<std::string> fields) {
    header = std::move(fields);
    header_line = lineno;
    std::unordered_map<std::string_view, std::size_t> seen;  // a repeated name makes `response` and features ambiguous
    for (std::size_t j = 0; j < header.size(); ++j) {
      if (header[j].empty()) throw DataError(name, lineno, "column " + std::to_string(j + 1), "empty column name");
      if (const auto [it, fresh] = seen.emplace(header[j], j); !fresh)
        throw DataError(name, lineno, "column " + std::to_string(j + 1),
                        "duplicate column name '" + header[j] + "' (also column " + std::to_string(it->second + 1) + ")");
    }
    const auto column = [&](const std::string& wanted, const char* what) {
      const auto it = seen.find(wanted);
      if (it != seen.end()) return it->second;
      std::string names;
      for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
      throw DataError(name, lineno, "header", std::string("no column named '") + wanted + "' (" + what + "; columns: " + names + ")");
    };
    role.assign(header.size(), opt.features.empty() ? 0 : kSkip);
    if (!opt.response_optional || seen.count(opt.response)) role[column(opt.response, "the response")] = kResponse;
    for (const auto& e : opt.exclude) role[column(e, "in exclude")] = kSkip;
    if (!opt.weights.empty()) role[column(opt.weights, "the weights")] = kWeight;
    if (opt.features.empty()) {
      for (auto& r : role)
        if (r == 0) r = d++;
    } else {
      for (const auto& f : opt.features) {
        Eigen::Index& r = role[column(f, "in features")];
        if (r == kResponse) throw DataError(name, lineno, "header", "'" + f + "' is the response; it cannot be a feature too");
        if (r == kWeight) throw DataError(name, lineno, "header", "'" + f + "' is the weights column; it cannot be a feature too");
        if (r >= 0) throw DataError(name, lineno, "header", "'" + f + "' is listed twice in features");
        r = d++;
      }
    }
    if (d == 0) throw DataError(name, lineno, "header", "no feature columns (only the response and excluded columns)");
    row.resize(static_cast<std::size_t>(d));
  };
  if (!opt.header.empty()) take_header(opt.header_line, detail::split_csv(opt.header, opt.delimiter, name, opt.header_line));
  detail::for_each_line(text, [&](std::size_t text_line, std::string_view line) {
    const std::size_t lineno = text_line + opt.first_line - 1;
    if (line.find_first_not_of(" \t") == std::string_view::npos) return;
    auto fields = detail::split_csv(line, opt.delimiter, name, lineno);
    if (header.empty()) return take_header(lineno, std::move(fields));
    if (fields.size() != header.size())
      throw DataError(name, lineno, "", "expected " + std::to_string(header.size()) + " fields as in the header (line " +
                                            std::to_string(header_line) + "), found " + std::to_string(fields.size()));
    for (std::size_t j = 0; j < fields.size(); ++j) {
      if (role[j] == kSkip) continue;
      const std::string field = "column " + std::to_string(j + 1) + " (" + header[j] + ")";
      if (fields[j].empty()) throw DataError(name, lineno, field, "empty value (missing values are not supported)");
      const double v = detail::parse_number(fields[j], opt.allow_nonfinite && role[j] != kWeight, name, lineno, field);
      if (role[j] == kResponse) responses.push_back(v);
      else if (role[j] != kWeight) row[static_cast<std::size_t>(role[j])] = v;
      else if (v >= 0) weights.push_back(v + 0.0);  // -0 becomes 0
      else throw DataError(name, lineno, field, "weight " + std::string(fields[j]) + " is negative; weights must be >= 0");
    }
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  });
  if (header.empty()) throw DataError(name, 0, "", "empty file (no header)");
  if (rows == 0) throw DataError(name, 0, "", "no data rows after the header");
  DenseDataset ds;
  const Eigen::Index n = rows;
  ds.X = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(values.data(), n, d);
  ds.y = Eigen::Map<const VecX<double>>(responses.data(), static_cast<Eigen::Index>(responses.size()));  // empty: no response column
  if (!responses.empty()) ds.response = opt.response;
  ds.weights = Eigen::Map<const VecX<double>>(weights.data(), static_cast<Eigen::Index>(weights.size()));
  ds.feature_names.resize(static_cast<std::size_t>(d));
  for (std::size_t j = 0; j < header.size(); ++j)
    if (role[j] >= 0) ds.feature_names[static_cast<std::size_t>(role[j])] = header[j];
  return ds;
}

/// Loads a CSV file; errors name the file, line and column.
inline DenseDataset load_csv(const std::string& path, const CsvOptions& opt) {
  return parse_csv(detail::read_file(path), path, opt);
}

}  // namespace convlab::problems
