// Objectives: gradients against central differences, minibatch means against per-sample
// sums, Hessians against differences of gradients, Lipschitz bounds against Hessian
// spectra, stability at extreme margins, and size errors.
#include <convlab/problems/gradient_check.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>

#include <Eigen/Eigenvalues>
#include <numeric>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "test_support.hpp"

namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

template <class S, bool Sparse, int Kind>  // Kind: 0 least squares, 1 logistic, 2 multinomial
struct Case {
  using Scalar = S;
  using Design = std::conditional_t<Sparse, cp::SparseDesign<S>, MatX<S>>;
  using Problem = std::conditional_t<Kind == 0, cp::LeastSquares<S, Design>,
                                     std::conditional_t<Kind == 1, cp::Logistic<S, Design>, cp::Multinomial<S, Design>>>;
  static constexpr int kind = Kind;

  static Problem make(const cp::LinearModelOptions& opt, std::mt19937_64& rng, Eigen::Index n = 40,
                      Eigen::Index d = 6) {
    MatX<S> A = convlab::test::random_matrix<S>(n, d, rng);
    Design D;
    if constexpr (Sparse) D = convlab::test::sparsify<S>(A, 0.5, rng);
    else D = A;
    VecX<S> y(n);
    std::uniform_int_distribution<int> cls(0, 2);
    for (Eigen::Index i = 0; i < n; ++i) {
      if constexpr (Kind == 0) y[i] = static_cast<S>(std::normal_distribution<double>(0, 1)(rng));
      else if constexpr (Kind == 1) y[i] = cls(rng) == 0 ? S(0) : S(1);
      else y[i] = static_cast<S>(cls(rng));
    }
    if constexpr (Kind == 2) return Problem(std::move(D), y, 3, opt);
    else return Problem(std::move(D), y, opt);
  }
};

template <class C>
class ObjectiveTest : public ::testing::Test {};
using Cases = ::testing::Types<Case<double, false, 0>, Case<double, true, 0>, Case<float, false, 0>, Case<float, true, 0>,
                               Case<double, false, 1>, Case<double, true, 1>, Case<float, false, 1>, Case<float, true, 1>,
                               Case<double, false, 2>, Case<double, true, 2>, Case<float, false, 2>, Case<float, true, 2>>;
TYPED_TEST_SUITE(ObjectiveTest, Cases);

const cp::LinearModelOptions kOptionGrid[] = {
    {}, {.l2 = 0.3}, {.intercept = true}, {.l2 = 0.1, .intercept = true}, {.l1 = 0.05, .l2 = 0.1, .intercept = true}};

TYPED_TEST(ObjectiveTest, GradientMatchesCentralDifferences) {
  using S = typename TypeParam::Scalar;
  const unsigned seed = convlab::test::test_seed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (const auto& opt : kOptionGrid) {
    const auto p = TypeParam::make(opt, rng);
    VecX<S> x = convlab::test::random_matrix<S>(p.dim(), 1, rng, 0.7);
    if (opt.l1 > 0)  // keep coordinates away from the kink of |x| so differences are valid
      for (Eigen::Index i = 0; i < x.size(); ++i)
        if (std::abs(x[i]) < S(0.05)) x[i] = S(0.1);
    const auto r = cp::check_gradient(p, x);
    EXPECT_LE(r.max_error, convlab::test::fd_tol<S>())
        << "l1 " << opt.l1 << " l2 " << opt.l2 << " intercept " << opt.intercept << ": coordinate " << r.worst_index
        << " analytic " << r.analytic << " vs fd " << r.finite_difference;
    VecX<S> g1(p.dim()), g2(p.dim());
    const S v = p.value_and_gradient(x, g1);
    cp::gradient(p, x, g2);
    EXPECT_EQ(v, p.value(x)) << "value_and_gradient and value disagree";
  }
}

