// value_and_gradient of logistic regression beside an Eigen matrix-vector product over the
// same design, in the same process: the ratio says how close the objective is to the two
// passes over the data (A·x and Aᵀ·r) it cannot avoid. `--smoke` shrinks every size so
// CTest can run each benchmark once.
#include <benchmark/benchmark.h>

#include "smoke_main.hpp"

#include <convlab/problems/logistic.hpp>

#include <cstring>
#include <random>

namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

namespace {
using convlab::bench::smoke;

struct Sizes {
  Eigen::Index n, d;
  double density;
};
Sizes dense_sizes() { return smoke ? Sizes{200, 10, 1.0} : Sizes{10000, 100, 1.0}; }
Sizes sparse_sizes() { return smoke ? Sizes{2000, 100, 0.01} : Sizes{100000, 10000, 0.01}; }

VecX<double> labels(Eigen::Index n, std::mt19937_64& rng) {
  VecX<double> y(n);
  for (Eigen::Index i = 0; i < n; ++i) y[i] = (rng() & 1) ? 1.0 : -1.0;
  return y;
}

const MatX<double>& dense_design() {
  static const MatX<double> A = [] {
    const auto s = dense_sizes();
    std::mt19937_64 rng(1);
    std::normal_distribution<double> N;
    MatX<double> m(s.n, s.d);
    for (Eigen::Index j = 0; j < s.d; ++j)
      for (Eigen::Index i = 0; i < s.n; ++i) m(i, j) = N(rng);
    return m;
  }();
  return A;
}

const cp::SparseDesign<double>& sparse_design() {
  static const cp::SparseDesign<double> A = [] {
    const auto s = sparse_sizes();
    std::mt19937_64 rng(2);
    std::normal_distribution<double> N;
    std::uniform_int_distribution<Eigen::Index> col(0, s.d - 1);
    const auto per_row = static_cast<Eigen::Index>(s.density * static_cast<double>(s.d));
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<std::size_t>(s.n * per_row));
    for (Eigen::Index i = 0; i < s.n; ++i)
      for (Eigen::Index k = 0; k < per_row; ++k) t.emplace_back(i, col(rng), N(rng));
    cp::SparseDesign<double> m(s.n, s.d);
    m.setFromTriplets(t.begin(), t.end(), [](double a, double) { return a; });  // duplicates: keep one
    m.makeCompressed();
    return m;
  }();
  return A;
}

/// Bytes of the design read once (values + indices for sparse).
template <class D>
double design_bytes(const D& A) {
  if constexpr (cp::is_sparse_design_v<D>)
    return static_cast<double>(A.nonZeros()) * (sizeof(double) + sizeof(int)) + static_cast<double>(A.rows()) * sizeof(int);
  else
    return static_cast<double>(A.size()) * sizeof(double);
}

template <class D>
void report(benchmark::State& state, const D& A, double passes) {
  state.SetItemsProcessed(state.iterations() * A.rows());  // samples per second
  state.SetBytesProcessed(static_cast<std::int64_t>(static_cast<double>(state.iterations()) * passes * design_bytes(A)));
  state.counters["nnz"] = static_cast<double>(cp::is_sparse_design_v<D> ? A.nonZeros() : A.size());
}

template <class D>
void matvec_baseline(benchmark::State& state, const D& A) {
  VecX<double> x = VecX<double>::Random(A.cols()), z(A.rows());
  for (auto _ : state) {
    z.noalias() = A * x;
    benchmark::DoNotOptimize(z.data());
    benchmark::ClobberMemory();
  }
  report(state, A, 1.0);
}

template <class D>
void logistic_value_and_gradient(benchmark::State& state, const D& A) {
  std::mt19937_64 rng(3);
  const cp::Logistic<double, D> f(A, labels(A.rows(), rng), {.l2 = 1e-3});
  VecX<double> x = 0.01 * VecX<double>::Random(f.dim()), g(f.dim());
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.value_and_gradient(x, g));
    benchmark::ClobberMemory();
  }
  report(state, A, 2.0);  // A·x and Aᵀ·r
}

void BM_MatVec_Dense(benchmark::State& s) { matvec_baseline(s, dense_design()); }
void BM_Logistic_Dense(benchmark::State& s) { logistic_value_and_gradient(s, dense_design()); }
void BM_MatVec_Sparse(benchmark::State& s) { matvec_baseline(s, sparse_design()); }
void BM_Logistic_Sparse(benchmark::State& s) { logistic_value_and_gradient(s, sparse_design()); }
}  // namespace

// Wall time: Eigen runs row-major sparse products on OpenMP threads.
BENCHMARK(BM_MatVec_Dense)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Logistic_Dense)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MatVec_Sparse)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Logistic_Sparse)->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) { return convlab::bench::run(argc, argv); }
