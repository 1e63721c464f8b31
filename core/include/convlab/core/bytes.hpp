#pragma once
/// \file
/// Binary files that are safe to read back: a byte writer and a bounds-checked reader, a
/// CRC-32 seal (Boost.CRC) over everything before it, and an atomic file write (a temporary
/// file of the writer's own, then rename), so a reader never sees half a file and two writers
/// never share a temporary. Used by optimizer state files (optim/state_io.hpp) and the
/// federated checkpoints. Values are stored in the machine's byte order (the files are for
/// resuming on the same kind of machine, not for exchange).

#include <atomic>
#include <boost/crc.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#if __has_include(<unistd.h>)
#include <unistd.h>
#endif

#include "errors.hpp"

namespace convlab {

struct ByteWriter {
  std::vector<char> bytes;

  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put(const T& v) {
    const char* p = reinterpret_cast<const char*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  template <class T>
  void put_array(const T* data, std::size_t n) {
    put(static_cast<std::uint64_t>(n));
    if (n == 0) return;  // data may be null
    const char* p = reinterpret_cast<const char*>(data);
    bytes.insert(bytes.end(), p, p + n * sizeof(T));
  }
  template <class T>
  void put_vector(const std::vector<T>& v) { put_array(v.data(), v.size()); }
  void put_string(std::string_view s) { put_array(s.data(), s.size()); }
};

/// Reads what ByteWriter wrote; every read is bounds-checked, and `what` names the file in the
/// error ("<what>: truncated").
struct ByteReader {
  const std::vector<char>& bytes;
  std::string what;
  std::size_t at = 0;

  template <class T>
    requires std::is_trivially_copyable_v<T>
  T get() {
    if (bytes.size() - at < sizeof(T)) throw InvalidArgument(what + ": truncated");
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof(T));
    at += sizeof(T);
    return v;
  }
  /// The element count, checked against the bytes left before anything is allocated.
  template <class T>
  std::size_t get_count() {
    const auto n = get<std::uint64_t>();
    if (n > (bytes.size() - at) / sizeof(T)) throw InvalidArgument(what + ": truncated");
    return static_cast<std::size_t>(n);
  }
  template <class T>
  void get_array(T* data, std::size_t n) {
    if (n == 0) return;  // an empty buffer's data() may be null, which memcpy must not see
    std::memcpy(data, bytes.data() + at, n * sizeof(T));
    at += n * sizeof(T);
  }
  template <class T>
  std::vector<T> get_vector() {
    std::vector<T> v(get_count<T>());
    get_array(v.data(), v.size());
    return v;
  }
  std::string get_string() {
    std::string s(get_count<char>(), '\0');
    get_array(s.data(), s.size());
    return s;
  }
  bool done() const { return at == bytes.size(); }
};

inline std::uint32_t crc32(const char* data, std::size_t n) {
  boost::crc_32_type crc;
  crc.process_bytes(data, n);
  return crc.checksum();
}

/// Appends the CRC-32 of everything before it.
inline void seal(std::vector<char>& bytes) {
  const std::uint32_t c = crc32(bytes.data(), bytes.size());
  const char* p = reinterpret_cast<const char*>(&c);
  bytes.insert(bytes.end(), p, p + sizeof c);
}

/// Checks and removes the seal; a damaged or cut file throws "<what>: checksum mismatch".
inline void unseal(std::vector<char>& bytes, const std::string& what) {
  std::uint32_t stored = 0;
  if (bytes.size() < sizeof stored) throw InvalidArgument(what + ": truncated");
  const std::size_t body = bytes.size() - sizeof stored;
  std::memcpy(&stored, bytes.data() + body, sizeof stored);
  if (stored != crc32(bytes.data(), body)) throw InvalidArgument(what + ": checksum mismatch (the file is damaged or truncated)");
  bytes.resize(body);
}

/// Writes `content` to `path` through a temporary of this process and call, then renames it
/// over `path`: readers see the old file or the new one, never a mix.
template <class Bytes>
void write_file_atomic(const std::filesystem::path& path, const Bytes& content) {
  namespace fs = std::filesystem;
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  static std::atomic<unsigned long> calls{0};
  long pid = 0;
#if __has_include(<unistd.h>)
  pid = static_cast<long>(::getpid());
#endif
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(pid) + "." + std::to_string(calls++);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw InvalidArgument("cannot write " + tmp.string());
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      out.flush();
      if (!out) throw InvalidArgument("write failed: " + tmp.string());
    }
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

/// The whole file; "<path>: cannot be read" when it is missing or not a regular file.
inline std::vector<char> read_file_bytes(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw InvalidArgument(path.string() + ": cannot be read (not a regular file)");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument(path.string() + ": cannot be read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace convlab
