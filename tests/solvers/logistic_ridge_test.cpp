// L2-logistic solver: against the generic damped Newton on problems::Logistic (an independent
// Hessian assembly) for every method (Newton-Cholesky p × p and Woodbury n × n, truncated
// Newton-CG, L-BFGS), and its duality-gap certificate against the dual objective written out.
#include <gtest/gtest.h>

#include <convlab/solvers/logistic_ridge.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/problems/logistic.hpp>
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
    using M = cs::RidgeMethod;
    for (auto method : {M::NewtonCholesky, M::NewtonCG, M::Lbfgs, M::Auto})
    for (bool sparse : {false, true}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " p " << p << (sparse ? " sparse" : " dense") << " method " << static_cast<int>(method));
      const cs::LogisticRidgeOptions o{.tolerance = 1e-12, .method = method};
      const auto r = sparse ? cs::logistic_ridge(Xs, d.labels, lambda, o) : cs::logistic_ridge(d.X, d.labels, lambda, o);
      EXPECT_TRUE(r.converged());
      const M automatic = std::min(n, p) <= 16 ? M::NewtonCholesky : p <= 64 ? M::NewtonCG : M::Lbfgs;
      EXPECT_EQ(r.method, method == M::Auto ? automatic : method);
      EXPECT_EQ(r.woodbury, method == M::NewtonCholesky && p > n);
      EXPECT_EQ(r.cg_iterations > 0, r.method == M::NewtonCG);
      EXPECT_LE((r.w - ref).norm(), 1e-6 * (1 + ref.norm()));
      EXPECT_NEAR(r.certificate.primal, f.value(ref), 1e-11);
      // The gap certifies: P(w) − P* ≤ P − D, and D ≤ P* ≤ P.
      EXPECT_LE(r.certificate.dual, f.value(ref) + 1e-12);
      EXPECT_LE(r.certificate.value, 1e-12);
      EXPECT_LT(r.iterations, method == M::Lbfgs ? 200 : 30);  // Newton: quadratic convergence, not a first-order crawl
    }
  }
}

TEST(LogisticRidge, CertificateIsTheDualObjectiveAndBoundsTheOptimum) {
  // At random (non-optimal) points — an infinite tolerance stops before the first step, so the
  // result is the certificate of w0 itself — the reported dual equals D(α) written out with the
  // entropy, α = σ(−yᵢxᵢᵀw0), and lies below the optimum P* (weak duality), as P(w0) lies above.
  const double lambda = 0.1;
  const Data d = make(50, 8, convlab::test::test_seed() + 1);
  cp::Logistic<double> f(d.X, d.labels, {.l2 = lambda});
  VecX<double> opt = VecX<double>::Zero(8);
  co::newton(f, opt, {.max_iterations = 200, .gradient_tolerance = 1e-13});
  const double optimum = f.value(opt);
  std::mt19937_64 rng(convlab::test::test_seed());
  for (int trial = 0; trial < 20; ++trial) {
    const VecX<double> w0 = VecX<double>(convlab::test::random_matrix<double>(8, 1, rng).col(0));
    const auto r = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e300}, w0);
    const double n = static_cast<double>(d.X.rows());
    double entropy = 0;
    VecX<double> y_alpha(d.X.rows());
    for (Index i = 0; i < d.X.rows(); ++i) {
      const double yi = d.labels[i] == 1 ? 1 : -1, a = 1 / (1 + std::exp(yi * d.X.row(i).dot(w0)));
      entropy += -a * std::log(a) - (1 - a) * std::log(1 - a);
      y_alpha[i] = yi * a;
    }
    const double dual = entropy / n - 0.5 * lambda * (d.X.transpose() * y_alpha / (n * lambda)).squaredNorm();
    EXPECT_NEAR(r.certificate.dual, dual, 1e-12 * (1 + std::abs(dual)));
    EXPECT_NEAR(r.certificate.primal, f.value(w0), 1e-12 * (1 + f.value(w0)));
    EXPECT_LE(r.certificate.dual, optimum + 1e-12);
    EXPECT_GE(r.certificate.primal, optimum - 1e-12);
  }
  const auto r = cs::logistic_ridge(d.X, d.labels, 0.1, {.tolerance = 1e-13});
  EXPECT_LE(r.certificate.value, 1e-13);
}

