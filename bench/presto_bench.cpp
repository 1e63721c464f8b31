// PRESTO fit time (issue: n = 2000, p = 10, K = 4, a 50-λ path with 5-fold CV) against a
// baseline in the same process: one evaluation of the model's value and gradient and one of its
// exact Hessian on the same data, so the CV fit reads as "so many Hessian-equivalents".
#include <convlab/solvers/presto.hpp>
#include <convlab/problems/ordinal.hpp>
#include <random>

#include "smoke_main.hpp"

namespace cp = convlab::problems;
namespace cs = convlab::solvers;
using convlab::MatX;
using convlab::VecX;

namespace {
struct Data {
  MatX<double> X;
  VecX<double> y;
};
// The spec's sparse-differences design: X ~ U(−1, 1), intercepts (0, 3, 5), q = 1/2.
const Data& data() {
  static const Data d = [] {
    const Eigen::Index n = convlab::bench::smoke ? 200 : 2000, p = 10;
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> U(-1, 1), U01(0, 1);
    std::bernoulli_distribution coin(0.5);
    MatX<double> B(p, 3);
    for (Eigen::Index j = 0; j < p; ++j) B(j, 0) = coin(rng) ? 0.5 : 0.0;
    for (Eigen::Index k = 1; k < 3; ++k)
      for (Eigen::Index j = 0; j < p; ++j) B(j, k) = B(j, k - 1) + (coin(rng) ? (coin(rng) ? 0.5 : -0.5) : 0.0);
    VecX<double> alpha(3);
    alpha << 0, 3, 5;
    Data out{MatX<double>(n, p), VecX<double>(n)};
    for (Eigen::Index i = 0; i < n; ++i)
      for (Eigen::Index j = 0; j < p; ++j) out.X(i, j) = U(rng);
    const MatX<double> P = cp::cumulative_logit_probabilities(out.X, alpha, B);
    for (Eigen::Index i = 0; i < n; ++i) {
      double u = U01(rng), c = 0;
      int k = 0;
      for (; k < 3; ++k) {
        c += std::max(P(i, k), 0.0);
        if (u < c) break;
      }
      out.y[i] = k + 1;
    }
    return out;
  }();
  return d;
}
}  // namespace

static void BM_ValueAndGradient(benchmark::State& state) {
  const cp::CumulativeLogit m(data().X, data().y, 4);
  VecX<double> theta = VecX<double>::Zero(m.dim()), g(m.dim());
  theta.head(3) << -1, 1, 3;
  for (auto _ : state) benchmark::DoNotOptimize(m.value_and_gradient(theta, g));
}
BENCHMARK(BM_ValueAndGradient)->Unit(benchmark::kMicrosecond);

static void BM_Hessian(benchmark::State& state) {
  const cp::CumulativeLogit m(data().X, data().y, 4);
  VecX<double> theta = VecX<double>::Zero(m.dim());
  theta.head(3) << -1, 1, 3;
  MatX<double> H(m.dim(), m.dim());
  for (auto _ : state) {
    m.hessian(theta, H);
    benchmark::DoNotOptimize(H.data());
  }
}
BENCHMARK(BM_Hessian)->Unit(benchmark::kMicrosecond);

static void BM_PrestoCv50(benchmark::State& state) {
  for (auto _ : state) {
    const auto cv = cs::presto_cv(data().X, data().y, 4, {.folds = 5, .seed = 1, .path = {.n_lambdas = 50, .ratio = 0.01, .presto = {}}});
    benchmark::DoNotOptimize(cv.fit.objective);
  }
}
BENCHMARK(BM_PrestoCv50)->Unit(benchmark::kMillisecond)->Iterations(3);

int main(int argc, char** argv) { return convlab::bench::run(argc, argv); }
