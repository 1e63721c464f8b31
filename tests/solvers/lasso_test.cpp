// The lasso / elastic-net coordinate-descent solver against an independent accelerated
// proximal-gradient solve, its own duality-gap certificate, and its path.
#include <gtest/gtest.h>

#include <convlab/solvers/lasso_cd.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
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
  VecX<double> y;
};
Data make(Index n, Index p, unsigned seed) {
  std::mt19937_64 rng(seed);
  Data d{convlab::test::random_matrix<double>(n, p, rng), VecX<double>(n)};
  VecX<double> w = VecX<double>::Zero(p);
  for (Index j = 0; j < 8; ++j) w[(j * 7) % p] = (j % 2 ? 1.0 : -2.0);
  d.y = d.X * w;
  for (Index i = 0; i < n; ++i) d.y[i] += 0.5 * std::normal_distribution<double>()(rng);
  return d;
}
// X with each entry set to 0 with probability `zero_share` (a sparse design with X's values).
MatX<double> thinned(const MatX<double>& X, double zero_share, unsigned seed) {
  std::mt19937_64 rng(seed);
  MatX<double> out = X;
  for (Index j = 0; j < out.cols(); ++j)
    for (Index i = 0; i < out.rows(); ++i)
      if (std::uniform_real_distribution<double>()(rng) < zero_share) out(i, j) = 0;
  return out;
}
// P(w) for the solver's scaling.
double objective(const Data& d, const VecX<double>& w, double lambda, double alpha) {
  const double n = static_cast<double>(d.X.rows());
  return (d.y - d.X * w).squaredNorm() / (2 * n) + lambda * (alpha * w.lpNorm<1>() + (1 - alpha) / 2 * w.squaredNorm());
}
// Reference: FISTA on the same objective (LeastSquares is 1/(2n)‖Xw − y‖² (+ l2/2‖w‖²)).
VecX<double> reference(const Data& d, double lambda, double alpha) {
  cp::LeastSquares<double> f(d.X, d.y, {0, lambda * (1 - alpha), false});
  VecX<double> w = VecX<double>::Zero(d.X.cols());
  const auto r = co::proximal_gradient(f, cp::L1<double>{lambda * alpha}, w, f.lipschitz(), {.max_iterations = 1000000, .kkt_tolerance = 1e-13});
  EXPECT_LE(r.certificate.value, 1e-12);
  return w;
}
}  // namespace

TEST(LassoCd, MatchesProximalGradientDenseAndSparseLassoAndElasticNet) {
  for (auto [n, p] : {std::pair<Index, Index>{100, 40}, {60, 200}}) {
    const Data d = make(n, p, convlab::test::test_seed());
    const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
    for (double alpha : {1.0, 0.5}) {
      cs::LassoSolver<MatX<double>> probe(d.X, d.y, {.alpha = alpha});
      const double lambda = 0.1 * probe.lambda_max();
      const VecX<double> ws = reference(d, lambda, alpha);
      const double pstar = objective(d, ws, lambda, alpha);
      for (bool sparse : {false, true}) {
        SCOPED_TRACE(testing::Message() << "n " << n << " p " << p << " alpha " << alpha << (sparse ? " sparse" : " dense"));
        const auto r = sparse ? cs::lasso_cd(Xs, d.y, lambda, {.alpha = alpha, .tolerance = 1e-10})
                              : cs::lasso_cd(d.X, d.y, lambda, {.alpha = alpha, .tolerance = 1e-10});
        EXPECT_TRUE(r.converged());
        EXPECT_EQ(r.status, convlab::optim::Status::DualityGap);
        EXPECT_EQ(r.certificate.tolerance, 1e-10);
        EXPECT_LE(r.certificate.value, 1e-10);
        EXPECT_EQ(r.certificate.value, (r.certificate.primal - r.certificate.dual) / r.certificate.primal);
        EXPECT_NEAR(r.certificate.primal, objective(d, r.w, lambda, alpha), 1e-12 * r.certificate.primal);
        EXPECT_LE(r.certificate.primal - pstar, 1e-8 * pstar) << "objective against the reference";
        EXPECT_LE(r.certificate.dual, pstar * (1 + 1e-12)) << "the dual value must bound the optimum from below";
        EXPECT_LE((r.w - ws).norm(), 1e-4 * (1 + ws.norm()));
      }
    }
  }
}

