// Problems sharded over MPI ranks (run by CTest under mpirun with 1, 2 and 3 ranks):
//   mpi_sharded_test check DIGITS.libsvm BREAST_CANCER.libsvm
//     each rank reads only its rows; value/gradient and full-batch and minibatch optimizer runs
//     are bit-identical to the same problem read and run by one process (rank 0 computes that
//     reference over MPI_COMM_SELF) and within rounding of the plain, unsharded problem.
//   mpi_sharded_test bad FILE.libsvm
//     a parse error in one rank's rows: that rank reports file:line, the others stay quiet.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/mpi/libsvm_shard.hpp>
#include <convlab/problems/mpi/sharded_problem.hpp>
#include <convlab/problems/multinomial.hpp>
#include <convlab/schedules/schedule.hpp>

namespace cm = convlab::mpi;
namespace cp = convlab::problems;
using convlab::VecX;
using Design = cp::SparseDesign<double>;

namespace {
int failures = 0;
int rank_ = 0;
void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::fprintf(stderr, "rank %d: FAILED: %s\n", rank_, what.c_str());
  }
}

template <class Make>
void check_problem(const std::string& path, MPI_Comm world, Make&& make, const std::string& name) {
  int size = 1;
  MPI_Comm_size(world, &size);
  const Eigen::Index block = 64;
  const auto shard = cm::read_libsvm_shard(path, world, {}, block);
  // Memory: this rank holds exactly its blocks' rows.
  const Eigen::Index mine = shard.layout.first_row(rank_ + 1) - shard.layout.first_row(rank_);
  expect(shard.data.X.rows() == mine, name + ": local rows");
  if (size > 1) expect(shard.data.X.rows() < shard.layout.rows(), name + ": a rank holds only part of the data");
  std::printf("rank %d: %s rows [%ld, %ld) of %ld (%ld nonzeros)\n", rank_, name.c_str(), static_cast<long>(shard.first_row),
              static_cast<long>(shard.first_row + mine), static_cast<long>(shard.layout.rows()), static_cast<long>(shard.data.X.nonZeros()));
  const cm::ShardedProblem sharded(cm::split_into_blocks(shard.data.X, shard.data.y, shard.layout, rank_, make), shard.layout, world);
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
  if (rank_ != 0) return;
  // The one-process reference: the same reader and wrapper over MPI_COMM_SELF.
  const auto whole = cm::read_libsvm_shard(path, MPI_COMM_SELF, {}, block);
  const cm::ShardedProblem single(cm::split_into_blocks(whole.data.X, whole.data.y, whole.layout, 0, make), whole.layout, MPI_COMM_SELF);
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
  // Within rounding of the plain problem.
  const auto all = cp::load_libsvm(path);
  const auto plain = make(all.X, all.y);
  VecX<double> gp(d);
  const double fp = cp::value_and_gradient(plain, x, gp);
  expect(std::abs(fp - f) <= 1e-12 * (1 + std::abs(fp)), name + ": value within rounding of the unsharded problem");
  expect((gp - g).cwiseAbs().maxCoeff() <= 1e-12 * (1 + gp.cwiseAbs().maxCoeff()), name + ": gradient within rounding");
  std::printf("%s: f = %.17g (unsharded %.17g); %zu doubles received per evaluation\n", name.c_str(), f, fp, sharded.last_exchange_doubles());
}
}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  const std::string mode = argc > 1 ? argv[1] : "";
  int code = 0;
  try {
    if (mode == "check" && argc == 4) {
      check_problem(
          argv[2], MPI_COMM_WORLD,
          [](const Design& X, const VecX<double>& y) { return cp::Multinomial<double, Design>(X, y, 10, {.l2 = 0.01, .intercept = true}); },
          "digits multinomial");
      // Raw breast-cancer features reach 4e3: scaled so that the runs' steps are stable.
      check_problem(
          argv[3], MPI_COMM_WORLD,
          [](const Design& X, const VecX<double>& y) { return cp::Logistic<double, Design>(Design(X / 1000.0), y, {.l2 = 0.01, .intercept = true}); },
          "breast-cancer logistic");
    } else if (mode == "bad" && argc == 3) {
      (void)cm::read_libsvm_shard(argv[2], MPI_COMM_WORLD, {}, 64);
      std::fprintf(stderr, "rank %d: FAILED: the bad file was read\n", rank_);
      code = 1;
    } else {
      std::fprintf(stderr, "usage: mpi_sharded_test check DIGITS BREAST | bad FILE\n");
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
