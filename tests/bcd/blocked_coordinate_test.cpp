// Block coordinate descent on problems cut into row blocks (BlockedCoordinate, one process):
// every member against the unblocked coordinate form, and BCD runs that reach the unblocked
// runs' solutions. Bit-identity across MPI ranks is tested under mpirun (mpi_sharded_test).
#include <gtest/gtest.h>

#include <convlab/optim/bcd.hpp>
#include <convlab/problems/blocked_coordinate.hpp>
#include <convlab/problems/blocked_problem.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <numeric>
#include <random>

#include "test_support.hpp"

namespace co = convlab::optim;
namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {

struct Data {
  MatX<double> A;
  VecX<double> b, y01, cls;
};

Data make_data(Index n, Index d, std::mt19937_64& rng) {
  std::normal_distribution<double> N;
  Data s{convlab::test::random_matrix<double>(n, d, rng), VecX<double>(n), VecX<double>(n), VecX<double>(n)};
  for (Index i = 0; i < n; ++i) {
    s.b[i] = N(rng);
    s.y01[i] = s.A(i, 0) + 0.5 * N(rng) > 0 ? 1 : 0;
    s.cls[i] = static_cast<double>((i * 7) % 3);
  }
  return s;
}

// The coordinate form of each row block of `make(A, y)`'s problem, over one process.
template <class Make>
auto blocked_form(const MatX<double>& A, const VecX<double>& y, const cp::BlockLayout& layout, Make make) {
  return cp::BlockedCoordinate(
      cp::split_into_blocks(A, y, layout, 0, [&](const MatX<double>& Ab, const VecX<double>& yb) { return cp::coordinate_form(make(Ab, yb)); }),
      layout);
}

// The same with sample weights `w`, cut with the rows.
template <class Make>
auto blocked_form(const MatX<double>& A, const VecX<double>& y, const VecX<double>& w, const cp::BlockLayout& layout, Make make) {
  return cp::BlockedCoordinate(cp::split_into_blocks(A, y, w, layout, 0,
                                                     [&](const MatX<double>& Ab, const VecX<double>& yb, const VecX<double>& wb) {
                                                       return cp::coordinate_form(make(Ab, yb, wb));
                                                     }),
                               layout);
}

template <class Blocked, class Plain>
void check_members(const Blocked& blocked, const Plain& plain, std::mt19937_64& rng) {
  const Index n = plain.dim();
  ASSERT_EQ(blocked.dim(), n);
  const double tol = 1e-12;
  auto near = [&](const VecX<double>& a, const VecX<double>& b) { return (a - b).cwiseAbs().maxCoeff() <= tol * (1 + b.cwiseAbs().maxCoeff()); };
  EXPECT_TRUE(near(blocked.coordinate_lipschitz(), plain.coordinate_lipschitz()));
  EXPECT_TRUE(near(blocked.hessian_bound_row_sums(), plain.hessian_bound_row_sums()));
  std::normal_distribution<double> N(0.0, 0.3);
  VecX<double> v(n), o1(n), o2(n);
  for (auto& e : v) e = N(rng);
  blocked.hessian_bound_times(v, o1);
  plain.hessian_bound_times(v, o2);
  EXPECT_TRUE(near(o1, o2));
  for (bool track : {false, true}) {
    auto sb = blocked.make_state(v, track);
    auto sp = plain.make_state(v, track);
    for (int step = 0; step < 10; ++step) {
      std::vector<Index> blk(static_cast<std::size_t>(n));
      std::iota(blk.begin(), blk.end(), Index{0});
      std::shuffle(blk.begin(), blk.end(), rng);
      blk.resize(static_cast<std::size_t>(1 + step % 4));
      const auto m = static_cast<Index>(blk.size());
      VecX<double> gb(m), gp(m), d(m), g1(n), g2(n);
      blocked.block_gradient(sb, blk, gb);
      plain.block_gradient(sp, blk, gp);
      EXPECT_TRUE(near(gb, gp)) << "block gradient, step " << step;
      blocked.gradient(sb, g1);
      plain.gradient(sp, g2);
      EXPECT_TRUE(near(g1, g2)) << "gradient, step " << step;
      MatX<double> H1(m, m), H2(m, m);
      blocked.block_hessian_bound(blk, H1);
      plain.block_hessian_bound(blk, H2);
      EXPECT_LE((H1 - H2).cwiseAbs().maxCoeff(), tol * (1 + H2.cwiseAbs().maxCoeff()));
      blocked.block_hessian(sb, blk, H1);
      plain.block_hessian(sp, blk, H2);
      EXPECT_LE((H1 - H2).cwiseAbs().maxCoeff(), tol * (1 + H2.cwiseAbs().maxCoeff()));
      for (auto& e : d) e = N(rng);
      const double f = plain.value(sp);
      EXPECT_NEAR(blocked.decrease(sb, blk, d), plain.decrease(sp, blk, d), tol * (1 + std::abs(f)));
      blocked.update_block(sb, blk, d);
      plain.update_block(sp, blk, d);
      EXPECT_EQ(sb.x, sp.x);
      EXPECT_NEAR(blocked.value(sb), plain.value(sp), tol * (1 + std::abs(f)));
      if (track) {
        EXPECT_TRUE(near(sb.grad, sp.grad)) << "tracked gradient, step " << step;
      }
    }
  }
}

}  // namespace