TYPED_TEST(ObjectiveTest, MinibatchIsMeanOfSampleTerms) {
  using S = typename TypeParam::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 1);
  for (const auto& opt : kOptionGrid) {
    const auto p = TypeParam::make(opt, rng);
    const VecX<S> x = convlab::test::random_matrix<S>(p.dim(), 1, rng, 0.5);
    // The full batch equals the full objective.
    std::vector<Eigen::Index> all(static_cast<std::size_t>(p.num_samples()));
    std::iota(all.begin(), all.end(), Eigen::Index(0));
    VecX<S> gfull(p.dim()), gb(p.dim());
    const S ffull = p.value_and_gradient(x, gfull);
    p.gradient(x, all, gb);
    const auto t = convlab::test::tol<S>();
    EXPECT_NEAR(p.value(x, all), ffull, t.atol + 10 * t.rtol * std::abs(ffull));
    EXPECT_LE((gb - gfull).template lpNorm<Eigen::Infinity>(), 10 * (t.atol + t.rtol * gfull.norm()));
    // A batch {i, j, i} is the mean of single-sample terms (minus the penalty counted once).
    const std::vector<Eigen::Index> batch{3, 7, 3};
    VecX<S> gi(p.dim()), gj(p.dim());
    p.gradient(x, std::span<const Eigen::Index>(&batch[0], 1), gi);
    p.gradient(x, std::span<const Eigen::Index>(&batch[1], 1), gj);
    p.gradient(x, batch, gb);
    const VecX<S> expected = (2 * gi + gj) / 3;
    EXPECT_LE((gb - expected).template lpNorm<Eigen::Infinity>(), 10 * (t.atol + t.rtol * expected.norm()));
    const S fi = p.value(x, std::span<const Eigen::Index>(&batch[0], 1));
    const S fj = p.value(x, std::span<const Eigen::Index>(&batch[1], 1));
    EXPECT_NEAR(p.value(x, batch), (2 * fi + fj) / 3, 10 * (t.atol + t.rtol * std::abs(fi)));
  }
}

TYPED_TEST(ObjectiveTest, LipschitzBoundsTheCurvature) {
  using S = typename TypeParam::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 2);
  for (const auto& opt : {cp::LinearModelOptions{.l2 = 0.2}, cp::LinearModelOptions{.intercept = true}}) {
    const auto p = TypeParam::make(opt, rng);
    const double L = p.lipschitz();
    const VecX<S> Lc = p.coordinate_lipschitz();
    // Curvature along random directions, from differences of gradients, never exceeds L.
    for (int trial = 0; trial < 20; ++trial) {
      const VecX<S> x = convlab::test::random_matrix<S>(p.dim(), 1, rng, 0.3);
      VecX<S> u = convlab::test::random_matrix<S>(p.dim(), 1, rng);
      if (trial % 2) u = VecX<S>::Unit(p.dim(), trial % p.dim());
      u.normalize();
      const S h = std::is_same_v<S, float> ? S(1e-2) : S(1e-5);
      VecX<S> gp(p.dim()), gm(p.dim());
      cp::gradient(p, VecX<S>(x + h * u), gp);
      cp::gradient(p, VecX<S>(x - h * u), gm);
      const double curvature = static_cast<double>(u.dot(gp - gm) / (2 * h));
      EXPECT_LE(curvature, L * 1.02 + 1e-6) << "trial " << trial;
      if (trial % 2) {
        const Eigen::Index j = trial % p.dim();
        EXPECT_LE(curvature, static_cast<double>(Lc[j]) * 1.02 + 1e-6) << "coordinate " << j;
      }
    }
  }
}

// Least squares: L equals λ_max(ÃᵀÃ)/n + l2 exactly, on both the exact and the bound path.
TEST(LeastSquares, LipschitzIsExactForSmallDimsAndABoundForLarge) {
  std::mt19937_64 rng(convlab::test::test_seed() + 3);
  for (Eigen::Index d : {5, 600}) {
    const MatX<double> A = convlab::test::random_matrix<double>(80, d, rng);
    const cp::LeastSquares<double> p(A, VecX<double>::Zero(80), {.l2 = 0.5, .intercept = true});
    MatX<double> Aa(80, d + 1);
    Aa << A, VecX<double>::Ones(80);
    const double exact = Eigen::SelfAdjointEigenSolver<MatX<double>>(Aa.transpose() * Aa / 80.0).eigenvalues().maxCoeff() + 0.5;
    if (d <= 500) EXPECT_NEAR(p.lipschitz(), exact, 1e-9 * exact);
    else EXPECT_GE(p.lipschitz(), exact);
  }
}

