// lasso_cd_fit (row weights and a free intercept by reduction to lasso_cd) against FISTA on
// LeastSquares' own weighted objective with an unpenalized intercept, the optimality conditions,
// and repeated rows.
#include <gtest/gtest.h>

#include <convlab/solvers/lasso_fit.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/regularizers.hpp>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace co = convlab::optim;
namespace cs = convlab::solvers;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
struct Data {
  MatX<double> X;
  VecX<double> y, s;  // s: row weights in [0, 3), about a fifth of them 0
};
// Columns and response off centre, so a missing or wrong intercept shows.
Data make(Index n, Index p, unsigned seed) {
  std::mt19937_64 rng(seed);
  Data d{convlab::test::random_matrix<double>(n, p, rng), VecX<double>(n), VecX<double>(n)};
  for (Index j = 0; j < p; ++j) d.X.col(j).array() += 0.5 * static_cast<double>(j % 5) - 1.0;
  VecX<double> w = VecX<double>::Zero(p);
  for (Index j = 0; j < std::min<Index>(6, p); ++j) w[(j * 7) % p] = (j % 2 ? 1.0 : -2.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (Index i = 0; i < n; ++i) {
    d.y[i] = d.X.row(i).dot(w) + 3.0 + 0.5 * std::normal_distribution<double>()(rng);
    const double v = u(rng);
    d.s[i] = v < 0.2 ? 0.0 : 3.0 * v;
  }
  return d;
}
// P(w, b) = 1/(2S) Σ sᵢ(yᵢ − xᵢᵀw − b)² + λ(α‖w‖₁ + (1 − α)/2‖w‖²).
double objective(const Data& d, const VecX<double>& w, double b, double lambda, double alpha) {
  const VecX<double> r = d.y - d.X * w - VecX<double>::Constant(d.y.size(), b);
  return d.s.dot(r.cwiseProduct(r)) / (2 * d.s.sum()) + lambda * (alpha * w.lpNorm<1>() + (1 - alpha) / 2 * w.squaredNorm());
}
// Reference: FISTA on LeastSquares with sample weights and an intercept (x = (w, b); l1 on w only).
VecX<double> reference(const Data& d, double lambda, double alpha) {
  const Index p = d.X.cols();
  cp::LeastSquares<double> f(d.X, d.y, {0, lambda * (1 - alpha), true}, d.s);
  Eigen::Array<bool, Eigen::Dynamic, 1> mask = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(p + 1, true);
  mask[p] = false;
  VecX<double> x = VecX<double>::Zero(p + 1);
  const auto r = co::proximal_gradient(f, cp::Restricted<cp::L1<double>>{{lambda * alpha}, mask}, x, f.lipschitz(),
                                       {.max_iterations = 2000000, .kkt_tolerance = 1e-12});
  EXPECT_LE(r.certificate.value, 1e-11);
  return x;
}
}  // namespace

TEST(LassoFit, MatchesProximalGradientOnWeightedRowsWithAnInterceptDenseAndSparse) {
  for (auto [n, p] : {std::pair<Index, Index>{120, 30}, {50, 90}}) {
    const Data d = make(n, p, convlab::test::test_seed());
    for (double alpha : {1.0, 0.5}) {
      const double lambda = 0.05;
      const VecX<double> ref = reference(d, lambda, alpha);
      const double pstar = objective(d, ref.head(p), ref[p], lambda, alpha);
      SCOPED_TRACE(testing::Message() << "n " << n << " p " << p << " alpha " << alpha);
      const auto f = cs::lasso_cd_fit(d.X, d.y, lambda, d.s, true, {.alpha = alpha, .tolerance = 1e-12});
      EXPECT_TRUE(f.converged());
      EXPECT_NEAR(f.certificate.primal, objective(d, f.w, f.intercept, lambda, alpha), 1e-12 * f.certificate.primal)
          << "the reported primal is the weighted objective at (w, b)";
      EXPECT_LE(std::abs(f.certificate.primal - pstar), 1e-9 * pstar) << "objective against the reference";
      EXPECT_LE(f.certificate.dual, pstar * (1 + 1e-12)) << "the dual value must bound the optimum from below";
      EXPECT_LE((f.w - ref.head(p)).norm(), 1e-4 * (1 + ref.norm()));
      EXPECT_NEAR(f.intercept, ref[p], 1e-4 * (1 + std::abs(ref[p])));
      // Weights without an intercept: a sparse design gives the same fit (row scaling keeps it sparse).
      const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
      const auto dense = cs::lasso_cd_fit(d.X, d.y, lambda, d.s, false, {.alpha = alpha, .tolerance = 1e-12});
      const auto sparse = cs::lasso_cd_fit(Xs, d.y, lambda, d.s, false, {.alpha = alpha, .tolerance = 1e-12});
      EXPECT_TRUE(dense.converged() && sparse.converged());
      EXPECT_NEAR(dense.certificate.primal, objective(d, dense.w, 0.0, lambda, alpha), 1e-12 * dense.certificate.primal);
      EXPECT_LE((dense.w - sparse.w).norm(), 1e-6 * (1 + dense.w.norm()));
      EXPECT_EQ(dense.intercept, 0.0);
    }
  }
}