TEST(LogisticRidge, RejectsBadInputWithAClearMessage) {
  const Data d = make(10, 3, 1);
  EXPECT_THROW(cs::logistic_ridge(d.X, d.labels, 0.0), convlab::InvalidArgument);
  VecX<double> bad = d.labels;
  bad[4] = 2;
  try {
    cs::logistic_ridge(d.X, bad, 0.1);
    FAIL();
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("row 4"), std::string::npos);
  }
  MatX<double> X = d.X;
  X(2, 1) = std::nan("");
  EXPECT_THROW(cs::logistic_ridge(X, d.labels, 0.1), convlab::InvalidArgument);
  EXPECT_THROW(cs::logistic_ridge(d.X, d.labels.head(5).eval(), 0.1), convlab::InvalidArgument);
  EXPECT_THROW(cs::logistic_ridge(d.X, d.labels, 0.1, {.lbfgs_memory = 0}), convlab::InvalidArgument);
}

TEST(LogisticRidge, AutoPicksLbfgsOnWideDataAndEveryMemoryReachesTheNewtonAnswer) {
  const Data d = make(60, 150, convlab::test::test_seed() + 2);
  const double lambda = 1.0 / 60;
  const auto newton = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e-13, .method = cs::RidgeMethod::NewtonCholesky});
  ASSERT_TRUE(newton.converged());
  EXPECT_TRUE(newton.woodbury);
  const auto automatic = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e-11});
  EXPECT_EQ(automatic.method, cs::RidgeMethod::Lbfgs);
  EXPECT_TRUE(automatic.single_precision);
  cp::Logistic<double> f(d.X, d.labels, {.l2 = lambda});
  for (int memory : {1, 3, 10, 40})
  for (long long single_bytes : {0LL, 1LL << 20}) {
    SCOPED_TRACE(testing::Message() << "memory " << memory << " single precision up to " << single_bytes << " bytes");
    const auto r = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e-11, .method = cs::RidgeMethod::Lbfgs, .lbfgs_memory = memory, .single_precision_max_bytes = single_bytes});
    EXPECT_TRUE(r.converged());
    EXPECT_EQ(r.single_precision, single_bytes > 0);
    // The certificate, recomputed from the returned w by the problem's own value and gradient.
    VecX<double> grad(150);
    const double value = f.value_and_gradient(r.w, grad);
    EXPECT_NEAR(r.certificate.primal, value, 1e-13 * value);
    EXPECT_LE(grad.squaredNorm() / (2 * lambda) / value, 1e-11 * (1 + 1e-6));
    // P(w) − P* ≤ gap·P, and strong convexity: ‖w − w*‖² ≤ 2(P(w) − P*)/λ.
    EXPECT_LE(r.certificate.primal - newton.certificate.primal, 1e-11 * r.certificate.primal + 1e-15);
    EXPECT_LE((r.w - newton.w).squaredNorm(), 2 * 1e-11 * r.certificate.primal / lambda * (1 + 1e-9) + 1e-24);
  }
  // Entries beyond float's range keep the iteration in double (no float copy of infinities; at
  // this scale the gradient's rounding alone keeps the gap from 1e-9, so only finiteness is asked).
  const MatX<double> huge = d.X * 1e31;
  const auto big = cs::logistic_ridge(huge, d.labels, lambda, {.tolerance = 1e-9, .max_iterations = 50, .method = cs::RidgeMethod::Lbfgs});
  EXPECT_FALSE(big.single_precision);
  EXPECT_TRUE(big.w.allFinite() && std::isfinite(big.certificate.primal));
  // A budget too small is reported, not hidden: the certificate of the last iterate.
  const auto cut = cs::logistic_ridge(d.X, d.labels, lambda, {.tolerance = 1e-11, .max_iterations = 3, .method = cs::RidgeMethod::Lbfgs});
  EXPECT_FALSE(cut.converged());
  EXPECT_EQ(cut.iterations, 3);
  EXPECT_GT(cut.certificate.value, 1e-11);
}

TEST(LogisticRidge, MatrixVectorProductAgreesWithEigensOnEitherSideOfItsSizeRule) {
  // detail::matrix_times switches to a column-by-column loop above 8 MiB (without AVX): both
  // sides, both scalars, against Eigen's product.
  std::mt19937_64 rng(convlab::test::test_seed());
  for (Index rows : {300, 1100}) {
    const MatX<double> A = convlab::test::random_matrix<double>(rows, 1000, rng);
    const VecX<double> v = VecX<double>(convlab::test::random_matrix<double>(1000, 1, rng).col(0));
    VecX<double> out(rows);
    cs::detail::matrix_times(A, v, out);
    EXPECT_LE((out - A * v).norm(), 1e-12 * (A * v).norm());
    const Eigen::MatrixXf Af = A.cast<float>();
    const Eigen::VectorXf vf = v.cast<float>();
    Eigen::VectorXf outf(rows);
    cs::detail::matrix_times(Af, vf, outf);
    EXPECT_LE((outf - Af * vf).norm(), 1e-5f * (Af * vf).norm());
  }
}
