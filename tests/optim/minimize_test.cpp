// minimize: convergence to independently computed optima (Newton, QR, Ceres L-BFGS),
// stopping rules, the NaN/Inf guard, callbacks and seeded minibatches.
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/two_pass_refinement.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/preprocessing.hpp>
#ifdef CONVLAB_TEST_CERES
#include <convlab/optim/ceres_lbfgs.hpp>
#endif

#include <Eigen/QR>

#include "test_support.hpp"

namespace co = convlab::optim;
namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;

namespace {
/// L2-logistic regression on the standardized breast-cancer data (569 × 30, shipped).
cp::Logistic<double> breast_cancer_logistic(double l2 = 1e-2) {
  auto ds = cp::load_csv(convlab::test::data_path("breast_cancer.csv"), {.response = "y"});
  cp::standardize(ds.X);
  return cp::Logistic<double>(ds.X, ds.y, {.l2 = l2, .intercept = true});
}
VecX<double> newton_optimum(const cp::Logistic<double>& p) {
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto s = co::newton(p, x, {.gradient_tolerance = 1e-13});
  EXPECT_LE(s.final_grad_norm, 1e-12) << s.full_report();
  return x;
}
double relative(double a, double b) { return std::abs(a - b) / std::abs(b); }
}  // namespace

TEST(Minimize, GradientDescentReachesTheNewtonOptimumOnRealData) {
  const auto p = breast_cancer_logistic();
  const VecX<double> xstar = newton_optimum(p);
  const double fstar = p.value(xstar);
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 50000, .gradient_tolerance = 1e-9},
                              1.0 / p.lipschitz());
  EXPECT_EQ(s.status, co::Status::GradientTolerance) << s.full_report();
  EXPECT_LE(relative(s.final_value, fstar), 1e-8) << s.brief_report();
  EXPECT_LE((x - xstar).norm() / xstar.norm(), 1e-6);
  EXPECT_DOUBLE_EQ(s.final_value, p.value(x));
}

TEST(Minimize, AdamWReachesTheNewtonOptimumOnRealData) {
  const auto p = breast_cancer_logistic();
  const double fstar = p.value(newton_optimum(p));
  VecX<double> x = VecX<double>::Zero(p.dim());
  // weight_decay = 0: the L2 term is part of the objective, not decoupled decay. With a
  // constant lr AdamW stalls near the optimum (|g| ~ 5e-4 at lr 1e-2); linear decay to zero
  // (lr_t = lr₀·(1 − t/T)) takes the last iterate to the optimum.
  const long long T = 5000;
  const auto linear_decay = [T](std::int64_t t) { return 1e-2 * (1.0 - static_cast<double>(t) / T); };
  const auto s = co::minimize(p, co::AdamW<double>({.weight_decay = 0.0}), x, {.max_iterations = T}, linear_decay);
  EXPECT_LE(relative(s.final_value, fstar), 1e-8) << s.brief_report();
}

TEST(Minimize, HeavyBallAndNesterovReachTheOptimum) {
  const auto p = breast_cancer_logistic();
  const double fstar = p.value(newton_optimum(p));
  for (bool nesterov : {false, true}) {
    VecX<double> x = VecX<double>::Zero(p.dim());
    const auto s = co::minimize(p, co::Sgd<double>({.momentum = 0.9, .nesterov = nesterov}), x,
                                {.max_iterations = 20000, .gradient_tolerance = 1e-9}, 0.5 / p.lipschitz());
    EXPECT_LE(relative(s.final_value, fstar), 1e-8) << "nesterov " << nesterov << ": " << s.brief_report();
  }
}

#ifdef CONVLAB_TEST_CERES
TEST(Minimize, NewtonAgreesWithCeresLbfgs) {
  const auto p = breast_cancer_logistic();
  const VecX<double> xstar = newton_optimum(p);
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto summary = co::ceres_lbfgs(p, x);
  EXPECT_TRUE(summary.IsSolutionUsable()) << summary.FullReport();
  // Objective values agree to rounding; the iterate to what a line search on f can resolve
  // (‖Δx‖ ~ √(2·ε·f/μ) ≈ 5e-8 here).
  EXPECT_LE(relative(p.value(x), p.value(xstar)), 1e-12) << summary.BriefReport();
  EXPECT_LE((x - xstar).norm() / xstar.norm(), 1e-6) << summary.BriefReport();
}
#endif

