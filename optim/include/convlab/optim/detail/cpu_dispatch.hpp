#pragma once
/// \file
/// Run-time choice of AVX2 for the elementwise optimizer steps (AdamW's kernels, Lion-κ's fused
/// loop). A portable build targets SSE2, 4 floats per instruction; on tensors that sit in cache
/// a step is bound by its arithmetic, and AVX2 doubles it (bench/README.md, "torch_bench"). Only
/// steps whose every operation is one correctly rounded IEEE operation take it (no fused
/// multiply-add: target "avx2" does not enable FMA), so both paths give the same bits.

#include <cstdlib>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define CONVLAB_X86_64_DISPATCH 1
#else
#define CONVLAB_X86_64_DISPATCH 0  // elsewhere the portable loops run
#endif

namespace convlab::optim::detail {

#if CONVLAB_X86_64_DISPATCH
/// Whether the AVX2 code runs: the CPU has AVX2 and the environment does not set
/// CONVLAB_NO_AVX2 (benchmarks and tests compare the two instruction sets in one build).
inline bool use_avx2() {
#ifdef __AVX2__
  static const bool yes = std::getenv("CONVLAB_NO_AVX2") == nullptr;
#else
  static const bool yes = __builtin_cpu_supports("avx2") && std::getenv("CONVLAB_NO_AVX2") == nullptr;
#endif
  return yes;
}
#endif

}  // namespace convlab::optim::detail
