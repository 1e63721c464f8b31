// Row weights in the certified logistic solvers (logistic_l1 and logistic_ridge): integer weights
// fit what repeated rows fit (an independent problem of n' = Σs rows, no weights), zero weights
// drop their rows, the weighted objective is problems::Logistic's weighted value, and uniform
// weights keep the unweighted bits. An unpenalized intercept: logistic_l1 against FISTA and
// logistic_ridge against Newton, each with a free intercept.
#include <gtest/gtest.h>

#include <convlab/solvers/lasso_cd.hpp>
#include <convlab/solvers/logistic_ridge.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/regularizers.hpp>
#include <random>
#include <string>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace co = convlab::optim;
namespace cs = convlab::solvers;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {
struct Weighted {
  MatX<double> X;
  VecX<double> labels, weights;  // 0/1 labels; weights in {0, 1, 2, 3}
  MatX<double> X_repeated;       // row i repeated weights[i] times
  VecX<double> labels_repeated;
};
Weighted make(Index n, Index p, unsigned seed) {
  std::mt19937_64 rng(seed);
  Weighted d{convlab::test::random_matrix<double>(n, p, rng), VecX<double>(n), VecX<double>(n), {}, {}};
  const VecX<double> w = VecX<double>(convlab::test::random_matrix<double>(p, 1, rng).col(0));
  std::uniform_real_distribution<double> U;
  for (Index i = 0; i < n; ++i) {
    d.labels[i] = U(rng) < 1 / (1 + std::exp(-d.X.row(i).dot(w))) ? 1 : 0;
    d.weights[i] = static_cast<double>(i % 4);  // every fourth row weighs 0
  }
  const Index rows = static_cast<Index>(d.weights.sum());
  d.X_repeated.resize(rows, p);
  d.labels_repeated.resize(rows);
  Index k = 0;
  for (Index i = 0; i < n; ++i)
    for (int c = 0; c < static_cast<int>(d.weights[i]); ++c, ++k) {
      d.X_repeated.row(k) = d.X.row(i);
      d.labels_repeated[k] = d.labels[i];
    }
  return d;
}
}  // namespace

TEST(LogisticWeights, L1IntegerWeightsFitRepeatedRowsDenseAndSparse) {
  const Weighted d = make(90, 30, convlab::test::test_seed() + 11);
  const double lambda = 0.1 * cs::logistic_l1_lambda_max(d.X_repeated, d.labels_repeated);
  EXPECT_NEAR(cs::logistic_l1_lambda_max(d.X, d.labels, d.weights), 10 * lambda, 1e-13 * lambda);
  const auto repeated = cs::logistic_l1(d.X_repeated, d.labels_repeated, lambda, {.tolerance = 1e-12});
  ASSERT_TRUE(repeated.converged());
  cp::Logistic<double> f(d.X, d.labels, {}, d.weights);  // (1/Σs)Σ sᵢ·lossᵢ, written independently
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (bool sparse : {false, true}) {
    SCOPED_TRACE(sparse ? "sparse" : "dense");
    const cs::LogisticL1Options o{.tolerance = 1e-12};
    const auto r = sparse ? cs::logistic_l1(Xs, d.labels, lambda, o, {}, d.weights) : cs::logistic_l1(d.X, d.labels, lambda, o, {}, d.weights);
    EXPECT_TRUE(r.converged()) << r.certificate.value;
    EXPECT_NEAR(r.certificate.primal, f.value(r.w) + lambda * r.w.lpNorm<1>(), 1e-13 * r.certificate.primal);
    EXPECT_NEAR(r.certificate.primal, repeated.certificate.primal, 1e-11 * repeated.certificate.primal);
    EXPECT_LE(r.certificate.dual, repeated.certificate.primal * (1 + 1e-13)) << "the weighted dual must bound the repeated-row optimum";
    EXPECT_LE((r.w - repeated.w).norm(), 1e-5 * (1 + repeated.w.norm()));
    EXPECT_GT(r.nonzeros, 0);
  }
  // The path with the same weights ends at the same optimum.
  const auto path = cs::logistic_l1_path(d.X, d.labels, {.n_lambdas = 6, .ratio = 0.1, .logistic = {.tolerance = 1e-12}}, d.weights);
  EXPECT_NEAR(path.back().lambda, lambda, 1e-13 * lambda);
  EXPECT_NEAR(path.back().certificate.primal, repeated.certificate.primal, 1e-11 * repeated.certificate.primal);
}