/// Largest entry of H − (finite differences of the gradient) for a 5-parameter problem.
template <class P>
double hessian_error(const P& p, const VecX<double>& x) {
  MatX<double> H(5, 5), Hfd(5, 5);
  p.hessian(x, H);
  for (int j = 0; j < 5; ++j) {
    VecX<double> gp(5), gm(5);
    p.value_and_gradient(VecX<double>(x + 1e-6 * VecX<double>::Unit(5, j)), gp);
    p.value_and_gradient(VecX<double>(x - 1e-6 * VecX<double>::Unit(5, j)), gm);
    Hfd.col(j) = (gp - gm) / 2e-6;
  }
  return (H - Hfd).cwiseAbs().maxCoeff();
}

TEST(Objectives, HessiansMatchGradientDifferences) {
  std::mt19937_64 rng(convlab::test::test_seed() + 4);
  const MatX<double> A = convlab::test::random_matrix<double>(30, 4, rng);
  const VecX<double> b = convlab::test::random_matrix<double>(30, 1, rng);
  VecX<double> y(30);
  for (int i = 0; i < 30; ++i) y[i] = i % 3 ? 1 : -1;
  const VecX<double> x = convlab::test::random_matrix<double>(5, 1, rng);
  const cp::LinearModelOptions opt{.l2 = 0.3, .intercept = true};
  const cp::SparseDesign<double> As = A.sparseView();
  EXPECT_LE(hessian_error(cp::LeastSquares<double>(A, b, opt), x), 1e-6);
  EXPECT_LE(hessian_error(cp::LeastSquares<double, cp::SparseDesign<double>>(As, b, opt), x), 1e-6);
  EXPECT_LE(hessian_error(cp::Logistic<double>(A, y, opt), x), 1e-6);
  EXPECT_LE(hessian_error(cp::Logistic<double, cp::SparseDesign<double>>(As, y, opt), x), 1e-6);
}

// Margins of ±1000: log(1 + e^{-m}) is 0 or m to rounding, gradients stay finite.
TEST(Logistic, StableAtExtremeMargins) {
  MatX<double> A(4, 1);
  A << 1000, -1000, 1000, -1000;
  VecX<double> y(4);
  y << 1, 1, 0, 0;  // margins +1000, −1000, −1000, +1000
  const cp::Logistic<double> p(A, y);
  const VecX<double> x = VecX<double>::Ones(1);
  VecX<double> g(1);
  const double f = p.value_and_gradient(x, g);
  EXPECT_DOUBLE_EQ(f, (0 + 1000 + 1000 + 0) / 4.0);
  // d/dx: samples 2 and 3 contribute −y·a·σ(−m) = −(1)(−1000)(1) and −(−1)(1000)(1).
  EXPECT_DOUBLE_EQ(g[0], (1000.0 + 1000.0) / 4.0);
  const cp::Logistic<float> pf(A.cast<float>(), y.cast<float>());
  VecX<float> gf(1);
  const float ff = pf.value_and_gradient(VecX<float>::Ones(1), gf);
  EXPECT_FLOAT_EQ(ff, 500.0f);
  EXPECT_TRUE(gf.allFinite());
}

TEST(Multinomial, StableAtExtremeScores) {
  MatX<double> A(2, 1);
  A << 1000, -1000;
  VecX<double> y(2);
  y << 0, 2;
  const cp::Multinomial<double> p(A, y, 3);
  VecX<double> x(3);
  x << 1, 0, -1;  // sample 0 scores (1000, 0, −1000): loss 0; sample 1 (−1000, 0, 1000) with label 2: loss 0
  VecX<double> g(3);
  EXPECT_NEAR(p.value_and_gradient(x, g), 0.0, 1e-300);
  EXPECT_TRUE(g.allFinite());
  x << -1, 0, 1;  // now both samples are wrong by 2000
  EXPECT_DOUBLE_EQ(p.value_and_gradient(x, g), 2000.0);
  EXPECT_TRUE(g.allFinite());
}

TEST(Multinomial, TwoClassesMatchLogisticWithDifferenceWeights) {
  std::mt19937_64 rng(convlab::test::test_seed() + 6);
  const MatX<double> A = convlab::test::random_matrix<double>(25, 3, rng);
  VecX<double> y(25);
  for (int i = 0; i < 25; ++i) y[i] = i % 2;
  const cp::Multinomial<double> m(A, y, 2, {.intercept = true});
  const cp::Logistic<double> l(A, y, {.intercept = true});
  const VecX<double> w1 = convlab::test::random_matrix<double>(4, 1, rng);
  VecX<double> x(8);
  x << VecX<double>::Zero(4), w1;  // class 0 weights 0, class 1 weights w1 → logit w1
  EXPECT_NEAR(m.value(x), l.value(w1), 1e-12);
}