TEST(BlockedCoordinate, EveryMemberMatchesTheUnblockedCoordinateForm) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const Data s = make_data(300, 7, rng);
  const cp::LinearModelOptions opt{.l1 = 0, .l2 = 0.05, .intercept = true};
  const cp::BlockLayout layout(300, 1, 64);  // 5 row blocks, the last of 44 rows
  {
    SCOPED_TRACE("least squares");
    auto make = [&](const MatX<double>& A, const VecX<double>& y) { return cp::LeastSquares<double>(A, y, opt); };
    check_members(blocked_form(s.A, s.b, layout, make), cp::coordinate_form(make(s.A, s.b)), rng);
  }
  {
    SCOPED_TRACE("logistic");
    auto make = [&](const MatX<double>& A, const VecX<double>& y) { return cp::Logistic<double>(A, y, opt); };
    check_members(blocked_form(s.A, s.y01, layout, make), cp::coordinate_form(make(s.A, s.y01)), rng);
  }
  {
    SCOPED_TRACE("multinomial");
    auto make = [&](const MatX<double>& A, const VecX<double>& y) { return cp::Multinomial<double>(A, y, 3, opt); };
    check_members(blocked_form(s.A, s.cls, layout, make), cp::coordinate_form(make(s.A, s.cls)), rng);
  }
}

// Row blocks weigh in by their total sample weight (Σ_B s/Σs), one block with no weight at all.
TEST(BlockedCoordinate, EveryMemberMatchesTheUnblockedCoordinateFormWithSampleWeights) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const Data s = make_data(300, 7, rng);
  VecX<double> w(300);
  std::uniform_int_distribution<int> weight(0, 3);
  for (Index i = 0; i < 300; ++i) w[i] = i < 6 ? 1 : weight(rng);  // both labels of the first rows weigh in
  w.segment(64, 64).setZero();
  const cp::LinearModelOptions opt{.l1 = 0, .l2 = 0.05, .intercept = true};
  const cp::BlockLayout layout(300, 1, 64);
  {
    SCOPED_TRACE("least squares");
    auto make = [&](const MatX<double>& A, const VecX<double>& y, const VecX<double>& wb) { return cp::LeastSquares<double>(A, y, opt, wb); };
    check_members(blocked_form(s.A, s.b, w, layout, make), cp::coordinate_form(make(s.A, s.b, w)), rng);
  }
  {
    SCOPED_TRACE("logistic");
    auto make = [&](const MatX<double>& A, const VecX<double>& y, const VecX<double>& wb) { return cp::Logistic<double>(A, y, opt, wb); };
    check_members(blocked_form(s.A, s.y01, w, layout, make), cp::coordinate_form(make(s.A, s.y01, w)), rng);
  }
  {
    SCOPED_TRACE("multinomial");
    auto make = [&](const MatX<double>& A, const VecX<double>& y, const VecX<double>& wb) { return cp::Multinomial<double>(A, y, 3, opt, wb); };
    check_members(blocked_form(s.A, s.cls, w, layout, make), cp::coordinate_form(make(s.A, s.cls, w)), rng);
  }
}