TEST(Minimize, LeastSquaresMatchesADirectSolve) {
  auto ds = cp::load_csv(convlab::test::data_path("diabetes.csv"), {.response = "y"});
  cp::standardize(ds.X);
  const cp::LeastSquares<double> p(ds.X, ds.y, {.intercept = true});
  MatX<double> Aa(ds.X.rows(), ds.X.cols() + 1);
  Aa << ds.X, VecX<double>::Ones(ds.X.rows());
  const VecX<double> exact = Aa.colPivHouseholderQr().solve(ds.y);
  VecX<double> x = VecX<double>::Zero(p.dim());
  const auto s = co::minimize(p, co::Sgd<double>({.momentum = 0.9}), x,
                              {.max_iterations = 200000, .gradient_tolerance = 1e-10}, 0.5 / p.lipschitz());
  EXPECT_EQ(s.status, co::Status::GradientTolerance) << s.brief_report();
  EXPECT_LE((x - exact).norm() / exact.norm(), 1e-8);
  VecX<double> xn = VecX<double>::Zero(p.dim());
  co::newton(p, xn);
  EXPECT_LE((xn - exact).norm() / exact.norm(), 1e-10);
}

TEST(Minimize, NonFiniteGuardStopsAndRestoresTheLastFiniteIterate) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = convlab::test::random_matrix<double>(50, 5, rng);
  const cp::LeastSquares<double> p(A, VecX<double>::Ones(50));
  VecX<double> x = VecX<double>::Zero(5);
  const auto s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 100000}, 1e3 / p.lipschitz());
  EXPECT_EQ(s.status, co::Status::NonFinite);
  EXPECT_FALSE(s.is_solution_usable());
  EXPECT_NE(s.message.find("at iteration"), std::string::npos) << s.message;
  EXPECT_TRUE(x.allFinite());
  EXPECT_DOUBLE_EQ(p.value(x), s.history.back().value);
}

TEST(Minimize, StoppingRules) {
  const auto p = breast_cancer_logistic();
  VecX<double> x = VecX<double>::Zero(p.dim());
  auto s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 7}, 0.1);
  EXPECT_EQ(s.status, co::Status::MaxIterations);
  EXPECT_EQ(s.iterations, 7);
  EXPECT_EQ(s.history.size(), 8u);  // iterations 0..7
  EXPECT_EQ(s.history.back().iteration, 7);
  x.setZero();
  s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 100000, .relative_tolerance = 1e-6}, 0.1);
  EXPECT_EQ(s.status, co::Status::RelativeDecrease);
  const auto& h = s.history;
  EXPECT_LE(std::abs(h[h.size() - 2].value - h.back().value), 1e-6 * std::max(1.0, h.back().value));
  x.setZero();
  s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 100000000, .time_limit = 0.05}, 0.1);
  EXPECT_EQ(s.status, co::Status::TimeLimit);
  EXPECT_LT(s.seconds, 1.0);
  x.setZero();
  s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 100000}, 0.0,  // lr 0: no progress
                   co::EarlyStopping{.patience = 5});
  EXPECT_EQ(s.status, co::Status::CallbackStop);
  EXPECT_EQ(s.iterations, 5);
}

TEST(Minimize, CallbacksSeeEveryEvaluationAndSchedulesAreCalledWithTheStep) {
  const auto p = breast_cancer_logistic();
  VecX<double> x = VecX<double>::Zero(p.dim());
  std::vector<co::IterationRecord> seen;
  std::ostringstream log;
  const auto s = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 10},
                              [](std::int64_t t) { return 0.1 / (1.0 + static_cast<double>(t)); },
                              co::RecordHistory{&seen}, co::LogEvery{.every = 5, .os = &log});
  ASSERT_EQ(seen.size(), s.history.size());
  for (std::size_t k = 0; k < seen.size(); ++k) {
    EXPECT_EQ(seen[k].value, s.history[k].value);
    EXPECT_DOUBLE_EQ(seen[k].lr, 0.1 / (1.0 + static_cast<double>(k)));
  }
  EXPECT_NE(log.str().find("iter        5"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("max_iterations after 10 iterations"), std::string::npos) << log.str();
}