TEST(LogisticWeights, RidgeIntegerWeightsFitRepeatedRowsForEveryMethod) {
  const Weighted d = make(80, 20, convlab::test::test_seed() + 12);
  const double lambda = 0.03;
  const auto repeated = cs::logistic_ridge(d.X_repeated, d.labels_repeated, lambda, {.tolerance = 1e-13});
  ASSERT_TRUE(repeated.converged());
  cp::Logistic<double> f(d.X, d.labels, {.l2 = lambda}, d.weights);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  using M = cs::RidgeMethod;
  for (auto method : {M::NewtonCholesky, M::NewtonCG, M::Lbfgs})
    for (bool sparse : {false, true}) {
      SCOPED_TRACE(testing::Message() << (sparse ? "sparse" : "dense") << " method " << static_cast<int>(method));
      const cs::LogisticRidgeOptions o{.tolerance = 1e-13, .method = method};
      const auto r = sparse ? cs::logistic_ridge(Xs, d.labels, lambda, o, {}, d.weights) : cs::logistic_ridge(d.X, d.labels, lambda, o, {}, d.weights);
      EXPECT_TRUE(r.converged()) << r.certificate.value;
      EXPECT_NEAR(r.certificate.primal, f.value(r.w), 1e-13 * r.certificate.primal);
      EXPECT_NEAR(r.certificate.primal, repeated.certificate.primal, 1e-12 * repeated.certificate.primal);
      EXPECT_LE(r.certificate.dual, repeated.certificate.primal * (1 + 1e-13));
      EXPECT_LE((r.w - repeated.w).norm(), 1e-6 * (1 + repeated.w.norm()));
    }
  // At a point that is not optimal the weighted dual is still below the optimum (weak duality).
  const auto early = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e300}, VecX<double>::Ones(20), d.weights);
  EXPECT_LE(early.certificate.dual, repeated.certificate.primal);
  EXPECT_GT(early.certificate.primal, repeated.certificate.primal);
}

TEST(LogisticWeights, UniformWeightsKeepTheUnweightedBits) {
  const Weighted d = make(70, 25, convlab::test::test_seed() + 13);
  const VecX<double> twos = VecX<double>::Constant(70, 2.0);  // normalized to exactly 1 each
  const double lambda = 0.05 * cs::logistic_l1_lambda_max(d.X, d.labels);
  const auto a = cs::logistic_l1(d.X, d.labels, lambda);
  const auto b = cs::logistic_l1(d.X, d.labels, lambda, {}, {}, twos);
  EXPECT_TRUE(a.w == b.w);
  EXPECT_EQ(a.certificate.primal, b.certificate.primal);
  EXPECT_EQ(a.certificate.dual, b.certificate.dual);
  const auto c = cs::logistic_ridge(d.X, d.labels, 0.05);
  const auto e = cs::logistic_ridge(d.X, d.labels, 0.05, {}, {}, twos);
  EXPECT_TRUE(c.w == e.w);
  EXPECT_EQ(c.certificate.dual, e.certificate.dual);
}

