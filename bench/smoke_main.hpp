#pragma once
// The benchmarks' shared main: `--smoke` shrinks every problem so CTest can run each benchmark
// once (Debian 12's Google Benchmark 1.7.1 has no --benchmark_dry_run); other flags go to
// Google Benchmark.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace convlab::bench {
inline bool smoke = false;

inline int run(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) smoke = true;
    else args.push_back(argv[i]);
  }
  int n = static_cast<int>(args.size());
  benchmark::Initialize(&n, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
}  // namespace convlab::bench
