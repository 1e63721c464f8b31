// PRESTO and the cumulative-logit model: derivatives against finite differences, the limits
// (λ = 0, λ ≥ λ_max, λ = ∞ = proportional odds against MASS::polr), KKT, invariances, CV rule.
#include <gtest/gtest.h>

#include <convlab/solvers/presto.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/ordinal.hpp>
#include <convlab/core/random.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <numeric>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace cs = convlab::solvers;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
struct Ordinal {
  MatX<double> X;
  VecX<double> y;
};
// The spec's sparse-differences design, small: X ~ U(−1, 1), K = 4.
Ordinal simulate(Index n, Index p, unsigned seed, const VecX<double>& alpha, double diff = 0.5) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> U(-1, 1);
  std::bernoulli_distribution coin(0.5);
  MatX<double> B(p, alpha.size());
  for (Index j = 0; j < p; ++j) B(j, 0) = coin(rng) ? 0.5 : 0.0;
  for (Index k = 1; k < alpha.size(); ++k)
    for (Index j = 0; j < p; ++j) B(j, k) = B(j, k - 1) + (coin(rng) ? diff * (coin(rng) ? 1 : -1) : 0.0);
  Ordinal d{MatX<double>(n, p), VecX<double>(n)};
  for (Index i = 0; i < n; ++i)
    for (Index j = 0; j < p; ++j) d.X(i, j) = U(rng);
  const MatX<double> P = cp::cumulative_logit_probabilities(d.X, alpha, B);
  std::uniform_real_distribution<double> U01(0, 1);
  for (Index i = 0; i < n; ++i) {
    double u = U01(rng), c = 0;
    Index k = 0;
    for (; k + 1 < P.cols(); ++k) {
      c += std::max(P(i, k), 0.0);
      if (u < c) break;
    }
    d.y[i] = static_cast<double>(k + 1);
  }
  return d;
}
}  // namespace

TEST(CumulativeLogit, GradientAndHessianMatchFiniteDifferencesAndProbabilitiesSumToOne) {
  const auto d = simulate(200, 3, convlab::test::test_seed(), convlab::test::vec({-1, 0.5, 2}));
  cp::CumulativeLogit m(d.X, d.y, 4);
  std::mt19937_64 rng(convlab::test::test_seed());
  std::normal_distribution<double> N(0, 0.1);
  VecX<double> theta = m.theta_from(convlab::test::vec({-1, 0.5, 2}), MatX<double>::Zero(3, 3));
  for (Index j = 3; j < theta.size(); ++j) theta[j] = N(rng);
  ASSERT_TRUE(std::isfinite(m.value(theta)));
  VecX<double> g(m.dim());
  m.value_and_gradient(theta, g);
  MatX<double> H(m.dim(), m.dim());
  m.hessian(theta, H);
  for (Index j = 0; j < m.dim(); ++j) {
    VecX<double> a = theta, b = theta, ga(m.dim()), gb(m.dim());
    a[j] += 1e-6, b[j] -= 1e-6;
    EXPECT_NEAR((m.value(a) - m.value(b)) / 2e-6, g[j], 1e-7 * (1 + std::abs(g[j])));
    m.value_and_gradient(a, ga), m.value_and_gradient(b, gb);
    for (Index k = 0; k < m.dim(); ++k) EXPECT_NEAR((ga[k] - gb[k]) / 2e-6, H(k, j), 1e-6 * (1 + std::abs(H(k, j))));
  }
  const MatX<double> P = m.probabilities(d.X, theta);
  EXPECT_LE((P.rowwise().sum().array() - 1).abs().maxCoeff(), 1e-12);
  // Round trip β → ψ → β, and η from θ equals α + Xβ.
  const MatX<double> B = m.beta(theta);
  EXPECT_LE((m.theta_from(theta.head(3), B) - theta).cwiseAbs().maxCoeff(), 1e-15);
  const MatX<double> eta = m.linear_predictors(d.X, theta);
  EXPECT_LE(((d.X * B).rowwise() + theta.head(3).transpose() - eta).cwiseAbs().maxCoeff(), 1e-12);
  // Crossing curves make θ infeasible.
  VecX<double> bad = theta;
  bad[1] = bad[0] - 5;
  EXPECT_TRUE(std::isinf(m.value(bad)));
  EXPECT_THROW(cp::CumulativeLogit(d.X, VecX<double>::Constant(200, 5), 4), convlab::InvalidArgument);
}

