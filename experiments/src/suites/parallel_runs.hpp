#pragma once
// Independent runs of a suite in parallel: OpenMP over the runs (dynamic schedule, each run
// single-threaded and seeded by its own indices, so results do not depend on the thread count),
// progress after each run, and the first exception rethrown once every run has finished.
#include <cstddef>
#include <exception>
#include <functional>

namespace convlab::experiments {

template <class F>
void parallel_runs(std::size_t count, const std::function<void(std::size_t, std::size_t)>& progress, F&& run) {
  std::size_t done = 0;
  std::exception_ptr failure;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::size_t t = 0; t < count; ++t) {
    try {
      run(t);
    } catch (...) {
#pragma omp critical(convlab_run_failure)
      if (!failure) failure = std::current_exception();
    }
#pragma omp critical(convlab_run_progress)
    progress(++done, count);
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace convlab::experiments
