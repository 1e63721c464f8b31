// Problems sharded over MPI ranks (run by CTest under mpirun with 1, 2 and 3 ranks):
//   mpi_sharded_test check DIGITS.libsvm BREAST_CANCER.libsvm
//     each rank reads only its rows; value/gradient, Hessian, Lipschitz bound, global
//     standardization and full-batch and minibatch optimizer runs are bit-identical to the same
//     problem read and run by one process without MPI (rank 0 computes that reference: the
//     whole file, BlockedProblem over LocalExchange — what `convlab fit` runs on one process)
//     and within rounding of the plain, unblocked problem; so are block coordinate descent runs
//     (BlockedCoordinate). LIBSVM (sparse) and CSV (dense).
//   mpi_sharded_test bad FILE.libsvm
//     a parse error in one rank's rows: that rank reports file:line, the others stay quiet.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <memory>
#include <string>

#include <convlab/optim/bcd.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/blocked_coordinate.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/mpi/csv_shard.hpp>
#include <convlab/problems/mpi/libsvm_shard.hpp>
#include <convlab/problems/mpi/sharded_problem.hpp>
#include <convlab/problems/multinomial.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/schedules/schedule.hpp>

namespace cm = convlab::mpi;
namespace co = convlab::optim;
namespace cp = convlab::problems;
using convlab::VecX;
using Sparse = cp::SparseDesign<double>;
using Dense = convlab::MatX<double>;

namespace {
int failures = 0;
Eigen::Index stored(const Sparse& X) { return X.nonZeros(); }
Eigen::Index stored(const Dense& X) { return X.size(); }
int rank_ = 0;
void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_, what.c_str());
  }
}