// The gradient and Hessian assembled per row from the textbook derivatives of
// ℓ = −log(F(b) − F(a)) (F the logistic cdf, f = F(1 − F), f' = f(1 − 2F)) and the explicit
// Jacobian rows ∂η_k/∂θ; the model assembles them through weighted Gram matrices per class.
// The start every ordinal fit uses is the weighted intercept-only MLE: the thresholds' partial
// derivatives vanish there, ψ is 0, and with unit weights α_k is the logit of the share of rows
// with label ≤ k.
TEST(CumulativeLogit, NullStartIsTheWeightedInterceptOnlyMle) {
  const Index n = 200, p = 2, K = 4;
  convlab::Rng rng(convlab::test::test_seed());
  boost::random::uniform_real_distribution<double> U(-1, 1), W(0, 3);
  MatX<double> X(n, p);
  VecX<double> y(n), w(n);
  for (Index i = 0; i < n; ++i) {
    for (Index j = 0; j < p; ++j) X(i, j) = U(rng);
    y[i] = 1 + static_cast<double>((i * 7 + i / 3) % K);  // every class present
    w[i] = W(rng);
  }
  const cp::CumulativeLogit weighted(X, y, K, w), unit(X, y, K);
  const VecX<double> t = weighted.null_start();
  VecX<double> g(t.size());
  weighted.gradient(t, g);
  EXPECT_LT(g.head(K - 1).cwiseAbs().maxCoeff(), 1e-12) << g.transpose();
  EXPECT_TRUE(t.tail(t.size() - (K - 1)).isZero(0.0));
  const VecX<double> u = unit.null_start();
  for (Index k = 1; k < K; ++k) {
    const double share = static_cast<double>((y.array() <= static_cast<double>(k)).count()) / static_cast<double>(n);
    EXPECT_NEAR(u[k - 1], std::log(share / (1 - share)), 1e-13) << k;
  }
}

TEST(CumulativeLogit, DerivativesEqualTheRowByRowAssemblyWithWeightsEmptyClassesAndTwoCategories) {
  for (const int K : {2, 3, 5}) {
    const Index n = 120, p = 3, T = K - 1;
    convlab::Rng rng(convlab::test::test_seed() + static_cast<unsigned>(K));
    boost::random::uniform_real_distribution<double> U(-1, 1), W(0, 2);
    MatX<double> X(n, p);
    VecX<double> y(n), w(n);
    for (Index i = 0; i < n; ++i) {
      for (Index j = 0; j < p; ++j) X(i, j) = U(rng);
      y[i] = 1 + static_cast<double>(i * 7 % K);
      if (K == 5 && y[i] == 3) y[i] = 4;  // class 3 is empty
      w[i] = i % 9 == 0 ? 0.0 : W(rng);
    }
    const cp::CumulativeLogit m(X, y, K, w);
    VecX<double> theta = VecX<double>::Zero(m.dim());
    for (Index k = 0; k < T; ++k) theta[k] = -1.0 + 1.5 * static_cast<double>(k);
    for (Index j = T; j < m.dim(); ++j) theta[j] = 0.1 * U(rng);
    ASSERT_TRUE(std::isfinite(m.value(theta))) << K;
    const auto F = [](double t) { return 1 / (1 + std::exp(-t)); };
    VecX<double> g_ref = VecX<double>::Zero(m.dim());
    MatX<double> H_ref = MatX<double>::Zero(m.dim(), m.dim());
    for (Index i = 0; i < n; ++i) {
      if (w[i] == 0) continue;
      const int c = static_cast<int>(y[i]);
      auto jacobian_row = [&](int k) {  // ∂η_k/∂θ
        VecX<double> u = VecX<double>::Zero(m.dim());
        u[k - 1] = 1;
        for (int l = 1; l <= k; ++l) u.segment(m.psi_offset(l), p) = X.row(i).transpose();
        return u;
      };
      const VecX<double> ua = c >= 2 ? jacobian_row(c - 1) : VecX<double>::Zero(m.dim());
      const VecX<double> ub = c <= T ? jacobian_row(c) : VecX<double>::Zero(m.dim());
      const double Fa = c >= 2 ? F(ua.dot(theta)) : 0.0, Fb = c <= T ? F(ub.dot(theta)) : 1.0;
      const double fa = Fa * (1 - Fa), fb = Fb * (1 - Fb), P = Fb - Fa;
      const double s = w[i] / w.sum();
      g_ref += s * ((fa / P) * ua - (fb / P) * ub);
      H_ref += s * ((fa * (1 - 2 * Fa) / P + fa * fa / (P * P)) * ua * ua.transpose() +
                    (-fb * (1 - 2 * Fb) / P + fb * fb / (P * P)) * ub * ub.transpose() -
                    (fa * fb / (P * P)) * (ua * ub.transpose() + ub * ua.transpose()));
    }
    VecX<double> g(m.dim());
    MatX<double> H(m.dim(), m.dim());
    m.value_and_gradient(theta, g);
    m.hessian(theta, H);
    EXPECT_LE((g - g_ref).cwiseAbs().maxCoeff(), 1e-13 * (1 + g_ref.cwiseAbs().maxCoeff())) << K;
    EXPECT_LE((H - H_ref).cwiseAbs().maxCoeff(), 1e-13 * (1 + H_ref.cwiseAbs().maxCoeff())) << K;
  }
}