// A MatX<double> or compressed column-major sparse design is read in place; any other design is
// converted once. Both give the same bits, and a temporary design cannot reach the solver.
TEST(LassoCd, DesignsReadInPlaceAndConvertedGiveTheSameBits) {
  static_assert(!std::is_constructible_v<cs::LassoSolver<MatX<double>>, MatX<double>&&, const VecX<double>&>);
  static_assert(std::is_constructible_v<cs::LassoSolver<MatX<double>>, const MatX<double>&, const VecX<double>&>);
  const Data d = make(80, 120, convlab::test::test_seed() + 5);
  const double lambda = 0.05 * cs::LassoSolver<MatX<double>>(d.X, d.y).lambda_max();
  const cs::LassoPathOptions path{.n_lambdas = 5, .ratio = 0.1, .lasso = {.tolerance = 1e-10}};
  const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Xrow = d.X;
  const auto dense = cs::lasso_cd(d.X, d.y, lambda), dense_converted = cs::lasso_cd(Xrow, d.y, lambda);
  EXPECT_TRUE(dense.w == dense_converted.w);
  EXPECT_EQ(dense.certificate.primal, dense_converted.certificate.primal);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  Eigen::SparseMatrix<double> Xs_uncompressed = Xs;
  Xs_uncompressed.uncompress();
  const Eigen::SparseMatrix<double, Eigen::RowMajor> Xs_row = Xs;
  const auto sparse = cs::lasso_path(Xs, d.y, path);
  for (const auto& other : {cs::lasso_path(Xs_uncompressed, d.y, path), cs::lasso_path(Xs_row, d.y, path)}) {
    ASSERT_EQ(other.size(), sparse.size());
    for (std::size_t k = 0; k < sparse.size(); ++k) {
      EXPECT_TRUE(other[k].w == sparse[k].w) << k;
      EXPECT_EQ(other[k].certificate.value, sparse[k].certificate.value) << k;
    }
  }
  EXPECT_TRUE(Xs_uncompressed.isCompressed() == false);  // the caller's matrix is left as it was
}

// A contiguous Eigen::Ref (what the Python binding passes for a Fortran-ordered array) is read in
// place and a strided one (a block of rows) is copied: both give the bits of the matrix itself.
TEST(LassoCd, RefDesignsGiveTheBitsOfTheMatrix) {
  const Data d = make(60, 40, convlab::test::test_seed() + 9);
  const double lambda = 0.1 * cs::LassoSolver<MatX<double>>(d.X, d.y).lambda_max();
  const auto plain = cs::lasso_cd(d.X, d.y, lambda);
  const Eigen::Ref<const MatX<double>> whole(d.X);
  MatX<double> tall = MatX<double>::Constant(80, 40, 7.0);
  tall.topRows(60) = d.X;
  const Eigen::Ref<const MatX<double>> rows(tall.topRows(60));
  ASSERT_EQ(whole.outerStride(), 60);
  ASSERT_EQ(rows.outerStride(), 80);
  for (const auto* X : {&whole, &rows}) {
    const auto r = cs::lasso_cd(*X, d.y, lambda);
    ASSERT_TRUE(r.converged());
    EXPECT_EQ(r.w, plain.w);
    EXPECT_EQ(r.certificate.value, plain.certificate.value);
  }
}

