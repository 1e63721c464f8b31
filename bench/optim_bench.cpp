// Optimizer steps against memory bandwidth, in the same process: a STREAM-triad kernel
// a = b + s·c over arrays of the same length and type is the baseline. Items are
// coordinates; bytes are the minimal traffic (arrays read + written): triad 3, Lion 5
// (x, g, m read; x, m written), AdamW 7. Thread counts 1 and 2 (OpenMP); wall time.
// `--smoke` runs tiny sizes so CTest can execute every benchmark once.
#include <benchmark/benchmark.h>

#include "smoke_main.hpp"

#include <convlab/optim/adamw.hpp>
#include <convlab/optim/detail/packed_gemm.hpp>
#include <convlab/core/parallel.hpp>
#include <convlab/optim/lion_k.hpp>

#ifdef _OPENMP
#include <omp.h>
#endif
#include <cstring>
#include <vector>

namespace co = convlab::optim;
using convlab::VecX;

namespace {
using convlab::bench::smoke;

void set_threads(int t) {
#ifdef _OPENMP
  omp_set_num_threads(t);
#else
  (void)t;
#endif
}

template <class S>
void report(benchmark::State& st, Eigen::Index n, int arrays) {
  st.SetItemsProcessed(st.iterations() * n);
  st.SetBytesProcessed(static_cast<std::int64_t>(st.iterations()) * n * static_cast<std::int64_t>(sizeof(S)) * arrays);
}

Eigen::Index size_of(const benchmark::State& st) { return smoke ? 1 << 12 : st.range(0); }

template <class S>
void BM_Triad(benchmark::State& st) {
  const Eigen::Index n = size_of(st);
  set_threads(static_cast<int>(st.range(1)));
  VecX<S> a = VecX<S>::Zero(n), b = VecX<S>::Random(n), c = VecX<S>::Random(n);
  S* ap = a.data();
  const S *bp = b.data(), *cp = c.data();
  const S s = S(0.5);
  for (auto _ : st) {
    convlab::for_each_index(n, [=](Eigen::Index i) { ap[i] = bp[i] + s * cp[i]; });
    benchmark::ClobberMemory();
  }
  report<S>(st, n, 3);
}

template <class S, class Opt>
void BM_Step(benchmark::State& st, int arrays) {
  const Eigen::Index n = size_of(st);
  set_threads(static_cast<int>(st.range(1)));
  VecX<S> x = VecX<S>::Random(n), g = VecX<S>::Random(n);
  Opt opt;
  auto state = opt.init(x);
  // One step first: a fresh zeroed state may be untouched pages (malloc + zero fill can become
  // calloc), and the first step's page faults are init's cost, not a step's (it was 80 % of
  // the 1e7 double AdamW figure).
  opt.step(x, g, state, S(1e-4));
  for (auto _ : st) {
    opt.step(x, g, state, S(1e-4));
    benchmark::ClobberMemory();
  }
  report<S>(st, n, arrays);
}

template <class S> void BM_Lion(benchmark::State& st) { BM_Step<S, co::Lion<S>>(st, 5); }
template <class S> void BM_AdamW(benchmark::State& st) { BM_Step<S, co::AdamW<S>>(st, 7); }

// The nuclear κ's msign (Newton–Schulz, two products of the parameter's shape per iteration)
// against one product of the same shape, X·G with X rows × cols and G cols × cols, run as
// Eigen's public blocked GEMM (what a user's own code would call), as the lazy product msign
// used before, and as the serial packed GEMM msign uses now. Counter `iterations`.
template <class S>
void BM_NuclearMsign(benchmark::State& st) {
  const Eigen::Index r = smoke ? 16 : st.range(0), c = smoke ? 8 : st.range(1);
  const VecX<S> v = VecX<S>::Random(r * c);
  VecX<S> out(r * c);
  const co::NuclearK k(r, c);
  for (auto _ : st) {
    k.grad<S>(v, out);
    benchmark::DoNotOptimize(out.data());
  }
  st.counters["iterations"] = k.last_iterations;
}
enum class ProductKind { eigen, lazy, packed };
template <class S, ProductKind kind>
void BM_Product(benchmark::State& st) {
  const Eigen::Index r = smoke ? 16 : st.range(0), c = smoke ? 8 : st.range(1);
  const convlab::MatX<S> X = convlab::MatX<S>::Random(r, c), G = convlab::MatX<S>::Random(c, c);
  convlab::MatX<S> Y(r, c);
  co::detail::PackedGemm<S> gemm;
  gemm.reserve(r, c, c);
  for (auto _ : st) {
    if constexpr (kind == ProductKind::lazy) Y.noalias() = X.lazyProduct(G);
    else if constexpr (kind == ProductKind::eigen) Y.noalias() = X * G;
    else {
      Y.setZero();
      gemm.template add<false, false>(Y, S(1), X, G);
    }
    benchmark::DoNotOptimize(Y.data());
  }
}
void shapes(benchmark::internal::Benchmark* b) {
  for (auto [r, c] : {std::pair{128L, 128L}, std::pair{256L, 256L}, std::pair{1024L, 128L}}) b->Args({r, c});
  b->Unit(benchmark::kMillisecond);
}

void args(benchmark::internal::Benchmark* b) {
  b->Args({10000, 1});  // below the parallel threshold: the plain loop (one tensor of a small layer)
  for (long n : {1000000L, 10000000L})
    for (long t : {1L, 2L}) b->Args({n, t});
  b->UseRealTime()->Unit(benchmark::kMillisecond);
}
}  // namespace

BENCHMARK_TEMPLATE(BM_Triad, float)->Apply(args);
BENCHMARK_TEMPLATE(BM_Lion, float)->Apply(args);
BENCHMARK_TEMPLATE(BM_AdamW, float)->Apply(args);
BENCHMARK_TEMPLATE(BM_Triad, double)->Apply(args);
BENCHMARK_TEMPLATE(BM_Lion, double)->Apply(args);
BENCHMARK_TEMPLATE(BM_AdamW, double)->Apply(args);
BENCHMARK_TEMPLATE(BM_NuclearMsign, float)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Product, float, ProductKind::eigen)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Product, float, ProductKind::lazy)->Apply(shapes);
BENCHMARK_TEMPLATE(BM_Product, float, ProductKind::packed)->Apply(shapes);

int main(int argc, char** argv) { return convlab::bench::run(argc, argv); }
