// Schedules: formulas at their boundaries, library parity, invalid settings, properties on
// random inputs; the last-iterate bound against a brute-force evaluation and against a real
// subgradient run; refinement invariants (spec §6).
#include <convlab/schedules/bound.hpp>
#include <convlab/schedules/cosine.hpp>
#include <convlab/schedules/exponential.hpp>
#include <convlab/schedules/inverse_sqrt.hpp>
#include <convlab/schedules/join.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/one_cycle.hpp>
#include <convlab/schedules/piecewise.hpp>
#include <convlab/schedules/polynomial.hpp>
#include <convlab/schedules/refined.hpp>
#include <convlab/schedules/schedule.hpp>
#include <convlab/schedules/warmup.hpp>
#include <convlab/schedules/wsd.hpp>

#include <Eigen/Core>
#include <numeric>

#include "test_support.hpp"  // gtest before rapidcheck/gtest.h

#include <rapidcheck/gtest.h>

namespace cs = convlab::schedules;

namespace {
/// Expects std::invalid_argument whose message contains `fragment`.
template <class F>
void expect_invalid(F&& make, const std::string& fragment) {
  try {
    make();
    ADD_FAILURE() << "accepted: " << fragment;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Schedules, FormulasAtTheirBoundaries) {
  EXPECT_EQ(cs::constant(0.3)(12345), 0.3);
  const auto st = cs::step(1.0, 10, 0.5);
  EXPECT_EQ(st(0), 1.0);
  EXPECT_EQ(st(9), 1.0);
  EXPECT_EQ(st(10), 0.5);
  EXPECT_EQ(st(25), 0.25);
  const auto pw = cs::piecewise(2.0, {5, 8}, {0.5, 0.1});
  EXPECT_EQ(pw(4), 2.0);
  EXPECT_EQ(pw(5), 1.0);
  EXPECT_DOUBLE_EQ(pw(8), 0.1);
  const auto ex = cs::exponential(1.0, 0.5, 10, 5, true, 0.3);
  EXPECT_EQ(ex(5), 1.0);
  EXPECT_EQ(ex(14), 1.0);  // staircase: floor(9/10) = 0
  EXPECT_EQ(ex(15), 0.5);
  EXPECT_EQ(ex(100), 0.3);  // clipped at end
  const auto co = cs::cosine(1.0, 100, 0.1);
  EXPECT_DOUBLE_EQ(co(0), 1.0);
  EXPECT_NEAR(co(50), 0.55, 1e-15);
  EXPECT_DOUBLE_EQ(co(100), 0.1);
  EXPECT_DOUBLE_EQ(co(1000), 0.1);
  const auto ld = cs::linear_decay(2.0, 10);
  EXPECT_EQ(ld(0), 2.0);
  EXPECT_DOUBLE_EQ(ld(9), 0.2);  // 0-based: the last step of a 10-step run uses η/T
  EXPECT_EQ(ld(10), 0.0);
  EXPECT_EQ(ld(11), 0.0);
  EXPECT_EQ(cs::linear_decay(2.0, 1)(0), 2.0);  // T = 1
  EXPECT_EQ(cs::linear_decay(2.0, 1)(1), 0.0);
  const auto li = cs::linear(1.0, 3.0, 4, 2);  // optax linear_schedule clamps outside [B, B + T']
  EXPECT_EQ(li(0), 1.0);
  EXPECT_EQ(li(2), 1.0);
  EXPECT_EQ(li(4), 2.0);
  EXPECT_EQ(li(99), 3.0);
  const auto po = cs::polynomial(1.0, 0.0, 2.0, 10);
  EXPECT_DOUBLE_EQ(po(5), 0.25);
  EXPECT_EQ(po(10), 0.0);
  const auto is = cs::inverse_sqrt(1.0, 100);  // τ = W: 1 at t = W, √(W/t) after
  EXPECT_EQ(is(0), 0.0);
  EXPECT_DOUBLE_EQ(is(50), 0.5);
  EXPECT_DOUBLE_EQ(is(100), 1.0);
  EXPECT_DOUBLE_EQ(is(400), 0.5);
}

TEST(Schedules, WarmupCosineMatchesOptaxConvention) {
  const auto s = cs::warmup_cosine(0.1, 1.0, 10, 110, 0.01);  // decay steps include warmup
  EXPECT_DOUBLE_EQ(s(0), 0.1);
  EXPECT_DOUBLE_EQ(s(5), 0.55);
  EXPECT_DOUBLE_EQ(s(10), 1.0);
  EXPECT_NEAR(s(60), 0.505, 1e-15);
  EXPECT_DOUBLE_EQ(s(110), 0.01);
  const auto hf = cs::warmup_linear(0.0, 1.0, 10, 110);  // HF: t/W, then (T − t)/(T − W)
  EXPECT_EQ(hf(0), 0.0);
  EXPECT_DOUBLE_EQ(hf(60), 0.5);
  EXPECT_EQ(hf(110), 0.0);
}

TEST(Schedules, JoinRestartsEachPiecesClock) {
  const auto j = cs::join({cs::linear_decay(1.0, 10), cs::step(0.5, 3, 0.5), cs::constant(0.01)}, {10, 16});
  EXPECT_EQ(j(0), 1.0);
  EXPECT_DOUBLE_EQ(j(9), 0.1);
  EXPECT_EQ(j(10), 0.5);  // the step schedule at its own t = 0
  EXPECT_EQ(j(13), 0.25);
  EXPECT_EQ(j(16), 0.01);
  const auto w = cs::warmup(cs::step(1.0, 5, 0.1), 5);
  EXPECT_EQ(w(5), 1.0);  // the inner schedule starts its clock at the end of warmup
  EXPECT_EQ(w(9), 1.0);
  EXPECT_DOUBLE_EQ(w(10), 0.1);
}

TEST(Schedules, WsdAndOneCycle) {
  const auto w = cs::wsd(1.0, 100, 10, 0.2);
  EXPECT_EQ(w(0), 0.0);
  EXPECT_DOUBLE_EQ(w(5), 0.5);
  EXPECT_EQ(w(10), 1.0);
  EXPECT_EQ(w(79), 1.0);
  EXPECT_EQ(w(80), 1.0);
  EXPECT_DOUBLE_EQ(w(90), 0.5);
  EXPECT_EQ(w(100), 0.0);
  const auto ws = cs::wsd(1.0, 100, 0, 0.2, cs::CooldownShape::Sqrt);
  EXPECT_DOUBLE_EQ(ws(80), 1 - std::sqrt(1.0 / 20));
  EXPECT_EQ(ws(99), 0.0);
  const auto oc = cs::one_cycle(1.0, 100);
  EXPECT_DOUBLE_EQ(oc(0), 1.0 / 25);
  EXPECT_DOUBLE_EQ(oc(30), 1.0);
  EXPECT_NEAR(oc(100), 1.0 / 25 / 1e4, 1e-15);
  const auto ol = cs::one_cycle(1.0, 100, cs::OneCycleShape::Linear);
  EXPECT_DOUBLE_EQ(ol(30), 1.0);
  EXPECT_NEAR(ol(85), 1.0 / 25, 1e-15);
  EXPECT_NEAR(ol(100), 1.0 / 25 / 1e4, 1e-15);
}

TEST(Schedules, InvalidSettingsNameTheParameter) {
  expect_invalid([] { cs::warmup_cosine(0, 1, 100, 100); }, "warmup_cosine: warmup_steps = 100 violates warmup_steps < total_steps");
  expect_invalid([] { cs::warmup_linear(0, 1, 200, 100); }, "warmup_steps = 200");
  expect_invalid([] { cs::wsd(1, 100, 90, 0.2); }, "wsd: warmup_steps = 90");
  expect_invalid([] { cs::cosine(1, 0); }, "cosine: steps = 0 violates steps >= 1");
  expect_invalid([] { cs::linear_decay(-1, 10); }, "linear_decay: lr = -1");
  expect_invalid([] { cs::step(1, 0); }, "step: step_size = 0");
  expect_invalid([] { cs::piecewise(1, {5, 3}, {0.1, 0.1}); }, "strictly increasing");
  expect_invalid([] { cs::piecewise(1, {5}, {0.1, 0.1}); }, "one scale per boundary");
  expect_invalid([] { cs::exponential(1, 0, 10); }, "exponential: rate = 0");
  expect_invalid([] { cs::polynomial(1, 0, -1, 10); }, "polynomial: power = -1");
  expect_invalid([] { cs::one_cycle(1, 100, cs::OneCycleShape::Cosine, 1.5); }, "one_cycle: pct_start = 1.5");
  expect_invalid([] { cs::join({cs::constant(1)}, {3}); }, "join: boundaries.size()");
  expect_invalid([] { cs::RefineOptions{.tau = 0}.validate(); }, "tau = 0");
  expect_invalid([] { cs::refined({1.0}, 1.0, 10); }, "shape.size()");
}

RC_GTEST_PROP(Schedules, NonNegativeAndMonotoneWhereClaimed, ()) {
  const auto T = *rc::gen::inRange<std::int64_t>(1, 500);
  const double lr = *rc::gen::inRange(0, 1000) / 100.0;
  const double end = lr * (*rc::gen::inRange(0, 100) / 100.0);
  const std::vector<cs::AnySchedule> decreasing{
      cs::cosine(lr, T, end), cs::linear_decay(lr, T, end), cs::polynomial(lr, end, 1.7, T),
      cs::step(lr, std::max<std::int64_t>(1, T / 3), 0.3), cs::exponential(lr, 0.97, 7)};
  for (const auto& s : decreasing)
    for (std::int64_t t = 0; t <= T + 3; ++t) {
      RC_ASSERT(s(t) >= 0.0);
      RC_ASSERT(s(t + 1) <= s(t) + 1e-15);
    }
  const auto oc = cs::one_cycle(lr, T);
  const auto w = cs::wsd(lr, T, 0, 0.3);
  for (std::int64_t t = 0; t <= T + 3; ++t) {
    RC_ASSERT(oc(t) >= 0.0);
    RC_ASSERT(w(t) >= 0.0);
  }
}

RC_GTEST_PROP(Schedules, JoinIsContinuousWhenPiecesMeet, ()) {
  const auto a = *rc::gen::inRange<std::int64_t>(1, 200), b = *rc::gen::inRange<std::int64_t>(1, 200);
  // Linear from 1 to 0.5 over a steps, then linear from 0.5 to 0 over b: one continuous ramp.
  const auto j = cs::join({cs::linear(1.0, 0.5, a), cs::linear(0.5, 0.0, b)}, {a});
  RC_ASSERT(std::abs(j(a) - 0.5) < 1e-15);
  RC_ASSERT(std::abs(j(a - 1) - (1.0 - 0.5 * static_cast<double>(a - 1) / static_cast<double>(a))) < 1e-15);
}

// ---- the last-iterate bound -------------------------------------------------------------

namespace {
/// The bound's formula evaluated directly, O(T²), as written in the paper (1-based).
double brute_force_bound(const std::vector<double>& eta, const std::vector<double>& G, double D) {
  const std::size_t T = eta.size();
  auto sum = [&](std::size_t from, auto term) {  // Σ_{t=from}^{T} term(t), 1-based
    double s = 0;
    for (std::size_t t = from; t <= T; ++t) s += term(t);
    return s;
  };
  auto e = [&](std::size_t t) { return eta[t - 1]; };
  auto e2g2 = [&](std::size_t t) { return eta[t - 1] * eta[t - 1] * G[t - 1] * G[t - 1]; };
  double bound = (D * D + sum(1, e2g2)) / (2 * sum(1, e));
  for (std::size_t k = 1; k + 1 <= T; ++k) bound += 0.5 * e(k) / sum(k + 1, e) * (sum(k, e2g2) / sum(k, e));
  return bound;
}
}  // namespace

RC_GTEST_PROP(LastIterateBound, MatchesBruteForceEvaluation, ()) {
  const auto T = *rc::gen::inRange<std::size_t>(1, 60);
  std::vector<double> eta(T), G(T);
  for (auto& v : eta) v = *rc::gen::inRange(1, 10000) / 1000.0;
  for (auto& v : G) v = *rc::gen::inRange(0, 10000) / 1000.0;
  const double D = *rc::gen::inRange(0, 1000) / 100.0;
  const double fast = cs::last_iterate_bound(eta, G, D), slow = brute_force_bound(eta, G, D);
  RC_ASSERT(std::abs(fast - slow) <= 1e-12 * std::abs(slow));
}

// Spec §3.1 table (D = G = 1, T = 40, best scale per schedule): constant 0.362, cosine 0.338,
// linear 1 − t/T 0.327, 1 − t/(T+1) 0.323; the schedule overload evaluates lr(0..T−1).
TEST(LastIterateBound, RanksLinearBelowCosineBelowConstantAtTheirBestScale) {
  const std::size_t T = 40;
  const std::vector<double> G(T, 1.0);
  auto best = [&](auto make) {
    double b = std::numeric_limits<double>::infinity();
    for (double scale = 0.01; scale < 2; scale *= 1.01) b = std::min(b, cs::last_iterate_bound(make(scale), G, 1.0));
    return b;
  };
  const double constant = best([](double s) { return cs::constant(s); });
  const double cosine = best([&](double s) { return cs::cosine(s, T); });
  const double linear = best([&](double s) { return cs::linear_decay(s, T); });
  EXPECT_NEAR(constant, 0.362, 2e-3);
  EXPECT_NEAR(cosine, 0.338, 2e-3);
  EXPECT_NEAR(linear, 0.327, 2e-3);
  EXPECT_NEAR(best([&](double s) { return cs::linear_decay(s, T + 1); }), 0.323, 2e-3);  // "1 − t/(T+1)"
  EXPECT_LT(linear, cosine);
  EXPECT_LT(cosine, constant);
}

namespace {
/// The convex, Lipschitz f(x) = mean|Ax − b| with random A and b = Ax*, so f* = 0 at x*.
struct MeanAbsoluteResidual {
  Eigen::MatrixXd A;
  Eigen::VectorXd xstar, b;
  explicit MeanAbsoluteResidual(std::mt19937_64& rng)
      : A(convlab::test::random_matrix<double>(30, 5, rng)), xstar(convlab::test::random_matrix<double>(5, 1, rng)), b(A * xstar) {}
  double value(const Eigen::VectorXd& x) const { return (A * x - b).cwiseAbs().mean(); }
  Eigen::VectorXd subgradient(const Eigen::VectorXd& x) const {
    return A.transpose() * (A * x - b).array().sign().matrix() / static_cast<double>(A.rows());
  }
};
}  // namespace

// The bound holds at x_T (before η_T is applied) for the subgradient method on mean|Ax − b|,
// for random positive steps and weights.
TEST(LastIterateBound, HoldsAtTheLastIterateOfASubgradientRun) {
  std::mt19937_64 rng(convlab::test::test_seed());
  std::uniform_real_distribution<double> U(0.01, 1.0);
  for (int trial = 0; trial < 100; ++trial) {
    const MeanAbsoluteResidual f(rng);
    const std::size_t T = 5 + trial % 40;
    const Eigen::VectorXd x1 = Eigen::VectorXd::Zero(5);
    const double D = (x1 - f.xstar).norm();
    auto run = [&](const std::vector<double>& eta, std::vector<double>& G) {  // returns f(x_T)
      Eigen::VectorXd x = x1;
      for (std::size_t t = 0; t < T; ++t) {
        const Eigen::VectorXd g = f.subgradient(x);
        G[t] = g.norm();
        if (t + 1 == T) break;  // x_T: η_T is never applied
        x -= eta[t] * g;
      }
      return f.value(x);
    };
    std::vector<double> eta(T), G(T), w(T);
    for (auto& v : eta) v = U(rng);
    const double fT = run(eta, G);
    EXPECT_LE(fT, cs::last_iterate_bound(eta, G, D) + 1e-12) << "trial " << trial;
    for (auto& v : w) v = U(rng);
    const std::vector<double> eta_w = cs::steps_from_weights(w);
    const double fw = run(eta_w, G);
    EXPECT_LE(fw, cs::weight_form_bound(w, G, D) + 1e-12) << "trial " << trial;
  }
}

// final_iterate_bound covers the iterate after every step (the one a run returns): it holds there
// for random steps and for linear decay, it is the plain bound with one more step e appended, and
// no other e it could have picked (a grid finer than its own) gives a smaller bound.
TEST(FinalIterateBound, HoldsAfterTheLastStepAndIsTheBestOverTheFreeLastStep) {
  std::mt19937_64 rng(convlab::test::test_seed() + 7);
  std::uniform_real_distribution<double> U(0.01, 1.0);
  for (int trial = 0; trial < 60; ++trial) {
    const MeanAbsoluteResidual f(rng);
    const std::size_t T = 5 + trial % 40;
    const double D = f.xstar.norm();  // x_1 = 0
    std::vector<double> eta(T), G(T);
    for (std::size_t t = 0; t < T; ++t) eta[t] = trial % 2 ? U(rng) : 0.5 * (1.0 - double(t) / double(T));
    Eigen::VectorXd x = Eigen::VectorXd::Zero(5);
    for (std::size_t t = 0; t < T; ++t) {
      const Eigen::VectorXd g = f.subgradient(x);
      G[t] = g.norm();
      x -= eta[t] * g;  // every step applied
    }
    const double final_norm = f.subgradient(x).norm(), fT = f.value(x);
    const auto bound = cs::final_iterate_bound(eta, G, final_norm, D);
    EXPECT_LE(fT, bound.value + 1e-12) << "trial " << trial;
    EXPECT_NEAR(bound.value, bound.at_zero_distance + bound.per_squared_distance * D * D, 1e-14 * bound.value);
    std::vector<double> eta1 = eta, G1 = G;
    eta1.push_back(bound.extra_step);
    G1.push_back(final_norm);
    EXPECT_NEAR(bound.value, cs::last_iterate_bound(eta1, G1, D), 1e-12 * bound.value);
    for (double e = 1e-4; e < 1e4; e *= 1.05) {
      eta1.back() = e;
      EXPECT_LE(bound.value, cs::last_iterate_bound(eta1, G1, D) * (1 + 1e-9)) << "trial " << trial << ", e = " << e;
    }
  }
  EXPECT_THROW(cs::final_iterate_bound(std::vector<double>{1.0}, std::vector<double>{1.0}, -1.0, 1.0), std::invalid_argument);
}

TEST(LastIterateBound, LinearDecayIsWorstCaseOptimalAndRefinedWeightsAreOptimal) {
  const std::size_t T = 50;
  const double D = 2.0, Gc = 3.0;
  // Constant G: w ≡ D/(G√T) gives Φ = DG/√T exactly, and its steps are linear decay.
  const std::vector<double> G(T, Gc), w(T, D / (Gc * std::sqrt(double(T))));
  EXPECT_NEAR(cs::weight_form_bound(w, G, D), D * Gc / std::sqrt(double(T)), 1e-14);
  const auto eta = cs::steps_from_weights(w);
  for (std::size_t t = 0; t < T; ++t)
    EXPECT_NEAR(eta[t], w[0] * (1.0 - double(t + 1) / double(T)), 1e-15);
  // Random G: w = G^{-2}·D/√S attains Φ* = D/√S, and no perturbation (optimally rescaled) beats it.
  std::mt19937_64 rng(convlab::test::test_seed() + 1);
  std::uniform_real_distribution<double> U(0.2, 5.0), P(-0.5, 0.5);
  std::vector<double> g(T), wref(T);
  for (auto& v : g) v = U(rng);
  double S = 0;
  for (double v : g) S += 1 / (v * v);
  for (std::size_t t = 0; t < T; ++t) wref[t] = D / (g[t] * g[t]) / std::sqrt(S);
  EXPECT_NEAR(cs::weight_form_bound(wref, g, D), D / std::sqrt(S), 1e-12);
  auto best_scaled = [&](const std::vector<double>& ww) {  // min over c > 0 of Φ(c·w)
    double num = 0, den = 0;
    for (std::size_t t = 0; t < T; ++t) {
      num += ww[t] * ww[t] * g[t] * g[t];
      den += ww[t];
    }
    return D * std::sqrt(num) / den;
  };
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> wp = wref;
    for (auto& v : wp) v *= std::exp(P(rng));
    EXPECT_LE(best_scaled(wref), best_scaled(wp) + 1e-12);
  }
}

// ---- refinement ------------------------------------------------------------------------

TEST(Refine, ConstantNormsGiveLinearDecayExactly) {
  for (double q : {1.0, 2.0}) {
    const std::vector<double> G(777, 3.7);
    const auto s = cs::refine(G, {.q = q});
    ASSERT_EQ(s.size(), 10000u);
    double worst = 0;
    for (std::size_t t = 0; t < s.size(); ++t)
      worst = std::max(worst, std::abs(s[t] - double(s.size() - 1 - t) / double(s.size() - 1)));
    EXPECT_LE(worst, 1e-12) << "q = " << q;
    EXPECT_EQ(s.back(), 0.0);
  }
}

TEST(Refine, ScaleInvariantPositiveAndNormalized) {
  std::mt19937_64 rng(convlab::test::test_seed() + 2);
  std::uniform_real_distribution<double> U(0.5, 2.0);
  std::vector<double> G(3000);
  for (auto& v : G) v = U(rng);
  std::vector<double> G7 = G;
  for (auto& v : G7) v *= 7.0;
  const auto a = cs::refine(G, {.resample = 2000}), b = cs::refine(G7, {.resample = 2000});
  for (std::size_t t = 0; t < a.size(); ++t) EXPECT_NEAR(a[t], b[t], 1e-12);
  EXPECT_EQ(*std::max_element(a.begin(), a.end()), 1.0);
  for (std::size_t t = 0; t + 1 < a.size(); ++t) EXPECT_GT(a[t], 0.0);
  EXPECT_EQ(a.back(), 0.0);
}

namespace {
/// 2000 norms: falling linearly from 15 to 1 over the first 10%, then from 1 to `end`.
std::vector<double> falling_then(double end) {
  std::vector<double> G(2000);
  for (std::size_t i = 0; i < G.size(); ++i) {
    const double f = double(i) / double(G.size() - 1);
    G[i] = f < 0.1 ? 15 - 14 * f / 0.1 : 1 + (end - 1) * (f - 0.1) / 0.9;
  }
  return G;
}
}  // namespace

TEST(Refine, WarmupEmergesAndTheTailSetsTheAnnealing) {
  const auto flat = cs::refine(falling_then(1.0));
  const auto N = flat.size();
  const auto peak = std::max_element(flat.begin(), flat.end()) - flat.begin();
  EXPECT_GE(peak, 0.08 * N);
  EXPECT_LE(peak, 0.12 * N);
  EXPECT_LT(flat[0], 0.01);
  const auto rising = cs::refine(falling_then(2.0)), dropping = cs::refine(falling_then(0.7));
  EXPECT_LT(rising[N / 2], flat[N / 2]) << "larger late norms anneal faster";
  EXPECT_GT(dropping[N / 2], flat[N / 2]) << "smaller late norms anneal slower";
}

TEST(Refine, MedianFilterProperties) {
  std::vector<double> x(200, 2.5);
  EXPECT_EQ(cs::median_filter(x, 21), x);
  x[100] = 50;  // a spike narrower than k/2 disappears
  const auto y = cs::median_filter(x, 21);
  ASSERT_EQ(y.size(), x.size());
  EXPECT_EQ(*std::max_element(y.begin(), y.end()), 2.5);
  EXPECT_THROW(cs::median_filter(x, 20), std::invalid_argument);
}

TEST(Refine, RefinedScheduleMapsNormalizedTime) {
  const auto r = cs::refined({1.0, 0.5, 0.0}, 2.0, 101);
  EXPECT_EQ(r(0), 2.0);
  EXPECT_DOUBLE_EQ(r(25), 1.5);
  EXPECT_EQ(r(50), 1.0);
  EXPECT_EQ(r(100), 0.0);
}
