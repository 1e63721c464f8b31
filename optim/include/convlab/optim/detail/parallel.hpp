#pragma once
/// \file
/// Elementwise loops, OpenMP-parallel over large vectors. Each index is written by one
/// thread with no reduction, so results do not depend on the thread count.

#include <Eigen/Core>

namespace convlab::optim::detail {

/// Vectors shorter than this run on one thread: thread start-up costs more than the work.
inline constexpr Eigen::Index kParallelThreshold = Eigen::Index(1) << 16;

/// Short vectors take a plain loop: an OpenMP region with a false `if` clause still costs a
/// runtime call per step (measured: it dominated federated clients' tiny local steps).
template <class Fn>
void for_each_index(Eigen::Index n, Fn&& fn) {
#ifdef _OPENMP
  if (n >= kParallelThreshold) {
#pragma omp parallel for schedule(static)
    for (Eigen::Index i = 0; i < n; ++i) fn(i);
    return;
  }
#endif
  for (Eigen::Index i = 0; i < n; ++i) fn(i);
}

}  // namespace convlab::optim::detail
