// libFuzzer harness for the data loaders: any input must either parse or throw
// DataError / InvalidArgument; anything else (a crash, another exception, a sanitizer
// report) is a bug. The first byte picks the loader and its options.
#include <convlab/problems/data_io.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    if (mode & 1) {
      convlab::problems::LibsvmOptions opt;
      opt.zero_based = (mode & 2) != 0;
      opt.allow_nonfinite = (mode & 4) != 0;
      if (mode & 8) opt.num_features = 64;
      const auto ds = convlab::problems::parse_libsvm(text, "fuzz.libsvm", opt);
      if (ds.X.rows() != ds.y.size()) __builtin_trap();
    } else {
      convlab::problems::CsvOptions opt;
      opt.response = "y";
      opt.allow_nonfinite = (mode & 4) != 0;
      opt.delimiter = (mode & 2) ? ';' : ',';
      const auto ds = convlab::problems::parse_csv(text, "fuzz.csv", opt);
      if (ds.X.rows() != ds.y.size() || static_cast<std::size_t>(ds.X.cols()) != ds.feature_names.size())
        __builtin_trap();
    }
  } catch (const convlab::DataError&) {
  } catch (const convlab::InvalidArgument&) {
  }
  return 0;
}
