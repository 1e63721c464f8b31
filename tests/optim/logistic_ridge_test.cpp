// L2-logistic Newton solver: against the generic damped Newton on problems::Logistic (an
// independent Hessian assembly), its duality-gap certificate, and the three linear-algebra branches
// (Cholesky p × p, Woodbury n × n, truncated Newton-CG).
#include <gtest/gtest.h>

#include <convlab/optim/logistic_ridge.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/problems/logistic.hpp>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace co = convlab::optim;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
struct Data {
  MatX<double> X;
  VecX<double> labels;  // 0/1
};
Data make(Index n, Index p, unsigned seed) {
  std::mt19937_64 rng(seed);
  Data d{convlab::test::random_matrix<double>(n, p, rng), VecX<double>(n)};
  const VecX<double> w = VecX<double>(convlab::test::random_matrix<double>(p, 1, rng).col(0));
  std::uniform_real_distribution<double> U;
  for (Index i = 0; i < n; ++i) d.labels[i] = U(rng) < 1 / (1 + std::exp(-d.X.row(i).dot(w))) ? 1 : 0;
  return d;
}
}  // namespace

TEST(LogisticRidge, MatchesGenericNewtonOnTallAndWideDenseAndSparse) {
  for (auto [n, p] : {std::pair<Index, Index>{120, 15}, {40, 90}}) {
    const Data d = make(n, p, convlab::test::test_seed());
    const double lambda = 0.05;
    cp::Logistic<double> f(d.X, d.labels, {.l2 = lambda});
    VecX<double> ref = VecX<double>::Zero(p);
    co::newton(f, ref, {.max_iterations = 200, .gradient_tolerance = 1e-13});
    const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
    for (auto solve : {co::RidgeNewtonSolve::Direct, co::RidgeNewtonSolve::ConjugateGradient, co::RidgeNewtonSolve::Auto})
    for (bool sparse : {false, true}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " p " << p << (sparse ? " sparse" : " dense") << " solve " << static_cast<int>(solve));
      const co::LogisticRidgeOptions o{.tolerance = 1e-12, .solve = solve};
      const auto r = sparse ? co::logistic_ridge(Xs, d.labels, lambda, o) : co::logistic_ridge(d.X, d.labels, lambda, o);
      EXPECT_TRUE(r.converged);
      const bool cg = solve == co::RidgeNewtonSolve::ConjugateGradient || (solve == co::RidgeNewtonSolve::Auto && std::min(n, p) > 16);
      EXPECT_EQ(r.woodbury, !cg && p > n);
      EXPECT_EQ(r.cg_iterations > 0, cg);
      EXPECT_LE((r.w - ref).norm(), 1e-6 * (1 + ref.norm()));
      EXPECT_NEAR(r.primal, f.value(ref), 1e-11);
      // The gap certifies: P(w) − P* ≤ P − D, and D ≤ P* ≤ P.
      EXPECT_LE(r.dual, f.value(ref) + 1e-12);
      EXPECT_LE(r.relative_gap, 1e-12);
      EXPECT_LT(r.newton_steps, 30);  // quadratic convergence, not a first-order crawl
    }
  }
}

TEST(LogisticRidge, GapIsNonNegativeAtAnyPointAndZeroOnlyAtTheOptimum) {
  // Weak duality at random (non-optimal) starting points: one Newton step is not taken when the
  // budget is 1, so the reported gap is that of w0 itself.
  const Data d = make(50, 8, convlab::test::test_seed() + 1);
  std::mt19937_64 rng(convlab::test::test_seed());
  for (int trial = 0; trial < 20; ++trial) {
    const VecX<double> w0 = VecX<double>(convlab::test::random_matrix<double>(8, 1, rng).col(0));
    const auto r = co::logistic_ridge(d.X, d.labels, 0.1, {.tolerance = 1e-300, .max_newton = 1}, w0);
    EXPECT_GE(r.primal - r.dual, -1e-12);
  }
  const auto r = co::logistic_ridge(d.X, d.labels, 0.1, {.tolerance = 1e-13});
  EXPECT_LE(r.relative_gap, 1e-13);
}

TEST(LogisticRidge, RejectsBadInputWithAClearMessage) {
  const Data d = make(10, 3, 1);
  EXPECT_THROW(co::logistic_ridge(d.X, d.labels, 0.0), convlab::InvalidArgument);
  VecX<double> bad = d.labels;
  bad[4] = 2;
  try {
    co::logistic_ridge(d.X, bad, 0.1);
    FAIL();
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("row 4"), std::string::npos);
  }
  MatX<double> X = d.X;
  X(2, 1) = std::nan("");
  EXPECT_THROW(co::logistic_ridge(X, d.labels, 0.1), convlab::InvalidArgument);
  EXPECT_THROW(co::logistic_ridge(d.X, d.labels.head(5).eval(), 0.1), convlab::InvalidArgument);
}