// Every acceleration is optional and changes the path taken, not the answer.
TEST(LassoCd, WorkingSetsScreeningAndAndersonDoNotChangeTheSolution) {
  const Data d = make(80, 300, convlab::test::test_seed() + 1);
  const double lambda = 0.05 * cs::LassoSolver<MatX<double>>(d.X, d.y).lambda_max();
  const auto plain = cs::lasso_cd(d.X, d.y, lambda, {.tolerance = 1e-12, .working_sets = false, .screening = false, .anderson = false});
  const auto fast = cs::lasso_cd(d.X, d.y, lambda, {.tolerance = 1e-12});
  EXPECT_TRUE(plain.converged() && fast.converged());
  EXPECT_NEAR(plain.certificate.primal, fast.certificate.primal, 1e-10 * plain.certificate.primal);
  EXPECT_LE((plain.w - fast.w).norm(), 1e-5 * (1 + plain.w.norm()));
  EXPECT_LT(fast.working_set, 300);
  // Gap-safe screening acts where a check finds a small gap: a warm start near the answer.
  const auto rough = cs::lasso_cd(d.X, d.y, lambda, {.tolerance = 1e-3});
  const auto screened = cs::lasso_cd(d.X, d.y, lambda, {.tolerance = 1e-12}, rough.w);
  EXPECT_TRUE(screened.converged());
  EXPECT_GT(screened.screened, 0) << "gap-safe screening removed nothing";
  EXPECT_NEAR(plain.certificate.primal, screened.certificate.primal, 1e-10 * plain.certificate.primal);
}

// The working sets' own gap-safe rule (features set aside within a λ's subproblem) against no
// screening at all, down sparse lasso and elastic-net paths whose late working sets hold many
// features that stay 0: the same objective at every λ, recomputed here from w, each certified.
TEST(LassoCd, WorkingSetPruningKeepsEveryAnswerOnPaths) {
  const Data d = make(200, 600, convlab::test::test_seed() + 8);
  const Data problem{thinned(d.X, 0.9, convlab::test::test_seed() + 9), d.y};
  const Eigen::SparseMatrix<double> Xs = problem.X.sparseView();
  for (double alpha : {1.0, 0.5}) {
    SCOPED_TRACE(testing::Message() << "alpha " << alpha);
    cs::LassoPathOptions o{.n_lambdas = 20, .ratio = 0.01, .lasso = {.alpha = alpha, .tolerance = 1e-10, .gram = false}};
    const auto pruning = cs::lasso_path(Xs, d.y, o);
    o.lasso.screening = false;
    const auto plain = cs::lasso_path(Xs, d.y, o);
    Index pruned = 0;
    for (std::size_t k = 0; k < pruning.size(); ++k) {
      EXPECT_TRUE(pruning[k].converged() && plain[k].converged()) << k;
      EXPECT_NEAR(pruning[k].certificate.primal, objective(problem, pruning[k].w, pruning[k].lambda, alpha), 1e-12 * pruning[k].certificate.primal) << k;
      EXPECT_NEAR(pruning[k].certificate.primal, plain[k].certificate.primal, 3e-10 * plain[k].certificate.primal) << k;
      EXPECT_EQ(plain[k].pruned, 0);
      pruned += pruning[k].pruned;
    }
    EXPECT_GT(pruned, 0) << "the working sets' gap-safe rule set nothing aside";
  }
}

// Updates through the working set's Gram matrix (x_kᵀr kept, r rebuilt at the end) against the
// residual updates, on warm-started paths: the same objective at every λ, each certified, with
// the objective recomputed here from w (a lost update in either bookkeeping would show).
TEST(LassoCd, GramUpdatesMatchResidualUpdatesOnPathsDenseAndSparse) {
  const Data d = make(200, 80, convlab::test::test_seed() + 6);
  const MatX<double> sparse_X = thinned(d.X, 0.7, convlab::test::test_seed() + 7);
  const Eigen::SparseMatrix<double> Xs = sparse_X.sparseView();
  for (double alpha : {1.0, 0.5}) {
    for (bool sparse : {false, true}) {
      SCOPED_TRACE(testing::Message() << "alpha " << alpha << (sparse ? " sparse" : " dense"));
      const Data problem{sparse ? sparse_X : d.X, d.y};
      cs::LassoPathOptions o{.n_lambdas = 15, .ratio = 0.01, .lasso = {.alpha = alpha, .tolerance = 1e-10}};
      const auto gram = sparse ? cs::lasso_path(Xs, d.y, o) : cs::lasso_path(d.X, d.y, o);
      o.lasso.gram = false;
      const auto plain = sparse ? cs::lasso_path(Xs, d.y, o) : cs::lasso_path(d.X, d.y, o);
      long long gram_epochs = 0, plain_gram_epochs = 0, passes = 0;
      for (std::size_t k = 0; k < gram.size(); ++k) {
        EXPECT_TRUE(gram[k].converged() && plain[k].converged()) << k;
        EXPECT_NEAR(gram[k].certificate.primal, objective(problem, gram[k].w, gram[k].lambda, alpha), 1e-12 * gram[k].certificate.primal) << k;
        EXPECT_NEAR(gram[k].certificate.primal, plain[k].certificate.primal, 3e-10 * plain[k].certificate.primal) << k;
        gram_epochs += gram[k].gram_epochs, plain_gram_epochs += plain[k].gram_epochs, passes += gram[k].full_passes;
      }
      EXPECT_GT(gram_epochs, 0) << "the Gram updates never ran";
      EXPECT_EQ(plain_gram_epochs, 0);
      // A warm start from the previous λ reuses its residual and correlations: about one pass
      // over X per λ (the strong rule and the first gap check are free).
      EXPECT_LE(passes, 2 * o.n_lambdas);
    }
  }
}

