// Gradient evaluations per second of logistic regression sharded over MPI ranks (issue:
// 1e6 × 100 dense, and a sparse 1e6 × 1000 with 20 non-zeros per row), run as
//   mpirun -n 1 sharded_bench      and      mpirun -n 2 sharded_bench     [--rows N] [--smoke]
// Each rank generates only its own rows (values keyed by the global row index), so the data
// are the same for any rank count. Reported: evaluations per second of the sharded problem,
// the doubles each rank receives per evaluation, and — the same-process baseline — the ratio to
// the plain (unsharded) problem evaluated over this rank's rows alone. Plain timing: Google
// Benchmark cannot synchronize repetitions across ranks.
#include <mpi.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <convlab/federated/random_streams.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/mpi/sharded_problem.hpp>

namespace cm = convlab::mpi;
namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

namespace {
// Uniform on [−1, 1) keyed by (row, column): the same data for any rank count.
double uniform(std::uint64_t row, std::uint64_t k) { return 2 * convlab::federated::stream_uniform(7, row, k) - 1; }

template <class Design>
void measure(const char* name, const Design& A, const VecX<double>& y, const convlab::problems::BlockLayout& layout, int evaluations, int rank, int size) {
  using P = cp::Logistic<double, Design>;
  const auto make = [](Design X, VecX<double> labels) { return P(std::move(X), labels, {.l2 = 1e-4}); };
  const cm::ShardedProblem<P> sharded(cp::split_into_blocks(A, y, layout, rank, make), layout, MPI_COMM_WORLD);
  const P local = make(A, y);
  VecX<double> x = VecX<double>::Constant(sharded.dim(), 0.01), g(sharded.dim());
  sharded.value_and_gradient(x, g);  // warm-up
  MPI_Barrier(MPI_COMM_WORLD);
  auto t0 = std::chrono::steady_clock::now();
  double f = 0;  // the sharded value: the same bits for any rank count
  for (int e = 0; e < evaluations; ++e) f = sharded.value_and_gradient(x, g);
  const double sharded_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / evaluations;
  MPI_Barrier(MPI_COMM_WORLD);
  // Same-process baseline: the plain problem over this rank's rows (its vectorized full-batch path).
  t0 = std::chrono::steady_clock::now();
  double checksum = 0;
  for (int e = 0; e < evaluations; ++e) checksum += cp::value_and_gradient(local, x, g);
  const double plain_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / evaluations;
  if (!std::isfinite(checksum)) std::printf("rank %d: the plain evaluation is not finite\n", rank);
  double worst_ratio = sharded_s / plain_s, ratio = 0;
  MPI_Reduce(&worst_ratio, &ratio, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0)
    std::printf("%s: %d rank%s, %ld rows: %.2f evaluations/s (%.1f ms each); %zu doubles (%.1f kB) received per rank per evaluation; "
                "sharded / plain on the same rows: %.2f (f = %.17g)\n",
                name, size, size == 1 ? "" : "s", static_cast<long>(layout.rows()), 1 / sharded_s, 1e3 * sharded_s, sharded.last_exchange_doubles(),
                8e-3 * static_cast<double>(sharded.last_exchange_doubles()), ratio, f);
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long long rows = 1000000;
  int evaluations = 10;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") rows = 5000, evaluations = 2;
    else if (a == "--rows" && i + 1 < argc) rows = std::atoll(argv[++i]);
  }
  const convlab::problems::BlockLayout layout(rows, size);
  const Eigen::Index first = layout.first_row(rank), mine = layout.first_row(rank + 1) - first;
  {
    const Eigen::Index d = 100;
    MatX<double> A(mine, d);
    VecX<double> y(mine);
    for (Eigen::Index i = 0; i < mine; ++i) {
      for (Eigen::Index k = 0; k < d; ++k) A(i, k) = uniform(static_cast<std::uint64_t>(first + i), static_cast<std::uint64_t>(k));
      y[i] = uniform(static_cast<std::uint64_t>(first + i), 999) > 0 ? 1 : -1;
    }
    measure("dense 100 features", A, y, layout, evaluations, rank, size);
  }
  {
    const Eigen::Index d = 1000, nnz = 20;
    cp::SparseDesign<double> A(mine, d);
    A.reserve(Eigen::VectorXi::Constant(mine, static_cast<int>(nnz)));
    VecX<double> y(mine);
    for (Eigen::Index i = 0; i < mine; ++i) {
      const auto row = static_cast<std::uint64_t>(first + i);
      for (Eigen::Index k = 0; k < nnz; ++k)  // column k·50 + offset: increasing, distinct
        A.insert(i, k * (d / nnz) + static_cast<Eigen::Index>(convlab::federated::stream_key(7, row, 1000 + static_cast<std::uint64_t>(k)) % (d / nnz))) = uniform(row, static_cast<std::uint64_t>(k));
      y[i] = uniform(row, 999) > 0 ? 1 : -1;
    }
    A.makeCompressed();
    measure("sparse 1000 features, 20 per row", A, y, layout, evaluations, rank, size);
  }
  MPI_Finalize();
  return 0;
}
