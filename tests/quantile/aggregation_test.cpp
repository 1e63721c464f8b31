// Base models and aggregators: exactness of the simplex LP fits against brute force, the nesting
// of the training losses, simplex weights, monotonicity of Coarse, the Jensen bound, cross-fitting
// and determinism.
#include <gtest/gtest.h>

#include <convlab/quantile/aggregation.hpp>
#include <convlab/quantile/cross_fit.hpp>
#include <convlab/quantile/models.hpp>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace cq = convlab::quantile;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
struct Synthetic {
  MatX<double> X;
  VecX<double> y;
};
Synthetic heteroscedastic(Index n, unsigned seed) {  // spec (f): y = sin x + (0.2 + 0.5x)ε, x ~ U(0, 4)
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(0, 4);
  std::normal_distribution<double> N;
  Synthetic s{MatX<double>(n, 1), VecX<double>(n)};
  for (Index i = 0; i < n; ++i) s.X(i, 0) = U(rng), s.y[i] = std::sin(s.X(i, 0)) + (0.2 + 0.5 * s.X(i, 0)) * N(rng);
  return s;
}
VecX<double> grid(int m) {
  VecX<double> t(m);
  for (int k = 0; k < m; ++k) t[k] = (k + 1.0) / (m + 1.0);
  return t;
}
cq::BasePredictions bases(const Synthetic& s, const VecX<double>& tau) {
  std::vector<std::unique_ptr<cq::QuantileModel>> models;
  models.push_back(std::make_unique<cq::LinearQuantileModel>());
  models.push_back(std::make_unique<cq::KnnQuantileModel>(25));
  models.push_back(std::make_unique<cq::ResidualQuantileModel>());
  cq::BasePredictions Z;
  for (auto& m : models) {
    m->fit(s.X, s.y, tau);
    Z.push_back(m->predict(s.X));
  }
  return Z;
}
}  // namespace

TEST(SimplexQuantileFit, MatchesBruteForceOverBreakpointsForTwoModels) {
  // p = 2: w = (t, 1 − t); the objective is convex piecewise linear in t, minimized at t ∈ {0, 1}
  // or at a breakpoint where a residual vanishes.
  std::mt19937_64 rng(convlab::test::test_seed());
  std::normal_distribution<double> N;
  for (int trial = 0; trial < 20; ++trial) {
    const Index n = 40;
    MatX<double> F(n, 2);
    VecX<double> y(n), tau(n);
    for (Index i = 0; i < n; ++i) F(i, 0) = N(rng), F(i, 1) = N(rng) + 1, y[i] = N(rng), tau[i] = 0.1 + 0.8 * (i % 5) / 4.0;
    auto obj = [&](double t) { double s = 0; for (Index i = 0; i < n; ++i) s += cp::pinball(y[i] - t * F(i, 0) - (1 - t) * F(i, 1), tau[i]); return s; };
    double best = std::min(obj(0), obj(1));
    for (Index i = 0; i < n; ++i) {
      const double den = F(i, 0) - F(i, 1);
      if (den != 0) { const double t = (y[i] - F(i, 1)) / den; if (t > 0 && t < 1) best = std::min(best, obj(t)); }
    }
    const auto f = cq::simplex_quantile_fit(F, y, tau);
    EXPECT_TRUE(f.converged());
    EXPECT_EQ(f.status, convlab::optim::Status::DualityGap);
    EXPECT_TRUE(f.certificate.holds());
    EXPECT_GE(f.w.minCoeff(), 0);
    EXPECT_NEAR(f.w.sum(), 1, 1e-12);
    EXPECT_NEAR(f.objective, best, 1e-7 * (1 + best));
  }
}

TEST(GlobalAggregators, TrainingLossNestingSimplexWeightsAndJensen) {
  const auto s = heteroscedastic(400, convlab::test::test_seed());
  const VecX<double> tau = grid(9);
  const auto Z = bases(s, tau);
  const double avg = cq::mean_pinball(cq::average_aggregate(Z), s.y, tau);
  double prev = avg;
  for (auto kind : {cq::GlobalAggregator::Kind::Coarse, cq::GlobalAggregator::Kind::Medium, cq::GlobalAggregator::Kind::Fine}) {
    cq::GlobalAggregator agg(kind);
    agg.fit(Z, s.y, tau);
    SCOPED_TRACE(agg.name());
    const double loss = cq::mean_pinball(agg.predict(Z), s.y, tau);
    EXPECT_LE(loss, prev + 1e-8);  // Fine ≤ Medium ≤ Coarse ≤ Average
    prev = loss;
    EXPECT_GE(agg.weights().minCoeff(), 0);
    for (Index k = 0; k < agg.weights().cols(); ++k) EXPECT_NEAR(agg.weights().col(k).sum(), 1, 1e-12);
    EXPECT_LE(agg.max_lp_gap(), 1e-9);
  }
  // Jensen: pointwise in y, the Coarse aggregate's WIS ≤ the weighted average of the bases' WIS.
  cq::GlobalAggregator coarse(cq::GlobalAggregator::Kind::Coarse);
  coarse.fit(Z, s.y, tau);
  const MatX<double> Q = coarse.predict(Z);
  for (Index i = 0; i < s.y.size(); ++i) {
    double weighted = 0;
    for (std::size_t j = 0; j < Z.size(); ++j) weighted += coarse.weights()(static_cast<Index>(j), 0) * cp::wis(Z[j].row(i), s.y[i], tau);
    EXPECT_LE(cp::wis(Q.row(i), s.y[i], tau), weighted + 1e-12);
  }
  // Coarse on monotone bases is monotone.
  EXPECT_EQ(cp::crossing_fraction(Q), 0);
}