// A first solve on a tall design with few features (at most LassoSolver::kGramFirstSolve)
// updates through G from the start: the same objective as residual updates, certified, with the
// objective recomputed here from w.
TEST(LassoCd, FirstSolveOfFewFeaturesUsesGramUpdatesAndTheSameAnswer) {
  const Data d = make(300, 8, convlab::test::test_seed() + 8);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (double alpha : {1.0, 0.5})
    for (bool sparse : {false, true})
      for (double fraction : {0.3, 0.01}) {
        SCOPED_TRACE(testing::Message() << "alpha " << alpha << (sparse ? " sparse" : " dense") << " λ/λmax " << fraction);
        const double lambda = fraction * cs::LassoSolver<MatX<double>>(d.X, d.y, {.alpha = alpha}).lambda_max();
        cs::LassoOptions o{.alpha = alpha, .tolerance = 1e-10};
        const auto gram = sparse ? cs::lasso_cd(Xs, d.y, lambda, o) : cs::lasso_cd(d.X, d.y, lambda, o);
        o.gram = false;
        const auto plain = sparse ? cs::lasso_cd(Xs, d.y, lambda, o) : cs::lasso_cd(d.X, d.y, lambda, o);
        ASSERT_TRUE(gram.converged() && plain.converged());
        EXPECT_GT(gram.gram_epochs, 0);
        EXPECT_EQ(plain.gram_epochs, 0);
        EXPECT_NEAR(gram.certificate.primal, objective(d, gram.w, lambda, alpha), 1e-12 * gram.certificate.primal);
        EXPECT_NEAR(gram.certificate.primal, plain.certificate.primal, 3e-10 * plain.certificate.primal);
      }
}

TEST(LassoCd, PathStartsAtZeroAndEveryPointIsCertified) {
  const Data d = make(120, 60, convlab::test::test_seed() + 2);
  const auto path = cs::lasso_path(d.X, d.y, {.n_lambdas = 20, .lasso = {.tolerance = 1e-9}});
  ASSERT_EQ(path.size(), 20u);
  EXPECT_EQ(path.front().nonzeros, 0);
  for (std::size_t k = 0; k < path.size(); ++k) {
    EXPECT_TRUE(path[k].converged()) << k;
    if (k > 0) {
      EXPECT_LT(path[k].lambda, path[k - 1].lambda);
    }
  }
  EXPECT_GT(path.back().nonzeros, 8);
  // The last point against the reference.
  const VecX<double> ws = reference(d, path.back().lambda, 1.0);
  EXPECT_LE(path.back().certificate.primal - objective(d, ws, path.back().lambda, 1.0), 1e-8 * path.back().certificate.primal);
}

// λ_max comes from the constructor's pass (the norms and Xᵀy together): it equals ‖Xᵀy‖∞/(nα)
// computed here by Eigen, and w = 0 is optimal at it while a slightly smaller λ moves w.
TEST(LassoCd, LambdaMaxIsTheLargestCorrelationOfY) {
  const Data d = make(70, 30, convlab::test::test_seed() + 10);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (double alpha : {1.0, 0.5}) {
    const double expected = (d.X.transpose() * d.y).cwiseAbs().maxCoeff() / (70 * alpha);
    cs::LassoSolver<MatX<double>> dense(d.X, d.y, {.alpha = alpha});
    const double lmax = dense.lambda_max();
    EXPECT_NEAR(lmax, expected, 1e-13 * expected);
    EXPECT_NEAR(cs::LassoSolver<Eigen::SparseMatrix<double>>(Xs, d.y, {.alpha = alpha}).lambda_max(), expected, 1e-13 * expected);
    EXPECT_EQ(dense.solve(lmax).nonzeros, 0);
    EXPECT_GT(dense.solve(0.99 * lmax).nonzeros, 0);
  }
}

