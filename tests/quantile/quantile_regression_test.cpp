// The bounded-variable interior-point LP solver and linear quantile regression: against brute
// force over all vertices, the subgradient certificate, and LPs with known solutions.
#include <gtest/gtest.h>

#include <convlab/solvers/bounded_lp.hpp>
#include <convlab/quantile/quantile_regression.hpp>
#include <random>

#include "test_support.hpp"

namespace cs = convlab::solvers;
namespace cq = convlab::quantile;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

TEST(BoundedLp, SolvesSmallLpsWithKnownOptima) {
  // min −x1 − 2x2 s.t. x1 + x2 + s = 4, 0 <= x1 <= 3, 0 <= x2 <= 2, s >= 0: optimum (2, 2), −6.
  MatX<double> A(1, 3);
  A << 1, 1, 1;
  VecX<double> b(1), c(3), u(3);
  b << 4;
  c << -1, -2, 0;
  u << 3, 2, std::numeric_limits<double>::infinity();
  const auto r = cs::bounded_lp(A, b, c, u);
  ASSERT_TRUE(r.converged());
  EXPECT_EQ(r.status, convlab::optim::Status::DualityGap);
  EXPECT_NEAR(r.x[0], 2, 1e-8);
  EXPECT_NEAR(r.x[1], 2, 1e-8);
  EXPECT_NEAR(r.certificate.primal, -6, 1e-8);
  EXPECT_NEAR(r.certificate.dual, -6, 1e-8);
  // A free column: min t s.t. t − x = −3 (t free, x >= 0) ⇒ t = −3.
  MatX<double> B(1, 2);
  B << 1, -1;
  VecX<double> b2(1), c2(2), u2(2);
  b2 << -3;
  c2 << 1, 0;
  u2 << std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity();
  const auto f = cs::bounded_lp(B, b2, c2, u2, {0});
  ASSERT_TRUE(f.converged());
  EXPECT_NEAR(f.x[0], -3, 1e-8);
  EXPECT_THROW(cs::bounded_lp(A, b, c.head(2), u), convlab::InvalidArgument);
}

TEST(QuantileRegression, MatchesBruteForceOverAllInterpolatingVerticesAndIsCertified) {
  std::mt19937_64 rng(convlab::test::test_seed());
  std::normal_distribution<double> N;
  for (int trial = 0; trial < 30; ++trial) {
    const Index n = 9 + trial % 5, p = 1 + trial % 3;
    MatX<double> X(n, p);
    VecX<double> y(n);
    for (Index i = 0; i < n; ++i) {
      X(i, 0) = 1;
      for (Index j = 1; j < p; ++j) X(i, j) = N(rng);
      y[i] = X.row(i).sum() + N(rng);
    }
    for (double tau : {0.1, 0.5, 0.77}) {
      const auto r = cq::quantile_regression(X, y, tau);
      // Brute force: an optimum interpolates p rows (fundamental theorem of LP for QR).
      double best = std::numeric_limits<double>::infinity();
      std::vector<Index> idx(static_cast<std::size_t>(p));
      std::function<void(Index, Index)> rec = [&](Index start, Index depth) {
        if (depth == p) {
          MatX<double> Xh(p, p);
          VecX<double> yh(p);
          for (Index k = 0; k < p; ++k) Xh.row(k) = X.row(idx[static_cast<std::size_t>(k)]), yh[k] = y[idx[static_cast<std::size_t>(k)]];
          Eigen::FullPivLU<MatX<double>> lu(Xh);
          if (lu.rank() == p) best = std::min(best, cq::quantile_objective(X, y, lu.solve(yh), tau));
          return;
        }
        for (Index i = start; i < n; ++i) idx[static_cast<std::size_t>(depth)] = i, rec(i + 1, depth + 1);
      };
      rec(0, 0);
      SCOPED_TRACE(testing::Message() << "trial " << trial << " tau " << tau);
      EXPECT_NEAR(r.objective, best, 1e-9 * (1 + best));
      ASSERT_TRUE(r.at_vertex());
      // The Report's certificate is the vertex's subgradient check, recomputed here independently.
      EXPECT_EQ(r.status, convlab::optim::Status::KktResidual);
      EXPECT_EQ(r.certificate.kind, convlab::optim::Certificate::Kind::KktResidual);
      EXPECT_EQ(r.certificate.value, std::max(0.0, cq::vertex_optimality_violation(X, y, tau, r.basis, r.beta)));
      EXPECT_TRUE(r.certificate.holds());
      EXPECT_GT(r.iterations, 0);
    }
  }
}

TEST(QuantileRegression, CertificateRejectsANonOptimalVertex) {
  std::mt19937_64 rng(convlab::test::test_seed() + 1);
  std::normal_distribution<double> N;
  MatX<double> X(30, 2);
  VecX<double> y(30);
  for (Index i = 0; i < 30; ++i) X(i, 0) = 1, X(i, 1) = N(rng), y[i] = 1 + 2 * X(i, 1) + N(rng);
  const auto r = cq::quantile_regression(X, y, 0.3);
  ASSERT_TRUE(r.at_vertex());
  EXPECT_LE(cq::vertex_optimality_violation(X, y, 0.3, r.basis, r.beta), 1e-9);
  // The same basis is not optimal at another level.
  EXPECT_GT(cq::vertex_optimality_violation(X, y, 0.9, r.basis, r.beta), 1e-6);
  // The intercept-only fit is the empirical quantile y_(ceil(nτ)), unique when nτ is not an integer.
  std::vector<double> s(y.data(), y.data() + 30);
  std::sort(s.begin(), s.end());
  const auto c = cq::quantile_regression(X.leftCols(1), y, 0.31);
  EXPECT_NEAR(c.beta[0], s[9], 1e-10);  // ceil(30·0.31) = 10th smallest
}

// Data on a line has n > p zero residuals: no vertex can be certified, and the result is the
// interior-point solution with the LP's duality gap as its certificate.
TEST(QuantileRegression, DegenerateDataIsReportedWithTheLpGap) {
  MatX<double> X(12, 2);
  VecX<double> y(12);
  for (Index i = 0; i < 12; ++i) X(i, 0) = 1, X(i, 1) = static_cast<double>(i) / 3, y[i] = 1 + 2 * X(i, 1);
  const auto r = cq::quantile_regression(X, y, 0.4);
  EXPECT_FALSE(r.at_vertex());
  EXPECT_EQ(r.certificate.kind, convlab::optim::Certificate::Kind::DualityGap);
  EXPECT_EQ(r.status, convlab::optim::Status::DualityGap);
  EXPECT_TRUE(r.certificate.holds());
  EXPECT_NEAR(r.beta[0], 1, 1e-6);
  EXPECT_NEAR(r.beta[1], 2, 1e-6);
  EXPECT_LE(r.objective, 1e-6);
}