// Off a terminal the progress callback writes whole lines, at most one per line_seconds; on a
// terminal it redraws one bar (carriage returns) and ends it with a newline.
TEST(Minimize, ProgressWritesLinesOffTerminalAndABarOnOne) {
  const auto p = breast_cancer_logistic();
  std::size_t records = 0;
  const auto progress = [&](bool terminal, double line_seconds) {
    std::FILE* f = std::tmpfile();
    VecX<double> x = VecX<double>::Zero(p.dim());
    records = co::minimize(p, co::GradientDescent<double>{}, x, {.max_iterations = 4}, 1e-6,
                 co::ProgressBar{.total = 4, .line_seconds = line_seconds, .out = f, .terminal = terminal}).history.size();
    std::rewind(f);
    std::string text;
    for (int ch; (ch = std::fgetc(f)) != EOF;) text += static_cast<char>(ch);
    std::fclose(f);
    return text;
  };
  const std::string lines = progress(false, 1e-12);
  EXPECT_EQ(static_cast<std::size_t>(std::count(lines.begin(), lines.end(), '\n')), records) << lines;  // one per evaluation
  EXPECT_NE(lines.find("iteration 4 of 4 (100%)"), std::string::npos) << lines;
  EXPECT_EQ(lines.find('\r'), std::string::npos) << lines;
  EXPECT_EQ(progress(false, 3600), "");  // a short run in a log: nothing
  {  // federated runs: rounds, and no gradient norm where none is computed
    std::FILE* f = std::tmpfile();
    co::ProgressBar rounds{.total = 5, .line_seconds = 1e-12, .unit = "round", .out = f, .terminal = false};
    rounds.iteration({.iteration = 3, .value = 2.5, .grad_norm = std::numeric_limits<double>::quiet_NaN()});
    std::rewind(f);
    char line[256] = {};
    ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
    std::fclose(f);
    EXPECT_EQ(std::string(line).rfind("round 3 of 5 (60%)", 0), 0u) << line;
    EXPECT_EQ(std::string(line).find("|g|"), std::string::npos) << line;
  }
  const std::string bar = progress(true, 3600);
  EXPECT_EQ(bar.front(), '\r');
  EXPECT_EQ(bar.back(), '\n');
  EXPECT_EQ(std::count(bar.begin(), bar.end(), '\n'), 1) << bar;
}

TEST(Minimize, SeededMinibatchesAreReproducible) {
  const auto p = breast_cancer_logistic();
  auto run = [&](unsigned long long seed) {
    VecX<double> x = VecX<double>::Zero(p.dim());
    const auto s = co::minimize(p, co::Sgd<double>({.momentum = 0.9}), x,
                                {.max_iterations = 2000, .batch_size = 32, .seed = seed}, 0.05);
    EXPECT_EQ(s.status, co::Status::MaxIterations);
    EXPECT_EQ(s.gradient_evaluations, 2000 + static_cast<long long>(s.history.size()));
    return std::pair{x, s.final_value};
  };
  const auto [a, fa] = run(1);
  const auto [b, fb] = run(1);
  const auto [c, fc] = run(2);
  EXPECT_TRUE(a == b);
  EXPECT_FALSE(a == c);
  const double fstar = p.value(newton_optimum(p));
  EXPECT_LT(fa - fstar, 0.05 * fstar) << "SGD with minibatches makes progress";
}

// Regression: full-batch steps between evaluations used the gradient of the last
// evaluation (GD on diabetes with evaluate_every = 100 blew up to 1e302). Evaluations
// only observe a run; the iterates must be the same bits for any evaluate_every.
TEST(Minimize, FullBatchIteratesDoNotDependOnEvaluateEvery) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = convlab::test::random_matrix<double>(80, 6, rng);
  const VecX<double> b = A * VecX<double>::LinSpaced(6, -1, 1) + 0.1 * VecX<double>::Ones(80);
  const cp::LeastSquares<double> ls(A, b);
  const auto logistic = breast_cancer_logistic();
  constexpr long long T = 60;
  auto check = [&](const auto& problem, const auto& optimizer, double lr, const char* what) {
    SCOPED_TRACE(what);
    VecX<double> reference = VecX<double>::Zero(problem.dim());
    co::minimize(problem, optimizer, reference, {.max_iterations = T, .evaluate_every = 1}, lr);
    for (long long every : {2LL, 7LL, T, T + 5}) {
      VecX<double> x = VecX<double>::Zero(problem.dim());
      const auto s = co::minimize(problem, optimizer, x, {.max_iterations = T, .evaluate_every = every}, lr);
      EXPECT_EQ(s.status, co::Status::MaxIterations);
      EXPECT_TRUE(x == reference) << "evaluate_every = " << every << ": |x - x_ref| = " << (x - reference).norm();
      EXPECT_EQ(s.gradient_evaluations, T + 1) << "one gradient per step and one at the end";
      EXPECT_EQ(s.value_evaluations, (T - 1) / every + 2) << "k = 0, every, 2 every, ... and the end";
    }
  };
  check(ls, co::GradientDescent<double>{}, 1.0 / ls.lipschitz(), "gd, least squares");
  check(logistic, co::GradientDescent<double>{}, 0.5, "gd, logistic");
  check(logistic, co::Lion<double>({.weight_decay = 0.1}), 1e-2, "lion, logistic");
  check(ls, co::AdamW<double>({.weight_decay = 0}), 1e-2, "adamw, least squares");
}