// A cold start's first working set holds p/64 features, the KKT violators first, and a set that
// holds every violator is solved to the end: on a wide sparse problem whose violators at w = 0
// fit in it, the first global check certifies the answer (it took 5 checks growing from 10).
TEST(LassoCd, ColdStartWhoseViolatorsFitTheFirstWorkingSetNeedsOneCheck) {
  std::mt19937_64 rng(convlab::test::test_seed() + 11);
  const Index n = 300, p = 6400;
  std::vector<Eigen::Triplet<double>> entries;
  for (Index j = 0; j < p; ++j)
    for (Index i = 0; i < n; ++i)
      if (std::uniform_real_distribution<double>()(rng) < 0.05) entries.emplace_back(i, j, std::normal_distribution<double>()(rng));
  Eigen::SparseMatrix<double> X(n, p);
  X.setFromTriplets(entries.begin(), entries.end());
  VecX<double> w_true = VecX<double>::Zero(p);
  for (Index j = 0; j < 10; ++j) w_true[j * 631] = j % 2 ? 1.0 : -1.5;
  VecX<double> y = X * w_true;
  for (Index i = 0; i < n; ++i) y[i] += 0.1 * std::normal_distribution<double>()(rng);
  cs::LassoSolver<Eigen::SparseMatrix<double>> solver(X, y, {.tolerance = 1e-10});
  const double lambda = 0.5 * solver.lambda_max();
  const VecX<double> corr = X.transpose() * y;
  const auto violators = (corr.array().abs() > static_cast<double>(n) * lambda).count();
  ASSERT_GT(violators, 0);
  ASSERT_LE(violators, p / 64);
  const auto r = solver.solve(lambda);
  ASSERT_TRUE(r.converged());
  EXPECT_EQ(r.full_passes, 1);
  const VecX<double> reference_w = cs::lasso_cd(X, y, lambda, {.tolerance = 1e-10, .working_sets = false}).w;
  EXPECT_LE((r.w - reference_w).norm(), 1e-4 * (1 + reference_w.norm()));
}

TEST(LassoCd, RejectsBadInput) {
  const Data d = make(20, 5, 1);
  EXPECT_THROW(cs::lasso_cd(d.X, d.y, -1.0), convlab::InvalidArgument);
  EXPECT_THROW(cs::lasso_cd(d.X, d.y, 0.1, {.alpha = 0}), convlab::InvalidArgument);
  EXPECT_THROW(cs::lasso_cd(d.X, VecX<double>::Zero(3), 0.1), convlab::InvalidArgument);
  VecX<double> bad = d.y;
  bad[2] = std::nan("");
  EXPECT_THROW(cs::lasso_cd(d.X, bad, 0.1), convlab::InvalidArgument);
}

// The reference solver's budgets: a spent time limit stops it at its next check (the first comes
// after one step), with the status saying why; the iteration count is the steps taken.
TEST(ProximalGradient, StopsOnItsTimeLimitAndCountsItsSteps) {
  const Data d = make(50, 10, 1);
  cp::LeastSquares<double> f(d.X, d.y);
  VecX<double> w = VecX<double>::Zero(10);
  auto r = co::proximal_gradient(f, cp::L1<double>{0.1}, w, f.lipschitz(), {.max_iterations = 1000000, .kkt_tolerance = 1e-300, .time_limit = 1e-12});
  EXPECT_EQ(r.status, co::Status::TimeLimit);
  EXPECT_EQ(r.iterations, 1);
  w.setZero();
  r = co::proximal_gradient(f, cp::L1<double>{0.1}, w, f.lipschitz(), {.max_iterations = 7, .kkt_tolerance = 1e-300});
  EXPECT_EQ(r.status, co::Status::MaxIterations);
  EXPECT_EQ(r.iterations, 7);
  EXPECT_THROW(co::proximal_gradient(f, cp::L1<double>{0.1}, w, f.lipschitz(), {.time_limit = 0}), convlab::InvalidArgument);
}