TEST(LocalAggregator, StartsAtTheAverageAndImprovesOnPiecewiseBases) {
  // Two bases, each right on one half of x (spec (f) 2: B1 vs B3 style): local weights can pick.
  const auto s = heteroscedastic(600, convlab::test::test_seed() + 1);
  const VecX<double> tau = grid(5);
  auto truth = [&](double x, double t) {  // true quantile: sin x + (0.2 + 0.5x)Φ⁻¹(t), Φ⁻¹ by bisection
    double lo = -10, hi = 10;
    for (int it = 0; it < 100; ++it) { const double mid = 0.5 * (lo + hi); (0.5 * std::erfc(-mid / std::sqrt(2.0)) < t ? lo : hi) = mid; }
    return std::sin(x) + (0.2 + 0.5 * x) * 0.5 * (lo + hi);
  };
  cq::BasePredictions Z(2, MatX<double>(600, 5));
  for (Index i = 0; i < 600; ++i)
    for (Index k = 0; k < 5; ++k) {
      const double x = s.X(i, 0), q = truth(x, tau[k]);
      Z[0](i, k) = x < 2 ? q : q + 1.5;  // good left
      Z[1](i, k) = x >= 2 ? q : q - 1.5;  // good right
    }
  const auto tr = [](const MatX<double>& M) { return MatX<double>(M.topRows(400)); };
  const auto va = [](const MatX<double>& M) { return MatX<double>(M.bottomRows(200)); };
  cq::BasePredictions Zt{tr(Z[0]), tr(Z[1])}, Zv{va(Z[0]), va(Z[1])};
  cq::LocalAggregator local({.steps = 600});
  local.fit(tr(s.X), Zt, s.y.head(400), tau, va(s.X), Zv, s.y.tail(200));
  cq::GlobalAggregator medium(cq::GlobalAggregator::Kind::Medium);
  medium.fit(Zt, s.y.head(400), tau);
  const double local_val = cq::mean_pinball(local.predict(va(s.X), Zv), s.y.tail(200), tau);
  const double global_val = cq::mean_pinball(medium.predict(Zv), s.y.tail(200), tau);
  EXPECT_GT(local.best_step(), 0);
  EXPECT_LT(local_val, 0.9 * global_val);
  // Same data, same options: identical predictions (determinism).
  cq::LocalAggregator again({.steps = 600});
  again.fit(tr(s.X), Zt, s.y.head(400), tau, va(s.X), Zv, s.y.tail(200));
  EXPECT_EQ(again.predict(va(s.X), Zv), local.predict(va(s.X), Zv));
}

TEST(BaseModels, LinearModelIsCertifiedKnnMatchesEmpiricalQuantilesAndCrossFitIsOutOfFold) {
  const auto s = heteroscedastic(300, convlab::test::test_seed() + 2);
  const VecX<double> tau = grid(9);
  cq::LinearQuantileModel lin;
  lin.fit(s.X, s.y, tau);
  EXPECT_EQ(lin.certified_levels(), 9);
  // k = n: every prediction is the training sample's empirical quantile.
  cq::KnnQuantileModel all(300);
  all.fit(s.X, s.y, tau);
  const MatX<double> P = all.predict(s.X.topRows(3));
  std::vector<double> v(s.y.data(), s.y.data() + 300);
  std::sort(v.begin(), v.end());
  for (Index k = 0; k < 9; ++k) EXPECT_EQ(P(0, k), v[static_cast<std::size_t>(std::ceil(300 * tau[k] - 1e-12)) - 1]);
  // Cross-fitting: the OOF block of fold f equals a model fitted without that fold.
  std::vector<std::unique_ptr<cq::QuantileModel>> models;
  models.push_back(std::make_unique<cq::ResidualQuantileModel>());
  const auto cf = cq::cross_fit(models, s.X.topRows(200), s.y.head(200), s.X.middleRows(200, 50), s.X.bottomRows(50), tau, 5);
  const auto [b, e] = cq::fold_range(200, 5, 2);
  MatX<double> Xr(160, 1);
  VecX<double> yr(160);
  Xr << s.X.topRows(b), s.X.middleRows(e, 200 - e);
  yr << s.y.head(b), s.y.segment(e, 200 - e);
  cq::ResidualQuantileModel ref;
  ref.fit(Xr, yr, tau);
  EXPECT_LE((cf.oof[0].middleRows(b, e - b) - ref.predict(s.X.middleRows(b, e - b))).cwiseAbs().maxCoeff(), 1e-12);
  // The fitted model it keeps is the one that predicted the test rows.
  ASSERT_EQ(cf.fitted.size(), 1u);
  EXPECT_TRUE(cf.fitted[0]->predict(s.X.bottomRows(50)) == cf.test[0]);
  EXPECT_THROW(cq::make_quantile_model("forest"), convlab::InvalidArgument);
  VecX<double> bad = tau;
  bad[3] = bad[2];
  EXPECT_THROW(lin.fit(s.X, s.y, bad), convlab::InvalidArgument);
}