TEST(Minimize, BadOptionsAndSizesAreNamed) {
  const auto p = breast_cancer_logistic();
  VecX<double> x = VecX<double>::Zero(p.dim());
  auto expect_message = [&](const co::MinimizeOptions& o, const std::string& field) {
    try {
      co::minimize(p, co::GradientDescent<double>{}, x, o, 0.1);
      ADD_FAILURE() << "accepted " << field;
    } catch (const convlab::InvalidArgument& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  expect_message({.max_iterations = -1}, "max_iterations");
  expect_message({.gradient_tolerance = -1}, "gradient_tolerance");
  expect_message({.time_limit = 0}, "time_limit");
  expect_message({.batch_size = 100000}, "batch_size");
  VecX<double> wrong(3);
  EXPECT_THROW(co::minimize(p, co::GradientDescent<double>{}, wrong, {}, 0.1), convlab::InvalidArgument);
  EXPECT_THROW(co::minimize(p, co::GradientDescent<double>{}, x, {}, -0.1), std::invalid_argument);
}

TEST(TwoPassRefinement, LogsStepNormsRefinesAndRerunsFromTheSameStart) {
  std::mt19937_64 rng(convlab::test::test_seed() + 9);
  const MatX<double> A = convlab::test::random_matrix<double>(300, 6, rng);
  VecX<double> y(300);
  for (int i = 0; i < 300; ++i) y[i] = (A.row(i).sum() + std::normal_distribution<double>(0, 1)(rng)) > 0 ? 1 : 0;
  const cp::Logistic<double> p(A, y, {.l2 = 1e-2});
  VecX<double> x = VecX<double>::Zero(p.dim());
  const co::MinimizeOptions mo{.max_iterations = 400, .batch_size = 10, .seed = 4};
  const auto r = co::two_pass_refinement(p, co::Sgd<double>{}, x, mo, 0.5, 0.5);
  ASSERT_EQ(r.first.step_gradient_norms.size(), 400u);
  EXPECT_TRUE(r.second.step_gradient_norms.size() == 400u);
  ASSERT_EQ(r.shape.size(), 10000u);
  EXPECT_EQ(r.shape.back(), 0.0);
  EXPECT_EQ(*std::max_element(r.shape.begin(), r.shape.end()), 1.0);
  // The first pass used linear decay from 0.5; the second the refined shape scaled to 0.5.
  EXPECT_DOUBLE_EQ(r.first.history.front().lr, 0.5);
  EXPECT_DOUBLE_EQ(r.second.history.front().lr, 0.5 * r.shape.front());
  EXPECT_EQ(r.shape, convlab::schedules::refine(r.first.step_gradient_norms));
  // Step norms are the norms of the minibatch gradients: L1 when asked for.
  VecX<double> x1 = VecX<double>::Zero(p.dim());
  const auto l1 = co::minimize(p, co::Sgd<double>{}, x1, {.max_iterations = 5, .batch_size = 300, .record_step_norms = co::StepNorm::L1}, 0.1);
  VecX<double> x2 = VecX<double>::Zero(p.dim()), g(p.dim());
  p.value_and_gradient(x2, g);
  EXPECT_NEAR(l1.step_gradient_norms.front(), g.lpNorm<1>(), 1e-12);
  EXPECT_LT(r.second.final_value, p.value(VecX<double>::Zero(p.dim())));
}