// Labels y > 0 of a Data set, and ‖∇f(0)‖∞ of the mean logistic loss f on them (λ_max of the L1
// problem), computed by problems::Logistic, independently of logistic_l1.
std::pair<VecX<double>, double> logistic_labels(const Data& d) {
  VecX<double> labels = d.y.unaryExpr([](double v) { return v > 0 ? 1.0 : 0.0; });
  cp::Logistic<double> f(d.X, labels);
  VecX<double> g0(d.X.cols());
  cp::gradient(f, VecX<double>::Zero(d.X.cols()).eval(), g0);
  return {labels, g0.cwiseAbs().maxCoeff()};
}

// L1-logistic by proximal Newton + CD against FISTA on the same objective, dense and sparse.
TEST(LogisticL1, MatchesProximalGradientAndCertifiesItsGap) {
  const Data d = make(150, 60, convlab::test::test_seed() + 3);
  const auto [labels, gmax] = logistic_labels(d);
  cp::Logistic<double> f(d.X, labels);
  const double lambda = 0.05 * gmax;
  VecX<double> w = VecX<double>::Zero(60);
  const auto ref = co::proximal_gradient(f, cp::L1<double>{lambda}, w, f.lipschitz(), {.max_iterations = 2000000, .kkt_tolerance = 1e-13});
  EXPECT_LE(ref.certificate.value, 1e-12);
  const double pstar = f.value(w) + lambda * w.lpNorm<1>();
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (bool sparse : {false, true}) {
    const auto r = sparse ? cs::logistic_l1(Xs, labels, lambda) : cs::logistic_l1(d.X, labels, lambda);
    EXPECT_TRUE(r.converged()) << r.certificate.value;
    EXPECT_LE(r.certificate.primal - pstar, 1e-8 * pstar);
    EXPECT_LE(r.certificate.dual, pstar * (1 + 1e-12)) << "the dual value must bound the optimum from below";
    EXPECT_NEAR(r.certificate.primal, f.value(r.w) + lambda * r.w.lpNorm<1>(), 1e-12 * pstar);
    EXPECT_LE((r.w - w).norm(), 1e-4 * (1 + w.norm()));
  }
  EXPECT_THROW(cs::logistic_l1(d.X, VecX<double>::Constant(150, 2.0), lambda), convlab::InvalidArgument);
}

// A wide design with more KKT violators at w = 0 than the active set admits (its cap): the
// set grows over restricted Newton rounds, and the answer is still FISTA's optimum, certified.
TEST(LogisticL1, CappedActiveSetsOnAWideDesignReachTheOptimum) {
  const Data d = make(100, 600, convlab::test::test_seed() + 7);
  const auto [labels, gmax] = logistic_labels(d);
  cp::Logistic<double> f(d.X, labels);
  const double lambda = 0.1 * gmax;
  VecX<double> g0(600);
  cp::gradient(f, VecX<double>::Zero(600).eval(), g0);
  ASSERT_GT((g0.array().abs() > lambda).count(), 64) << "the cap must bind at w = 0";
  VecX<double> w = VecX<double>::Zero(600);
  co::proximal_gradient(f, cp::L1<double>{lambda}, w, f.lipschitz(), {.max_iterations = 2000000, .kkt_tolerance = 1e-13});
  const double pstar = f.value(w) + lambda * w.lpNorm<1>();
  const auto r = cs::logistic_l1(d.X, labels, lambda, {.tolerance = 1e-10});
  EXPECT_TRUE(r.converged()) << r.certificate.value;
  EXPECT_LE(r.certificate.primal - pstar, 1e-9 * pstar);
  EXPECT_LE(r.certificate.dual, pstar * (1 + 1e-12));
  EXPECT_NEAR(r.certificate.primal, f.value(r.w) + lambda * r.w.lpNorm<1>(), 1e-12 * pstar);
  // A path through the same λ on the same design: its points are optima too.
  const auto path = cs::logistic_l1_path(d.X, labels, {.n_lambdas = 8, .ratio = 0.1, .logistic = {.tolerance = 1e-10}});
  EXPECT_NEAR(path.back().lambda, lambda, 1e-14 * lambda);
  EXPECT_NEAR(path.back().certificate.primal, pstar, 2e-10 * pstar);
}