TEST(Accuracy, CountsRowsWhoseLabelIsThePredictedClass) {
  // Hand-made: 2 features + intercept, the decision rule written out row by row.
  MatX<double> A(5, 2);
  A << 1, 0, 0, 1, -1, 0, 0, -1, 2, 2;
  VecX<double> y(5);
  y << 1, 1, 0, 0, 1;
  const cp::Logistic<double> l(A, y, {.intercept = true});
  VecX<double> x(3);
  x << 1, -1, 0.5;  // scores 1.5, −0.5, −0.5, 1.5, 0.5: rows 1 and 3 wrong
  EXPECT_DOUBLE_EQ(l.accuracy(x), 3.0 / 5);
  // Three classes, scores of row i for class k = A_i · w_k + b_k: the argmax is written out.
  VecX<double> labels(5);
  labels << 0, 1, 2, 2, 1;
  const cp::Multinomial<double> m(A, labels, 3, {.intercept = true});
  VecX<double> z(9);
  z << 1, 0, 0, /*class 1*/ 0, 1, 0, /*class 2*/ -1, -1, 0.5;
  // Row scores (1, 0, −0.5), (0, 1, −0.5), (−1, 0, 1.5), (0, −1, 1.5), (2, 2, −3.5): rows 0–3
  // right; row 4 ties classes 0 and 1, the first wins, its label 1 is missed.
  EXPECT_DOUBLE_EQ(m.accuracy(z), 4.0 / 5);
}

TEST(Objectives, SizeErrorsNameTheDimension) {
  const MatX<double> A = MatX<double>::Ones(3, 2);
  EXPECT_THROW(cp::LeastSquares<double>(A, VecX<double>::Ones(4)), convlab::InvalidArgument);
  const cp::LeastSquares<double> p(A, VecX<double>::Ones(3), {.intercept = true});
  try {
    (void)p.value(VecX<double>::Ones(2));
    FAIL() << "no exception";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("x has size 2, expected 3 (2 features + intercept)"), std::string::npos)
        << e.what();
  }
  VecX<double> y(3);
  y << 0, 1, 2;
  EXPECT_THROW(cp::Logistic<double>(A, y), convlab::InvalidArgument);
  y << 0, 1.5, 2;
  EXPECT_THROW(cp::Multinomial<double>(A, y), convlab::InvalidArgument);
  MatX<double> bad = A;
  bad(1, 1) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(cp::LeastSquares<double>(bad, VecX<double>::Ones(3)), convlab::InvalidArgument);
  EXPECT_THROW(cp::LeastSquares<double>(A, VecX<double>::Ones(3), {.l2 = -1}), convlab::InvalidArgument);
  const std::vector<Eigen::Index> out_of_range{5};
  VecX<double> g(3);
  EXPECT_THROW(p.gradient(VecX<double>::Ones(3), out_of_range, g), convlab::InvalidArgument);
}