/// One file read both ways: this rank's shard (`read_shard(path, comm)`) and, on rank 0, the
/// whole file by the one-process loader (`load(path)`).
template <class ReadShard, class Load, class Make>
void check_problem(const std::string& path, MPI_Comm world, ReadShard&& read_shard, Load&& load, Make&& make, bool standardize,
                   const std::string& name) {
  int size = 1;
  MPI_Comm_size(world, &size);
  auto shard = read_shard(path, world);
  // Memory: this rank holds exactly its blocks' rows.
  const Eigen::Index mine = shard.layout.first_row(rank_ + 1) - shard.layout.first_row(rank_);
  expect(shard.data.X.rows() == mine, name + ": local rows");
  if (size > 1) expect(shard.data.X.rows() < shard.layout.rows(), name + ": a rank holds only part of the data");
  std::printf("rank %d: %s rows [%ld, %ld) of %ld (%ld doubles of features)\n", rank_, name.c_str(), static_cast<long>(shard.first_row),
              static_cast<long>(shard.first_row + mine), static_cast<long>(shard.layout.rows()), static_cast<long>(stored(shard.data.X)));
  // ... and the ranks' shards add up to the file: nothing is held twice.
  long long held = stored(shard.data.X), held_total = 0;
  MPI_Reduce(&held, &held_total, 1, MPI_LONG_LONG, MPI_SUM, 0, world);
  const auto exchange = std::make_shared<cm::MpiExchange>(world);
  cp::Standardization t;
  if (standardize) t = cp::standardize_blocks(shard.data.X, shard.layout, *exchange);
  const cm::ShardedProblem sharded(cp::split_into_blocks(shard.data.X, shard.data.y, shard.layout, rank_, make), shard.layout, world);
  const Eigen::Index d = sharded.dim();
  std::mt19937_64 rng(5);
  std::normal_distribution<double> G(0, 0.01);
  VecX<double> x(d);
  for (auto& v : x) v = G(rng);
  VecX<double> g(d), gb(d);
  const double f = sharded.value_and_gradient(x, g);
  std::vector<Eigen::Index> batch{3, 700 % shard.layout.rows(), 17, 100, 101, 300 % shard.layout.rows(), 5};
  const double fb = sharded.value(x, convlab::Batch(batch));
  sharded.gradient(x, convlab::Batch(batch), gb);
  // Optimizer runs: full-batch gradient descent and minibatch SGD with momentum.
  VecX<double> x_gd = VecX<double>::Zero(d), x_sgd = VecX<double>::Zero(d);
  convlab::optim::minimize(sharded, convlab::optim::GradientDescent<double>(), x_gd, {.max_iterations = 25}, convlab::schedules::constant(0.05));
  convlab::optim::minimize(sharded, convlab::optim::Sgd<double>({.momentum = 0.9}), x_sgd, {.max_iterations = 40, .batch_size = 16, .seed = 9},
                           convlab::schedules::constant(0.01));
  // Block coordinate descent on the rows sharded: a greedy rule with a tracked gradient and the
  // matrix update; cyclic blocks with Newton steps (BlockedCoordinate).
  const auto coordinate = [&](const auto& A, const VecX<double>& y) { return cp::coordinate_form(make(A, y)); };
  const auto run_bcd = [&](const auto& problem, VecX<double>& x_gs, VecX<double>& x_newton) {
    x_gs = x_newton = VecX<double>::Zero(problem.dim());
    co::BlockCoordinateDescent(co::VariableBlocks{3}, co::GaussSouthwellLipschitz{}, co::MatrixUpdate{}, {.max_iterations = 120, .record_every = 0})
        .minimize(problem, x_gs);
    co::BlockCoordinateDescent(co::OrderPartition{4}, co::Cyclic{}, co::NewtonUpdate{}, {.max_iterations = 120, .record_every = 0})
        .minimize(problem, x_newton);
  };
  VecX<double> x_gs, x_newton;
  run_bcd(cp::BlockedCoordinate(cp::split_into_blocks(shard.data.X, shard.data.y, shard.layout, rank_, coordinate), shard.layout, exchange), x_gs,
          x_newton);
  const double L = sharded.lipschitz();
  convlab::MatX<double> H(d, d);
  if constexpr (cp::TwiceDifferentiable<std::decay_t<decltype(sharded.blocks().front())>>) sharded.hessian(x, H);
  if (rank_ != 0) return;
  // The one-process reference: the whole file, blocked the same way, no MPI.
  auto whole = load(path);
  expect(held_total == stored(whole.X), name + ": the shards hold the file's entries exactly once");
  const cp::BlockLayout layout(whole.X.rows(), 1, shard.layout.block_rows());
  cp::Standardization t1;
  if (standardize) t1 = cp::standardize_blocks(whole.X, layout, cp::LocalExchange());
  expect(t1.center == t.center && t1.scale == t.scale, name + ": global standardization bit-identical");
  const cp::BlockedProblem single(cp::split_into_blocks(whole.X, whole.y, layout, 0, make), layout);
  expect(single.lipschitz() == L, name + ": Lipschitz bound bit-identical");
  if constexpr (cp::TwiceDifferentiable<std::decay_t<decltype(sharded.blocks().front())>>) {
    convlab::MatX<double> H1(d, d);
    single.hessian(x, H1);
    expect(H1 == H, name + ": Hessian bit-identical");
  }
  VecX<double> g1(d), gb1(d);
  expect(single.value_and_gradient(x, g1) == f && g1 == g, name + ": value and gradient bit-identical to one process");
  expect(single.value(x, convlab::Batch(batch)) == fb, name + ": minibatch value bit-identical");
  single.gradient(x, convlab::Batch(batch), gb1);
  expect(gb1 == gb, name + ": minibatch gradient bit-identical");
  VecX<double> y_gd = VecX<double>::Zero(d), y_sgd = VecX<double>::Zero(d);
  convlab::optim::minimize(single, convlab::optim::GradientDescent<double>(), y_gd, {.max_iterations = 25}, convlab::schedules::constant(0.05));
  convlab::optim::minimize(single, convlab::optim::Sgd<double>({.momentum = 0.9}), y_sgd, {.max_iterations = 40, .batch_size = 16, .seed = 9},
                           convlab::schedules::constant(0.01));
  expect(y_gd == x_gd, name + ": gradient descent bit-identical");
  expect(y_sgd == x_sgd, name + ": minibatch SGD bit-identical");
  expect(x_gd != VecX<double>::Zero(d), name + ": the run moved");
  VecX<double> y_gs, y_newton;
  run_bcd(cp::BlockedCoordinate(cp::split_into_blocks(whole.X, whole.y, layout, 0, coordinate), layout), y_gs, y_newton);
  expect(y_gs == x_gs && x_gs != VecX<double>::Zero(d), name + ": BCD (Gauss-Southwell-Lipschitz, matrix update) bit-identical");
  expect(y_newton == x_newton && x_newton != VecX<double>::Zero(d), name + ": BCD (cyclic, Newton) bit-identical");
  // Within rounding of the plain problem (standardized by the one-process standardize()).
  auto all = load(path);
  if (standardize) cp::standardize(all.X);
  const auto plain = make(all.X, all.y);
  expect(std::abs(plain.lipschitz() - L) <= 1e-12 * L, name + ": Lipschitz bound within rounding of the unblocked problem");
  VecX<double> gp(d);
  const double fp = cp::value_and_gradient(plain, x, gp);
  expect(std::abs(fp - f) <= 1e-12 * (1 + std::abs(fp)), name + ": value within rounding of the unsharded problem");
  expect((gp - g).cwiseAbs().maxCoeff() <= 1e-12 * (1 + gp.cwiseAbs().maxCoeff()), name + ": gradient within rounding");
  std::printf("%s: f = %.17g (unsharded %.17g), L = %.17g (unblocked %.17g); %zu doubles received per evaluation\n", name.c_str(), f, fp, L,
              static_cast<double>(plain.lipschitz()), sharded.last_exchange_doubles());
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  const std::string mode = argc > 1 ? argv[1] : "";
  int code = 0;
  try {
    if (mode == "check" && argc == 6) {
      const Eigen::Index block = 64;
      const auto libsvm = [&](const std::string& path, MPI_Comm comm) { return cm::read_libsvm_shard(path, comm, {}, block); };
      const auto load_libsvm = [](const std::string& path) { return cp::load_libsvm(path); };
      check_problem(
          argv[2], MPI_COMM_WORLD, libsvm, load_libsvm,
          [](const Sparse& X, const VecX<double>& y) { return cp::Multinomial<double, Sparse>(X, y, 10, {.l2 = 0.01, .intercept = true}); }, false,
          "digits multinomial (libsvm)");
      // Raw breast-cancer features reach 4e3: scaled (globally, by column RMS) so that the runs' steps are stable.
      check_problem(
          argv[3], MPI_COMM_WORLD, libsvm, load_libsvm,
          [](const Sparse& X, const VecX<double>& y) { return cp::Logistic<double, Sparse>(X, y, {.l2 = 0.01, .intercept = true}); }, true,
          "breast-cancer logistic (libsvm)");
      const auto csv = [&](const std::string& path, MPI_Comm comm) { return cm::read_csv_shard(path, comm, {.response = "y"}, block); };
      const auto load_csv = [](const std::string& path) { return cp::load_csv(path, {.response = "y"}); };
      check_problem(
          argv[4], MPI_COMM_WORLD, csv, load_csv,
          [](const Dense& X, const VecX<double>& y) { return cp::Logistic<double, Dense>(X, y, {.l2 = 0.01, .intercept = true}); }, true,
          "breast-cancer logistic (csv)");
      check_problem(
          argv[5], MPI_COMM_WORLD, csv, load_csv,
          [](const Dense& X, const VecX<double>& y) { return cp::LeastSquares<double, Dense>(X, y, {.l2 = 0.01, .intercept = true}); }, true,
          "diabetes least squares (csv)");
    } else if (mode == "bad" && argc == 3) {
      const std::string path = argv[2];
      if (path.ends_with(".csv") || path.ends_with(".csv.gz")) (void)cm::read_csv_shard(path, MPI_COMM_WORLD, {.response = "y"}, 64);
      else (void)cm::read_libsvm_shard(path, MPI_COMM_WORLD, {}, 64);
      std::fprintf(stderr, "rank %d: FAILED: the bad file was read\n", rank_);
      code = 1;
    } else {
      std::fprintf(stderr, "usage: mpi_sharded_test check DIGITS.libsvm BREAST.libsvm BREAST.csv DIABETES.csv | bad FILE\n");
      code = 2;
    }
  } catch (const cm::PeerFailure&) {
    code = 2;  // the failing rank reports
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank_, e.what());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int any = failures > 0 ? 1 : code, worst = 0;
  MPI_Allreduce(&any, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  MPI_Finalize();
  return worst;
}