TEST(Presto, AtLambdaMaxWithPenalizeFirstTheFitIsTheInterceptOnlyModel) {
  const auto d = simulate(300, 4, convlab::test::test_seed() + 1, convlab::test::vec({-0.5, 1, 2.5}));
  const auto path = cs::presto_path(d.X, d.y, 4, {.n_lambdas = 8, .ratio = 0.05, .presto = {}});
  const auto& top = path.front();
  EXPECT_EQ(top.beta.cwiseAbs().maxCoeff(), 0.0);
  double cum = 0;
  for (int k = 1; k <= 3; ++k) {
    cum += static_cast<double>((d.y.array() == k).count()) / 300.0;
    EXPECT_NEAR(top.alpha[k - 1], std::log(cum / (1 - cum)), 1e-9);
  }
  // Just below λ_max some coordinate is nonzero; nonzero differences grow (weakly) down the path.
  EXPECT_GT(path[1].beta.cwiseAbs().maxCoeff(), 0.0);
  for (std::size_t k = 0; k < path.size(); ++k) {
    // Converged, or stopped on the edge of the valid region (some training row's curves touch).
    EXPECT_TRUE(path[k].converged() || path[k].on_boundary) << "lambda " << path[k].lambda << " kkt " << path[k].certificate.value;
    EXPECT_GE(path[k].min_margin, -1e-14);  // on the edge: touching curves, 0 up to rounding
    if (k > 0) {
      EXPECT_LE(path[k].objective, path[k - 1].objective);  // smaller λ, smaller optimum (warm start from a feasible point)
    }
    if (k > 0) {
      EXPECT_GT(path[k - 1].lambda, path[k].lambda);
    }
  }
  EXPECT_LE(path.front().nonzero_differences, path.back().nonzero_differences);
}

TEST(Presto, KktHoldsAndLambdaZeroIsTheNonParallelMle) {
  const auto d = simulate(400, 3, convlab::test::test_seed() + 2, convlab::test::vec({-1, 0.5, 2}));
  for (double lambda : {0.0, 1e-3, 1e-2}) {
    const auto fit = cs::presto_fit(d.X, d.y, 4, lambda);
    EXPECT_TRUE(fit.converged()) << lambda;
    EXPECT_LE(fit.certificate.value, 1e-8);
    // Every class probability on the training rows is valid.
    EXPECT_GE(fit.predict(d.X).minCoeff(), 0.0);
  }
  // λ = 0: the gradient of the likelihood vanishes in original units too (a stationary point
  // of a convex problem is its MLE), checked on an unstandardized model.
  const auto mle = cs::presto_fit(d.X, d.y, 4, 0.0);
  cp::CumulativeLogit m(d.X, d.y, 4);
  VecX<double> g(m.dim());
  m.value_and_gradient(m.theta_from(mle.alpha, mle.beta), g);
  EXPECT_LE(g.cwiseAbs().maxCoeff(), 1e-7);
}

