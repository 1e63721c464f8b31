#pragma once
/// \file
/// Elementwise loops, OpenMP-parallel over large vectors. Each index is written by one
/// thread with no reduction, so results do not depend on the thread count. The optimizers'
/// steps run through these (docs/optim.md); any component may.

#include <algorithm>

#include <Eigen/Core>

namespace convlab {

/// Vectors shorter than this run on one thread: thread start-up costs more than the work.
inline constexpr Eigen::Index kParallelThreshold = Eigen::Index(1) << 16;

/// A plain loop over a private copy of `fn`, kept out of the function that holds the OpenMP
/// region. Written inline after the region (with -fopenmp), GCC 12 left a loop whose body has
/// conditionals (Lion's sign, the piecewise κ) scalar — "not vectorized: control flow in loop",
/// its captured scalars reloaded from the shared closure after every store — while the same
/// loop in its own function vectorizes (measured 13–26× faster on 1e4–1e5 values; loops
/// without conditionals, such as SGD's, were vectorized either way).
namespace detail {
template <class Fn>
void serial_loop(Eigen::Index begin, Eigen::Index end, Fn fn) {
  for (Eigen::Index i = begin; i < end; ++i) fn(i);
}
}  // namespace detail

/// Short vectors take a plain loop: an OpenMP region with a false `if` clause still costs a
/// runtime call per step (measured: it dominated federated clients' tiny local steps).
template <class Fn>
void for_each_index(Eigen::Index n, const Fn& fn) {
#ifdef _OPENMP
  if (n >= kParallelThreshold) {
#pragma omp parallel for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) fn(i);
    return;
  }
#endif
  detail::serial_loop(0, n, fn);
}

/// Chunks of at most kParallelChunk elements, `fn(begin, length)`, in parallel over chunks for large
/// `n`. A step written as several Eigen array expressions per chunk reads and writes each chunk
/// while it is in L1 cache, so it costs one pass over memory, and Eigen vectorizes what a
/// scalar loop cannot without flags users would have to set (std::sqrt sets errno).
inline constexpr Eigen::Index kParallelChunk = 512;
template <class Fn>
void for_each_chunk(Eigen::Index n, Fn&& fn) {
  const Eigen::Index chunks = (n + kParallelChunk - 1) / kParallelChunk;
#ifdef _OPENMP
  if (n >= kParallelThreshold) {
#pragma omp parallel for schedule(static)
    for (Eigen::Index c = 0; c < chunks; ++c) fn(c * kParallelChunk, std::min(kParallelChunk, n - c * kParallelChunk));
    return;
  }
#endif
  for (Eigen::Index c = 0; c < chunks; ++c) fn(c * kParallelChunk, std::min(kParallelChunk, n - c * kParallelChunk));
}

}  // namespace convlab