// Regression: labels that name one class twice or leave a class empty were accepted silently.
TEST(Labels, MixedNegativeSpellingsAndEmptyInferredClassesAreRefused) {
  const MatX<double> A = MatX<double>::Ones(3, 2);
  auto message = [&](auto make) {
    try {
      make();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  VecX<double> y(3);
  y << 0, -1, 1;  // 0 and -1 would both be the negative class
  EXPECT_NE(message([&] { cp::Logistic<double>(A, y); }).find("not both 0 and -1 (row 0 has 0, row 1 has -1)"),
            std::string::npos);
  y << 0, 1, 0;
  EXPECT_EQ(message([&] { cp::Logistic<double>(A, y); }), "accepted");
  y << -1, 1, -1;
  EXPECT_EQ(message([&] { cp::Logistic<double>(A, y); }), "accepted");
  y << 1, 2, 3;  // 1-based: class 0 would be empty and its intercept unbounded below
  EXPECT_NE(message([&] { cp::Multinomial<double>(A, y); }).find("class 0 of 0..3 has no rows (labels 1..K?"),
            std::string::npos);
  y << 0, 3, 1;  // a gap
  EXPECT_NE(message([&] { cp::Multinomial<double>(A, y); }).find("class 2 of 0..3 has no rows"), std::string::npos);
  EXPECT_EQ(message([&] { cp::Multinomial<double>(A, y, 4); }), "accepted") << "explicit K keeps empty classes";
  y << 2, 0, 1;
  EXPECT_EQ(message([&] { cp::Multinomial<double>(A, y); }), "accepted");
}

// Same numbers for any thread count: products with several right-hand sides must not go
// through Eigen's parallel GEMM, whose blocking (and so rounding) depends on the threads.
TEST(Objectives, ThreadCountDoesNotChangeValuesGradientsOrLipschitz) {
  std::mt19937_64 rng(convlab::test::test_seed() + 7);
  const MatX<double> A = convlab::test::random_matrix<double>(3000, 60, rng);
  VecX<double> y(3000);
  for (int i = 0; i < 3000; ++i) y[i] = i % 5;
  const VecX<double> x = convlab::test::random_matrix<double>(61 * 5, 1, rng, 0.1);
  auto evaluate = [&](int threads) {
    Eigen::setNbThreads(threads);
    const cp::Multinomial<double> p(A, y, 5, {.l2 = 0.1, .intercept = true});
    VecX<double> g(p.dim());
    const double f = p.value_and_gradient(x, g);
    return std::tuple{f, g, static_cast<double>(p.lipschitz())};
  };
  const auto [f1, g1, L1] = evaluate(1);
  const auto [f2, g2, L2] = evaluate(2);
  Eigen::setNbThreads(0);
  EXPECT_EQ(f1, f2);
  EXPECT_TRUE(g1 == g2);
  EXPECT_EQ(L1, L2);
}

// Sparse designs large enough for several row chunks (detail::row_chunks): Aᵀr is a scatter done
// per chunk on OpenMP threads. The values and gradients equal the dense design's to round-off,
// and have the same bits for 1 and 2 threads (OpenMP's and Eigen's thread counts both set).
TEST(Objectives, ChunkedSparseGradientsEqualDenseOnesAndIgnoreTheThreadCount) {
  std::mt19937_64 rng(convlab::test::test_seed() + 8);
  const Eigen::Index n = 4000, d = 40;
  const cp::SparseDesign<double> As = convlab::test::sparsify<double>(convlab::test::random_matrix<double>(n, d, rng), 0.3, rng);
  ASSERT_GE(cp::detail::row_chunks(As), 4);
  const MatX<double> Ad(As);
  VecX<double> y01(n), y3(n), b(n);
  for (Eigen::Index i = 0; i < n; ++i) y01[i] = i % 3 == 0, y3[i] = static_cast<double>(i % 3), b[i] = std::sin(static_cast<double>(i));
  const cp::LinearModelOptions opt{.l2 = 0.01, .intercept = true};
  auto evaluate = [&](const auto& p, const VecX<double>& x) {
    VecX<double> g(p.dim());
    const double f = p.value_and_gradient(x, g);
    return std::tuple{f, p.value(x), g};
  };
  auto check = [&](const auto& sparse, const auto& dense, const char* name) {
    const VecX<double> x = convlab::test::random_matrix<double>(sparse.dim(), 1, rng, 0.3);
    const auto [fd, vd, gd] = evaluate(dense, x);
    auto with_threads = [&](int threads) {
      Eigen::setNbThreads(threads);
#ifdef _OPENMP
      omp_set_num_threads(threads);
#endif
      return evaluate(sparse, x);
    };
    const auto [f1, v1, g1] = with_threads(1);
    const auto [f2, v2, g2] = with_threads(2);
    Eigen::setNbThreads(0);
    EXPECT_NEAR(f1, fd, 1e-13 * std::abs(fd)) << name;
    EXPECT_EQ(f1, v1) << name << ": value and value_and_gradient sum in the same order";
    EXPECT_LE((g1 - gd).cwiseAbs().maxCoeff(), 1e-13 * (1 + gd.cwiseAbs().maxCoeff())) << name;
    EXPECT_EQ(f1, f2) << name;
    EXPECT_EQ(v1, v2) << name;
    EXPECT_TRUE(g1 == g2) << name;
  };
  check(cp::LeastSquares<double, cp::SparseDesign<double>>(As, b, opt), cp::LeastSquares<double>(Ad, b, opt), "least squares");
  check(cp::Logistic<double, cp::SparseDesign<double>>(As, y01, opt), cp::Logistic<double>(Ad, y01, opt), "logistic");
  check(cp::Multinomial<double, cp::SparseDesign<double>>(As, y3, 3, opt), cp::Multinomial<double>(Ad, y3, 3, opt), "multinomial");
}