// The warm-started L1-logistic path: w = 0 exactly at λ_max and not below it, every point
// certified, and each the same optimum as a cold solve at its λ (dense and sparse designs).
TEST(LogisticL1, PathStartsAtLambdaMaxAndEachPointIsACertifiedOptimum) {
  const Data d = make(120, 40, convlab::test::test_seed() + 5);
  const auto [labels, gmax] = logistic_labels(d);
  const double lmax = cs::logistic_l1_lambda_max(d.X, labels);
  EXPECT_NEAR(lmax, gmax, 1e-14 * lmax);  // against the loss's gradient at w = 0
  cp::Logistic<double> f(d.X, labels);
  EXPECT_EQ(cs::logistic_l1(d.X, labels, lmax * (1 + 1e-9)).nonzeros, 0);
  EXPECT_GT(cs::logistic_l1(d.X, labels, lmax * 0.98).nonzeros, 0);
  const Eigen::SparseMatrix<double> Xs = d.X.sparseView();
  for (bool sparse : {false, true}) {
    const cs::LogisticL1PathOptions o{.n_lambdas = 12, .ratio = 0.02, .logistic = {.tolerance = 1e-10}};
    const auto path = sparse ? cs::logistic_l1_path(Xs, labels, o) : cs::logistic_l1_path(d.X, labels, o);
    ASSERT_EQ(path.size(), 12u);
    EXPECT_DOUBLE_EQ(path.front().lambda, lmax);
    EXPECT_EQ(path.front().nonzeros, 0);
    EXPECT_NEAR(path.back().lambda, 0.02 * lmax, 1e-14 * lmax);
    for (std::size_t k = 0; k < path.size(); ++k) {
      EXPECT_TRUE(path[k].converged()) << k;
      if (k > 0) {
        EXPECT_LT(path[k].lambda, path[k - 1].lambda);
      }
      const auto cold = cs::logistic_l1(d.X, labels, path[k].lambda, {.tolerance = 1e-10});
      EXPECT_NEAR(path[k].certificate.primal, cold.certificate.primal, 2e-10 * cold.certificate.primal) << k;
      EXPECT_NEAR(path[k].certificate.primal, f.value(path[k].w) + path[k].lambda * path[k].w.lpNorm<1>(), 1e-12 * cold.certificate.primal) << k;
    }
    EXPECT_GT(path.back().nonzeros, 10);
  }
  EXPECT_THROW(cs::logistic_l1_path(d.X, labels, {.n_lambdas = 0, .ratio = 0, .logistic = {}}), convlab::InvalidArgument);
  EXPECT_THROW(cs::logistic_l1_path(d.X, labels, {.n_lambdas = 5, .ratio = 1, .logistic = {}}), convlab::InvalidArgument);
  EXPECT_THROW(cs::logistic_l1_path(d.X, VecX<double>::Zero(7), {}), convlab::InvalidArgument);
}

// The common Report: a spent budget is MaxIterations with the certificate of the point returned
// (not a stale one), and the same point certified afresh gives the same gap.
TEST(LassoCd, ABudgetStopReportsMaxIterationsWithTheReturnedPointsCertificate) {
  const Data d = make(80, 120, convlab::test::test_seed());
  cs::LassoSolver<MatX<double>> probe(d.X, d.y, {.tolerance = 1e-14});
  const double lambda = 0.01 * probe.lambda_max();
  const auto r = cs::lasso_cd(d.X, d.y, lambda, {.tolerance = 1e-14, .max_epochs = 3});
  EXPECT_EQ(r.status, convlab::optim::Status::MaxIterations);
  EXPECT_FALSE(r.converged());
  EXPECT_GE(r.iterations, 3);
  EXPECT_GT(r.certificate.value, r.certificate.tolerance);
  EXPECT_NEAR(probe.certify(lambda, r.w).certificate.value, r.certificate.value, 1e-9);
  EXPECT_GT(r.seconds, 0);
}