TEST(Presto, InfiniteLambdaWithoutFirstPenaltyIsProportionalOddsAsMassPolr) {
  // Reference values, obtained once with R 4.2 / MASS 7.3 on the shipped soup data:
  //   d <- read.csv("data/soup.csv")   # the 0/1 dummy columns of ordinal::soup, y = SURENESS
  //   f <- polr(factor(y) ~ PROD_Test + DAY_2 + COLD_Yes, data = d, method = "logistic",
  //             control = list(reltol = 1e-14, maxit = 10000))
  //   f$zeta; coef(f)    # polr: logit P(y ≤ k) = ζ_k − xᵀb, so α = ζ, β = −b
  const auto ds = cp::load_csv(convlab::test::data_path("soup.csv"), {.response = "y"});
  MatX<double> X(ds.X.rows(), 3);
  int c = 0;
  for (const char* name : {"PROD_Test", "DAY_2", "COLD_Yes"})
    X.col(c++) = ds.X.col(std::find(ds.feature_names.begin(), ds.feature_names.end(), name) - ds.feature_names.begin());
  const auto fit = cs::presto_fit(X, ds.y, 6, std::numeric_limits<double>::infinity(), {.penalize_first = false});
  const VecX<double> zeta = convlab::test::vec({-1.5247283243522, -0.5390465525727, -0.2129388135571, 0.0411905532527, 0.7075907088124});
  const VecX<double> b = convlab::test::vec({1.153642927209, -0.290755819709, 0.267242675831});
  EXPECT_LE((fit.alpha - zeta).cwiseAbs().maxCoeff(), 2e-5);
  for (int k = 0; k < 5; ++k) EXPECT_LE((fit.beta.col(k) + b).cwiseAbs().maxCoeff(), 2e-5);
  EXPECT_TRUE(fit.converged());
  EXPECT_FALSE(fit.separation);
}