// The optimality conditions of P, checked on the data itself: Σ sᵢrᵢ = 0 (the intercept), and for
// each feature g_j = x_jᵀSr/S − λ(1−α)w_j equals λα·sign(w_j) where w_j ≠ 0 and is at most λα
// in size where w_j = 0 (r = y − Xw − b).
TEST(LassoFit, SolutionSatisfiesTheWeightedOptimalityConditions) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const Data d = make(80, 25, convlab::test::test_seed() + seed);
    const double lambda = 0.08, alpha = 0.7;
    const auto f = cs::lasso_cd_fit(d.X, d.y, lambda, d.s, true, {.alpha = alpha, .tolerance = 1e-14});
    const VecX<double> r = d.y - d.X * f.w - VecX<double>::Constant(d.y.size(), f.intercept);
    const double S = d.s.sum();
    EXPECT_NEAR(d.s.dot(r) / S, 0.0, 1e-9);
    const VecX<double> g = d.X.transpose() * d.s.cwiseProduct(r) / S - lambda * (1 - alpha) * f.w;
    for (Index j = 0; j < g.size(); ++j) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << " feature " << j);
      if (f.w[j] != 0) EXPECT_NEAR(g[j], lambda * alpha * (f.w[j] > 0 ? 1 : -1), 1e-6);
      else EXPECT_LE(std::abs(g[j]), lambda * alpha * (1 + 1e-6));
    }
    EXPECT_GT((f.w.array() != 0).count(), 0);
    EXPECT_LT((f.w.array() != 0).count(), 25) << "λ chosen so that some, not all, features are 0";
  }
}

// Weight k on a row fits what k copies of the row fit; weight 0 what leaving it out fits.
TEST(LassoFit, IntegerWeightsFitWhatRepeatedRowsFit) {
  Data d = make(60, 12, convlab::test::test_seed());
  for (Index i = 0; i < d.s.size(); ++i) d.s[i] = static_cast<double>(i % 3);
  const Index rows = static_cast<Index>(d.s.sum());
  MatX<double> Xr(rows, d.X.cols());
  VecX<double> yr(rows);
  for (Index i = 0, k = 0; i < d.s.size(); ++i)
    for (int c = 0; c < static_cast<int>(d.s[i]); ++c, ++k) Xr.row(k) = d.X.row(i), yr[k] = d.y[i];
  const auto weighted = cs::lasso_cd_fit(d.X, d.y, 0.05, d.s, true, {.tolerance = 1e-14});
  const auto repeated = cs::lasso_cd_fit(Xr, yr, 0.05, {}, true, {.tolerance = 1e-14});
  EXPECT_LE((weighted.w - repeated.w).norm(), 1e-7 * (1 + repeated.w.norm()));
  EXPECT_NEAR(weighted.intercept, repeated.intercept, 1e-7 * (1 + std::abs(repeated.intercept)));
  EXPECT_NEAR(weighted.certificate.primal, repeated.certificate.primal, 1e-12 * repeated.certificate.primal);
}

// Unweighted without an intercept, lasso_cd_fit is lasso_cd itself.
TEST(LassoFit, WithoutWeightsOrInterceptItIsLassoCdBitForBit) {
  const Data d = make(70, 20, convlab::test::test_seed());
  const auto f = cs::lasso_cd_fit(d.X, d.y, 0.05, {}, false);
  const auto r = cs::lasso_cd(d.X, d.y, 0.05);
  EXPECT_EQ(f.w, r.w);
  EXPECT_EQ(f.certificate.primal, r.certificate.primal);
  EXPECT_EQ(f.intercept, 0.0);
}

TEST(LassoFit, RejectsBadInput) {
  const Data d = make(20, 5, 1);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  const auto message = [](auto&& fn) {
    try {
      fn();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { cs::lasso_cd_fit(Xs, d.y, 0.1, {}, true); }).find("an intercept needs a dense design"), std::string::npos);
  VecX<double> s = d.s;
  s[3] = -1;
  EXPECT_NE(message([&] { cs::lasso_cd_fit(d.X, d.y, 0.1, s, false); }).find("sample weight 3 is -1"), std::string::npos);
  s[3] = std::nan("");
  EXPECT_NE(message([&] { cs::lasso_cd_fit(d.X, d.y, 0.1, s, false); }).find("sample weight 3 is"), std::string::npos);
  EXPECT_NE(message([&] { cs::lasso_cd_fit(d.X, d.y, 0.1, VecX<double>::Zero(20), true); }).find("every sample weight is 0"),
            std::string::npos);
  EXPECT_THROW(cs::lasso_cd_fit(d.X, d.y, 0.1, VecX<double>::Ones(7), true), convlab::InvalidArgument);
  EXPECT_THROW(cs::lasso_cd_fit(d.X, VecX<double>::Zero(4), 0.1, d.s, true), convlab::InvalidArgument);
}