TEST(BlockedCoordinate, BcdRulesAndUpdatesReachTheUnblockedSolutions) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const Data s = make_data(400, 12, rng);
  const cp::LinearModelOptions opt{.l1 = 0, .l2 = 0.01, .intercept = true};
  const cp::BlockLayout layout(400, 1, 64);
  auto make = [&](const MatX<double>& A, const VecX<double>& y) { return cp::Logistic<double>(A, y, opt); };
  const auto blocked = blocked_form(s.A, s.y01, layout, make);
  const auto plain = cp::coordinate_form(make(s.A, s.y01));
  const Index n = plain.dim();
  auto solve = [&](auto bcd, const auto& problem) {
    VecX<double> x = VecX<double>::Zero(n);
    const auto summary = bcd.minimize(problem, x);
    EXPECT_TRUE(std::isfinite(summary.final_value)) << summary.brief_report();
    return x;
  };
  const co::BcdOptions bo{.max_iterations = 4000, .gradient_tolerance = 1e-10, .check_every = 50, .record_every = 0};
  // Gauss–Southwell–Lipschitz (tracked gradient) with the matrix update; cyclic blocks with Newton;
  // proximal Gauss–Southwell with an L1 penalty.
  const VecX<double> a1 = solve(co::BlockCoordinateDescent(co::VariableBlocks{3}, co::GaussSouthwellLipschitz{}, co::MatrixUpdate{}, bo), blocked);
  const VecX<double> a2 = solve(co::BlockCoordinateDescent(co::VariableBlocks{3}, co::GaussSouthwellLipschitz{}, co::MatrixUpdate{}, bo), plain);
  EXPECT_LE((a1 - a2).cwiseAbs().maxCoeff(), 1e-7);
  const VecX<double> b1 = solve(co::BlockCoordinateDescent(co::OrderPartition{4}, co::Cyclic{}, co::NewtonUpdate{}, bo), blocked);
  const VecX<double> b2 = solve(co::BlockCoordinateDescent(co::OrderPartition{4}, co::Cyclic{}, co::NewtonUpdate{}, bo), plain);
  EXPECT_LE((b1 - b2).cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_LE((a1 - b1).cwiseAbs().maxCoeff(), 1e-6);  // the same optimum by both rules
  const co::Composite Fb(blocked, co::L1Penalty{0.02});
  const co::Composite Fp(plain, co::L1Penalty{0.02});
  const co::BcdOptions po{.max_iterations = 3000, .check_every = 50, .record_every = 0};
  const VecX<double> c1 = solve(co::BlockCoordinateDescent(co::VariableBlocks{2}, co::GaussSouthwellProximal{}, co::ProxGradientUpdate{}, po), Fb);
  const VecX<double> c2 = solve(co::BlockCoordinateDescent(co::VariableBlocks{2}, co::GaussSouthwellProximal{}, co::ProxGradientUpdate{}, po), Fp);
  EXPECT_LE((c1 - c2).cwiseAbs().maxCoeff(), 1e-7);
  EXPECT_GT((c1.array() == 0).count(), 0) << "the L1 penalty should zero some coefficients";
  // Determinism: the same run twice gives the same bits.
  EXPECT_EQ(solve(co::BlockCoordinateDescent(co::VariableBlocks{3}, co::GaussSouthwellLipschitz{}, co::MatrixUpdate{}, bo), blocked), a1);
}