TEST(LogisticWeights, BadWeightsAreNamed) {
  const Weighted d = make(20, 4, 1);
  auto message = [&](auto&& call) {
    try {
      call();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  VecX<double> w = d.weights;
  w[7] = -1;
  EXPECT_NE(message([&] { cs::logistic_l1(d.X, d.labels, 0.1, {}, {}, w); }).find("logistic_l1: sample weight 7 is -1"), std::string::npos);
  EXPECT_NE(message([&] { cs::logistic_ridge(d.X, d.labels, 0.1, {}, {}, w); }).find("logistic_ridge: sample weight 7"), std::string::npos);
  w[7] = std::nan("");
  EXPECT_NE(message([&] { cs::logistic_l1(d.X, d.labels, 0.1, {}, {}, w); }).find("sample weight 7"), std::string::npos);
  EXPECT_NE(message([&] { cs::logistic_l1(d.X, d.labels, 0.1, {}, {}, VecX<double>::Zero(20)); }).find("every sample weight is 0"),
            std::string::npos);
  EXPECT_NE(message([&] { cs::logistic_ridge(d.X, d.labels, 0.1, {}, {}, VecX<double>::Ones(19)); }).find("sample weights (one per row of X)"),
            std::string::npos);
}

// An unpenalized intercept in logistic_l1: against FISTA on problems::Logistic with an intercept
// and the l1 term restricted to the weights (dense and sparse, with and without row weights), the
// balanced dual below the optimum, λ_max from the log-odds intercept, and the path.
TEST(LogisticWeights, L1InterceptMatchesFistaWithAFreeIntercept) {
  Weighted d = make(120, 25, convlab::test::test_seed() + 14);
  d.X.array() += 0.7;  // uncentred columns, so the intercept and the weights interact
  for (Index i = 0; i < 120; i += 3) d.labels[i] = 1;  // unbalanced labels: b* far from 0
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const VecX<double> sw = weighted ? d.weights : VecX<double>();
    cp::Logistic<double> f(d.X, d.labels, {.intercept = true}, sw);
    // λ_max: at w = 0 the best b is the weighted log-odds, and f's gradient there is λ_max.
    const VecX<double> s = weighted ? d.weights : VecX<double>::Ones(120);
    const double pos = s.dot(d.labels), neg = s.sum() - pos;
    VecX<double> x0 = VecX<double>::Zero(26), g0(26);
    x0[25] = std::log(pos / neg);
    cp::gradient(f, x0, g0);
    EXPECT_NEAR(g0[25], 0.0, 1e-14);
    const double lmax = cs::logistic_l1_lambda_max(d.X, d.labels, sw, /*intercept=*/true);
    EXPECT_NEAR(lmax, g0.head(25).cwiseAbs().maxCoeff(), 1e-13 * lmax);
    const double lambda = 0.1 * lmax;
    Eigen::Array<bool, Eigen::Dynamic, 1> mask = Eigen::Array<bool, Eigen::Dynamic, 1>::Constant(26, true);
    mask[25] = false;
    VecX<double> ref = x0;
    const auto fista = co::proximal_gradient(f, cp::Restricted<cp::L1<double>>{{lambda}, mask}, ref, f.lipschitz(),
                                             {.max_iterations = 2000000, .kkt_tolerance = 1e-13});
    EXPECT_LE(fista.certificate.value, 1e-12);
    const double pstar = f.value(ref) + lambda * ref.head(25).lpNorm<1>();
    const cs::LogisticL1Options o{.intercept = true, .tolerance = 1e-11};
    for (bool sparse : {false, true}) {
      SCOPED_TRACE(sparse ? "sparse" : "dense");
      const auto r = sparse ? cs::logistic_l1(Xs, d.labels, lambda, o, {}, sw) : cs::logistic_l1(d.X, d.labels, lambda, o, {}, sw);
      EXPECT_TRUE(r.converged()) << r.certificate.value;
      VecX<double> x(26);
      x << r.w, r.intercept;
      EXPECT_NEAR(r.certificate.primal, f.value(x) + lambda * r.w.lpNorm<1>(), 1e-13 * pstar);
      EXPECT_LE(r.certificate.primal - pstar, 1e-10 * pstar);
      EXPECT_LE(r.certificate.dual, pstar * (1 + 1e-13)) << "the balanced dual must bound the optimum with the free intercept";
      EXPECT_NEAR(r.intercept, ref[25], 1e-4 * (1 + std::abs(ref[25])));
      EXPECT_LE((r.w - ref.head(25)).norm(), 1e-4 * (1 + ref.norm()));
    }
    // The certificate of points far from b* (an infinite tolerance stops at the start): the
    // optimum without an intercept, whose unbalanced dual point would bound only the problem with
    // b = 0, far above P* here, and random points.
    const cs::LogisticL1Options o_no_b{.tolerance = 1e-11};
    const VecX<double> w_no_b = cs::logistic_l1(d.X, d.labels, lambda, o_no_b, {}, sw).w;
    cs::LogisticL1Solver<MatX<double>> at_start(d.X, d.labels, {.intercept = true, .tolerance = 1e300}, sw);
    EXPECT_LE(at_start.solve(lambda, w_no_b, 0.0).certificate.dual, pstar * (1 + 1e-13));
    std::mt19937_64 rng(convlab::test::test_seed());
    for (int trial = 0; trial < 10; ++trial) {
      const VecX<double> w0 = 0.3 * VecX<double>(convlab::test::random_matrix<double>(25, 1, rng).col(0));
      const auto e = at_start.solve(lambda, w0, 2.0 * trial - 8);
      EXPECT_LE(e.certificate.dual, pstar * (1 + 1e-13)) << trial;
      EXPECT_GE(e.certificate.primal, pstar * (1 - 1e-13)) << trial;
    }
    const auto path = cs::logistic_l1_path(d.X, d.labels, {.n_lambdas = 6, .ratio = 0.1, .logistic = o}, sw);
    EXPECT_EQ(path.front().nonzeros, 0);
    EXPECT_NEAR(path.front().intercept, x0[25], 1e-12);
    EXPECT_NEAR(path.back().certificate.primal, pstar, 1e-10 * pstar);
  }
  // One label only: b* is infinite. An intercept start without an intercept.
  EXPECT_THROW(cs::logistic_l1(d.X, VecX<double>::Ones(120), 0.1, {.intercept = true}), convlab::InvalidArgument);
  cs::LogisticL1Solver<MatX<double>> no_b(d.X, d.labels);
  EXPECT_THROW(no_b.solve(0.1, {}, 1.0), convlab::InvalidArgument);
}

// An unpenalized intercept in logistic_ridge, every method (NewtonCholesky also in its p > n
// Schur form), dense and sparse, with and without row weights: against the generic Newton on
// problems::Logistic with an intercept, and the certificate of a point far from b*.
TEST(LogisticWeights, RidgeInterceptMatchesNewtonWithAFreeIntercept) {
  for (auto [n, p] : {std::pair<Index, Index>{120, 15}, {40, 90}}) {
    Weighted d = make(n, p, convlab::test::test_seed() + 15);
    d.X.array() += 0.7;
    for (Index i = 0; i < n; i += 3) d.labels[i] = 1;
    const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
    const double lambda = 0.05;
    for (bool weighted : {false, true}) {
      const VecX<double> sw = weighted ? d.weights : VecX<double>();
      cp::Logistic<double> f(d.X, d.labels, {.l2 = lambda, .intercept = true}, sw);
      VecX<double> ref = VecX<double>::Zero(p + 1);
      co::newton(f, ref, {.max_iterations = 200, .gradient_tolerance = 1e-13});
      const double pstar = f.value(ref);
      using M = cs::RidgeMethod;
      for (auto method : {M::NewtonCholesky, M::NewtonCG, M::Lbfgs})
        for (bool sparse : {false, true}) {
          SCOPED_TRACE(testing::Message() << "n " << n << " p " << p << (weighted ? " weighted" : "") << (sparse ? " sparse" : " dense")
                                          << " method " << static_cast<int>(method));
          const cs::LogisticRidgeOptions o{.intercept = true, .tolerance = 1e-12, .method = method};
          const auto r = sparse ? cs::logistic_ridge(Xs, d.labels, lambda, o, {}, sw) : cs::logistic_ridge(d.X, d.labels, lambda, o, {}, sw);
          EXPECT_TRUE(r.converged()) << r.certificate.value;
          EXPECT_EQ(r.woodbury, method == M::NewtonCholesky && p > n);
          VecX<double> x(p + 1);
          x << r.w, r.intercept;
          EXPECT_NEAR(r.certificate.primal, f.value(x), 1e-13 * pstar);
          EXPECT_LE(r.certificate.primal - pstar, 1e-11 * pstar);
          EXPECT_LE(r.certificate.dual, pstar * (1 + 1e-13));
          EXPECT_LE((x - ref).norm(), 1e-5 * (1 + ref.norm()));
        }
      // At (the optimum without an intercept, b = 0), the unbalanced dual point would bound only
      // the problem with b = 0, far above P* here; the balanced one stays below P*.
      const VecX<double> w_no_b = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e-12}, {}, sw).w;
      VecX<double> start(p + 1);
      start << w_no_b, 0.0;
      for (auto method : {M::NewtonCholesky, M::NewtonCG, M::Lbfgs}) {
        const auto far = cs::logistic_ridge(d.X, d.labels, lambda, {.intercept = true, .tolerance = 1e300, .method = method}, start, sw);
        EXPECT_LE(far.certificate.dual, pstar * (1 + 1e-13)) << static_cast<int>(method);
        EXPECT_GE(far.certificate.primal, pstar);
      }
    }
  }
  const Weighted d = make(30, 4, 2);
  EXPECT_THROW(cs::logistic_ridge(d.X, VecX<double>::Zero(30), 0.1, {.intercept = true}), convlab::InvalidArgument);
  EXPECT_THROW(cs::logistic_ridge(d.X, d.labels, 0.1, {}, VecX<double>::Zero(5)), convlab::InvalidArgument);  // b without an intercept
}