// Regression: a proportional-odds fit on separable data reported convergence with weights
// near ±26 (the MLE does not exist). Complete and quasi-complete separation are reported, a
// noisy version of the same data is not, and a penalized fit on the separable data is fine.
TEST(Presto, SeparationIsReportedInsteadOfConvergence) {
  std::mt19937_64 rng(convlab::test::test_seed() + 31);
  std::uniform_real_distribution<double> U(-2, 2);
  std::uniform_int_distribution<int> level3(1, 3), ternary(-1, 1);
  std::normal_distribution<double> N(0, 1);
  const Index n = 300;
  MatX<double> X(n, 2), Xq(n, 2);
  VecX<double> complete(n), quasi(n), noisy(n);
  for (Index i = 0; i < n; ++i) {
    X(i, 0) = U(rng), X(i, 1) = U(rng);
    auto level = [](double t) { return t < -0.7 ? 1.0 : t < 0.7 ? 2.0 : 3.0; };
    complete[i] = level(X(i, 0));        // x₁ orders the classes exactly
    noisy[i] = level(X(i, 0) + N(rng));  // overlapping classes: a finite MLE
    // x₁ ∈ {−1, 0, 1}: −1 is always class 1, +1 always class 3, 0 any class (the tie).
    Xq(i, 0) = ternary(rng), Xq(i, 1) = U(rng);
    quasi[i] = Xq(i, 0) == 0 ? level3(rng) : 2 + Xq(i, 0);
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (const auto& [name, x, y, separable] : {std::tuple{"complete", X, complete, true}, std::tuple{"quasi-complete", Xq, quasi, true},
                                              std::tuple{"overlapping", X, noisy, false}}) {
    SCOPED_TRACE(name);
    const auto po = cs::presto_fit(x, y, 3, inf, {.penalize_first = false});
    EXPECT_EQ(po.separation, separable) << "proportional odds, saturated rows " << po.saturated_rows << ", beta " << po.beta.transpose();
    EXPECT_EQ(po.converged(), !separable);
    EXPECT_EQ(po.status, separable ? convlab::optim::Status::NoSolution : convlab::optim::Status::KktResidual) << po.message;
    EXPECT_EQ(po.certificate.kind, convlab::optim::Certificate::Kind::KktResidual);
    const auto mle = cs::presto_fit(x, y, 3, 0.0);
    EXPECT_EQ(mle.separation, separable) << "lambda = 0 (non-parallel MLE)";
    if (!separable) {
      EXPECT_LT(po.beta.cwiseAbs().maxCoeff(), 10.0);
    }
  }
  const auto penalized = cs::presto_fit(X, complete, 3, 0.01);
  EXPECT_FALSE(penalized.separation) << "every weight penalized: a finite solution";
  EXPECT_TRUE(penalized.converged() || penalized.on_boundary);
}

TEST(Presto, InvariantToAffineFeatureChangesRowOrderAndDuplication) {
  const auto d = simulate(300, 3, convlab::test::test_seed() + 3, convlab::test::vec({-1, 0.5, 2}));
  const double lambda = 5e-3;
  const auto base = cs::presto_fit(d.X, d.y, 4, lambda);
  const MatX<double> P = base.predict(d.X);
  // c·X + b with standardization: the same probabilities.
  MatX<double> Xa = (3.0 * d.X).array() + 7.0;
  EXPECT_LE((cs::presto_fit(Xa, d.y, 4, lambda).predict(Xa) - P).cwiseAbs().maxCoeff(), 1e-7);
  // Reversed row order; every row twice.
  const MatX<double> Xr = d.X.colwise().reverse();
  const VecX<double> yr = d.y.reverse();
  EXPECT_LE((cs::presto_fit(Xr, yr, 4, lambda).predict(d.X) - P).cwiseAbs().maxCoeff(), 1e-7);
  MatX<double> X2(600, 3);
  VecX<double> y2(600);
  X2 << d.X, d.X;
  y2 << d.y, d.y;
  EXPECT_LE((cs::presto_fit(X2, y2, 4, lambda).predict(d.X) - P).cwiseAbs().maxCoeff(), 1e-7);
}

TEST(Presto, IntegerWeightsEqualRepeatedRowsAndZeroWeightsAbsentRows) {
  // PRESTO at λ > 0 (standardization and penalty included) and the non-parallel MLE.
  const auto d = simulate(200, 3, convlab::test::test_seed() + 11, convlab::test::vec({-1, 0.5, 2}));
  VecX<double> w(200);
  std::vector<Index> repeated;
  for (Index i = 0; i < 200; ++i) {
    w[i] = static_cast<double>(i % 4);  // 0, 1, 2, 3 copies
    for (int c = 0; c < i % 4; ++c) repeated.push_back(i);
  }
  MatX<double> Xr(static_cast<Index>(repeated.size()), 3);
  VecX<double> yr(Xr.rows());
  for (Index r = 0; r < Xr.rows(); ++r) Xr.row(r) = d.X.row(repeated[static_cast<std::size_t>(r)]), yr[r] = d.y[repeated[static_cast<std::size_t>(r)]];
  for (const double lambda : {5e-3, 0.0}) {
    const auto weighted = cs::presto_fit(d.X, d.y, 4, lambda, {}, w), copies = cs::presto_fit(Xr, yr, 4, lambda);
    ASSERT_TRUE(weighted.converged() && copies.converged()) << lambda;
    EXPECT_LE((weighted.predict(d.X) - copies.predict(d.X)).cwiseAbs().maxCoeff(), 1e-7) << lambda;
    EXPECT_NEAR(weighted.objective, copies.objective, 1e-10) << lambda;
  }
  // Unit weights are no weights (to round-off: the weighted column means sum in another order).
  const auto plain = cs::presto_fit(d.X, d.y, 4, 5e-3), ones = cs::presto_fit(d.X, d.y, 4, 5e-3, {}, VecX<double>::Ones(200));
  EXPECT_LE((plain.theta - ones.theta).cwiseAbs().maxCoeff(), 1e-9);
  // The weighted objective, written out: Σ wᵢ·(−log P(yᵢ)) / Σ wᵢ at a feasible θ.
  const cp::CumulativeLogit m(d.X, d.y, 4, w);
  const MatX<double> Pm = m.probabilities(d.X, plain.theta);
  double f = 0;
  for (Index i = 0; i < 200; ++i) f -= w[i] * std::log(Pm(i, static_cast<Index>(d.y[i]) - 1));
  EXPECT_NEAR(m.value(plain.theta), f / w.sum(), 1e-12);
  EXPECT_EQ(m.rows(), 150);  // the 50 rows of weight 0 are dropped
  EXPECT_THROW(cp::CumulativeLogit(d.X, d.y, 4, VecX<double>::Zero(200)), convlab::InvalidArgument);
  EXPECT_THROW(cs::presto_fit(d.X, d.y, 4, 5e-3, {}, VecX<double>::Constant(200, -1)), convlab::InvalidArgument);
  EXPECT_THROW(cs::presto_fit(d.X, d.y, 4, 5e-3, {}, VecX<double>::Ones(7)), convlab::InvalidArgument);
}

TEST(Presto, CategoryReversalMapsTheMle) {
  // λ = 0: reversing the categories maps (α_k, β_k) to (−α_{K−k}, −β_{K−k}).
  const auto d = simulate(400, 2, convlab::test::test_seed() + 4, convlab::test::vec({-1, 0.5, 2}));
  const auto fit = cs::presto_fit(d.X, d.y, 4, 0.0);
  const VecX<double> rev = (5.0 - d.y.array()).matrix();
  const auto r = cs::presto_fit(d.X, rev, 4, 0.0);
  for (int k = 1; k <= 3; ++k) {
    EXPECT_NEAR(r.alpha[k - 1], -fit.alpha[3 - k], 1e-6);
    EXPECT_LE((r.beta.col(k - 1) + fit.beta.col(3 - k)).cwiseAbs().maxCoeff(), 1e-6);
  }
}

TEST(Presto, CvChoosesTheLargestLambdaAmongTiesAndBeatsNothingWorse) {
  EXPECT_EQ(cs::choose_lambda({1.0, 0.5, 0.25}, {0.3, 0.2, 0.2}), 1u);
  EXPECT_EQ(cs::choose_lambda({1.0, 0.5, 0.25}, {0.1, 0.2, 0.1}), 0u);
  const auto d = simulate(300, 3, convlab::test::test_seed() + 5, convlab::test::vec({-1, 0.5, 2}));
  const auto cv = cs::presto_cv(d.X, d.y, 4, {.folds = 3, .seed = 1, .path = {.n_lambdas = 6, .ratio = 0.01, .presto = {}}});
  ASSERT_EQ(cv.mean_brier.size(), 6u);
  for (double b : cv.mean_brier) EXPECT_GE(b, cv.mean_brier[cv.chosen]);
  EXPECT_EQ(cv.fit.lambda, cv.lambdas[cv.chosen]);
}

// The CV by hand: the same permutation cut into folds, each fold's path fitted on the other rows
// alone (a subset, not zero weights) and scored by the unweighted Brier score of its rows.
TEST(Presto, CvIsTheMeanOutOfFoldBrierScoreOfFitsOnTheOtherFolds) {
  const auto d = simulate(120, 2, convlab::test::test_seed() + 6, convlab::test::vec({-1, 0.5, 2}));
  const cs::PrestoCvOptions o{.folds = 4, .seed = 9, .path = {.n_lambdas = 5, .ratio = 0.02, .presto = {}}};
  const auto cv = cs::presto_cv(d.X, d.y, 4, o);
  std::vector<Index> perm(120);
  std::iota(perm.begin(), perm.end(), Index{0});
  convlab::Rng rng(o.seed);
  convlab::shuffle(perm.begin(), perm.end(), rng);
  std::vector<double> mean(cv.lambdas.size(), 0.0);
  for (int f = 0; f < o.folds; ++f) {
    std::vector<Index> train, test;
    for (Index r = 0; r < 120; ++r) (r * o.folds / 120 == f ? test : train).push_back(perm[static_cast<std::size_t>(r)]);
    const MatX<double> Xtr = d.X(train, Eigen::all), Xte = d.X(test, Eigen::all);
    const VecX<double> ytr = d.y(train), yte = d.y(test);
    const auto path = cs::presto_path(Xtr, ytr, 4, o.path, cv.lambdas);
    for (std::size_t k = 0; k < path.size(); ++k) mean[k] += cs::brier_score(path[k].predict(Xte), yte) / o.folds;
  }
  for (std::size_t k = 0; k < mean.size(); ++k) EXPECT_NEAR(cv.mean_brier[k], mean[k], 1e-10) << "λ " << cv.lambdas[k];
}

// Grouped data: a count per row. CV splits the counted observations into folds, so it is the CV
// of the rows repeated (in runs, in row order): the same λ grid, scores, choice and final fit.
TEST(Presto, CvWithCountsIsTheCvOfTheRepeatedRows) {
  const auto d = simulate(90, 2, convlab::test::test_seed() + 7, convlab::test::vec({-1, 0.5, 2}));
  VecX<double> counts(90);
  for (Index i = 0; i < 90; ++i) counts[i] = static_cast<double>((i * 7) % 4);  // 0 … 3
  std::vector<Index> rows;
  for (Index i = 0; i < 90; ++i)
    for (int c = 0; c < static_cast<int>(counts[i]); ++c) rows.push_back(i);
  const MatX<double> Xr = d.X(rows, Eigen::all);
  const VecX<double> yr = d.y(rows);
  const cs::PrestoCvOptions o{.folds = 3, .seed = 4, .path = {.n_lambdas = 5, .ratio = 0.02, .presto = {}}};
  const auto grouped = cs::presto_cv(d.X, d.y, 4, o, counts);
  const auto repeated = cs::presto_cv(Xr, yr, 4, o);
  ASSERT_EQ(grouped.lambdas.size(), repeated.lambdas.size());
  for (std::size_t k = 0; k < grouped.lambdas.size(); ++k) {
    EXPECT_NEAR(grouped.lambdas[k], repeated.lambdas[k], 1e-10 * repeated.lambdas[k]);
    EXPECT_NEAR(grouped.mean_brier[k], repeated.mean_brier[k], 1e-10);
  }
  EXPECT_EQ(grouped.chosen, repeated.chosen);
  EXPECT_LE((grouped.fit.theta - repeated.fit.theta).cwiseAbs().maxCoeff(), 1e-7);
  VecX<double> brier_w = counts;
  EXPECT_NEAR(cs::brier_score(cp::cumulative_logit_probabilities(d.X, grouped.fit.alpha, grouped.fit.beta), d.y, brier_w),
              cs::brier_score(cp::cumulative_logit_probabilities(Xr, grouped.fit.alpha, grouped.fit.beta), yr), 1e-14);
  counts[5] = 1.5;
  EXPECT_THROW(cs::presto_cv(d.X, d.y, 4, o, counts), convlab::InvalidArgument);
  counts[5] = -1;
  EXPECT_THROW(cs::presto_cv(d.X, d.y, 4, o, counts), convlab::InvalidArgument);
  EXPECT_THROW(cs::brier_score(MatX<double>::Constant(2, 4, 0.25), convlab::test::vec({1, 2}), VecX<double>::Zero(2)), convlab::InvalidArgument);
}

// The Hessian's Gram matrices and the linear predictors are sums over thousands of rows; through
// Eigen's parallel GEMM their rounding would depend on the thread count. Sizes here are large
// enough for Eigen to parallelize.
TEST(Presto, ThreadCountDoesNotChangeDerivativesOrTheCvFit) {
  const auto d = simulate(3000, 12, convlab::test::test_seed() + 21, convlab::test::vec({-1, 0.5, 2}));
  auto run = [&](int threads) {
    Eigen::setNbThreads(threads);
    const cp::CumulativeLogit m(d.X, d.y, 4);
    VecX<double> theta = m.theta_from(convlab::test::vec({-1, 0.5, 2}), MatX<double>::Constant(12, 3, 0.01));
    VecX<double> g(m.dim());
    MatX<double> H(m.dim(), m.dim());
    m.value_and_gradient(theta, g);
    m.hessian(theta, H);
    const auto cv = cs::presto_cv(d.X, d.y, 4, {.folds = 3, .seed = 2, .path = {.n_lambdas = 6, .ratio = 0.05, .presto = {}}});
    return std::tuple{g, H, cv.fit.theta};
  };
  const auto [g1, H1, t1] = run(1);
  const auto [g2, H2, t2] = run(2);
  Eigen::setNbThreads(0);
  EXPECT_TRUE(g1 == g2);
  EXPECT_TRUE(H1 == H2);
  EXPECT_TRUE(t1 == t2);
}