// Every selection rule and update of optim/bcd, on the row-blocked problem and on the plain one:
// both reach the optimum (what the docs/distributed.md table promises).
TEST(BlockedCoordinate, EveryRuleAndUpdateRuns) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const Data s = make_data(400, 6, rng);
  const cp::LinearModelOptions opt{.l1 = 0, .l2 = 0.05, .intercept = true};
  const cp::BlockLayout layout(400, 1, 64);
  auto make = [&](const MatX<double>& A, const VecX<double>& y) { return cp::Logistic<double>(A, y, opt); };
  const auto blocked = blocked_form(s.A, s.y01, layout, make);
  const auto plain = cp::coordinate_form(make(s.A, s.y01));
  const Index n = plain.dim();
  VecX<double> xstar = VecX<double>::Zero(n);
  co::BlockCoordinateDescent(co::OrderPartition{n}, co::Cyclic{}, co::NewtonUpdate{}, {.max_iterations = 50, .record_every = 0}).minimize(plain, xstar);
  const co::BcdOptions bo{.max_iterations = 6000, .check_every = 100, .record_every = 0, .seed = 3};
  // Runs `bcd` on the blocked and the plain form of one problem; both must reach `optimum`.
  auto reach = [&](const char* what, auto bcd, const auto& blocked_problem, const auto& plain_problem, const VecX<double>& optimum) {
    SCOPED_TRACE(what);
    VecX<double> x1 = VecX<double>::Zero(n), x2 = VecX<double>::Zero(n);
    auto bcd2 = bcd;
    bcd.minimize(blocked_problem, x1);
    bcd2.minimize(plain_problem, x2);
    EXPECT_LE((x1 - optimum).cwiseAbs().maxCoeff(), 1e-6);
    EXPECT_LE((x2 - optimum).cwiseAbs().maxCoeff(), 1e-6);
  };
  auto check = [&](const char* what, auto bcd) { reach(what, bcd, blocked, plain, xstar); };
  check("cyclic, gradient", co::BlockCoordinateDescent(co::OrderPartition{2}, co::Cyclic{}, co::GradientUpdate{}, bo));
  check("random permutation, global", co::BlockCoordinateDescent(co::OrderPartition{2}, co::RandomPermutation{}, co::GlobalGradientUpdate{}, bo));
  check("uniform, adaptive", co::BlockCoordinateDescent(co::OrderPartition{2}, co::UniformRandom{}, co::AdaptiveGradientUpdate{}, bo));
  check("Lipschitz sampling, matrix", co::BlockCoordinateDescent(co::SortPartition{2}, co::LipschitzSampling{}, co::MatrixUpdate{}, bo));
  check("GS, matrix", co::BlockCoordinateDescent(co::VariableBlocks{2}, co::GaussSouthwell{}, co::MatrixUpdate{}, bo));
  check("GSD, matrix", co::BlockCoordinateDescent(co::VariableBlocks{2}, co::GaussSouthwellDiagonal{}, co::MatrixUpdate{}, bo));
  check("GSQ, Newton", co::BlockCoordinateDescent(co::AvgPartition{3}, co::GaussSouthwellQuadratic{}, co::NewtonUpdate{}, bo));
  // Proximal: non-negative L1 (two-metric projection needs a bound) against a long proximal Newton run.
  const co::Composite Fb(blocked, co::NonNegativeL1{0.01});
  const co::Composite Fp(plain, co::NonNegativeL1{0.01});
  VecX<double> zstar = VecX<double>::Zero(n);
  co::BlockCoordinateDescent(co::VariableBlocks{3}, co::GaussSouthwellProximal{}, co::ProxNewtonUpdate{}, {.max_iterations = 8000, .record_every = 0})
      .minimize(Fp, zstar);
  auto check_prox = [&](const char* what, auto bcd) { reach(what, bcd, Fb, Fp, zstar); };
  check_prox("proximal GS, prox gradient", co::BlockCoordinateDescent(co::VariableBlocks{2}, co::GaussSouthwellProximal{}, co::ProxGradientUpdate{}, bo));
  check_prox("manifold Newton, two-metric", co::BlockCoordinateDescent(co::VariableBlocks{2}, co::ManifoldNewtonSelection<>{}, co::TwoMetricProjectionUpdate{}, bo));
}
