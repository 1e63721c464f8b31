// Optimizer steps: hand-computed values from the documented formulas (docs/optim.md),
// allocation-free steps on raw float/double buffers, option validation, and identical
// results for any OpenMP thread count.
#ifndef EIGEN_RUNTIME_NO_MALLOC  // set for the whole binary by CMake (one definition rule)
#error "optim_tests needs EIGEN_RUNTIME_NO_MALLOC"
#endif
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/optim/kappa.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/sgd.hpp>

#include <random>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "test_support.hpp"

namespace co = convlab::optim;
using convlab::MatX;
using convlab::VecX;

namespace {
const double kGrads[3][2] = {{0.5, -1.0}, {0.1, 0.3}, {-0.4, 0.2}};

template <class Opt>
std::vector<VecX<double>> run_three_steps(const Opt& opt, double lr, const double (*grads)[2] = kGrads) {
  VecX<double> x(2);
  x << 1.0, -2.0;
  auto state = opt.init(x);
  std::vector<VecX<double>> out;
  for (int k = 0; k < 3; ++k) {
    const VecX<double> g = Eigen::Map<const VecX<double>>(grads[k], 2);
    opt.step(x, g, state, lr);
    out.push_back(x);
  }
  return out;
}
void expect_rows(const std::vector<VecX<double>>& got, const double (*want)[2]) {
  for (int k = 0; k < 3; ++k)
    for (int i = 0; i < 2; ++i) EXPECT_NEAR(got[k][i], want[k][i], 1e-15) << "step " << k + 1 << " coord " << i;
}
}  // namespace

// Values computed by hand from x ← x(1 − lr·wd); m ← m + (1−β₁)(g − m); v ← β₂v + (1−β₂)g²;
// x ← x − lr/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ) + ε), lr 0.1, β (0.9, 0.999), ε 1e-8, wd 0.01.
// Step 1 by hand: x₀ = 1 decays to 0.999; m = 0.05, v = 2.5e-4, bias corrections 0.1 and
// 1e-3, so the step is 1 · 0.05 / (0.5 + 1e-8) ≈ 0.1 and x₁ ≈ 0.899.
// Regression: a MatrixXf passed to init/step bound to the vector argument through its first
// column in Release builds (the state covered one column). A column-major matrix now steps as
// its whole storage, the same bits as a copied vector, in both build types (this file keeps
// assertions on; the Release CLI build exercises NDEBUG); a non-contiguous block is refused.
template <class Opt>
void expect_matrix_steps_as_its_storage(const Opt& opt) {
  using S = typename Opt::Scalar;
  std::mt19937_64 rng(convlab::test::test_seed() + 12);
  MatX<S> W = convlab::test::random_matrix<S>(7, 5, rng), G = convlab::test::random_matrix<S>(7, 5, rng);
  VecX<S> w = W.reshaped(), g = G.reshaped();
  auto sm = opt.init(W);
  auto sv = opt.init(w);
  for (int t = 0; t < 3; ++t) {
    opt.step(W, G, sm, S(0.01));
    opt.step(w, g, sv, S(0.01));
  }
  EXPECT_TRUE(VecX<S>(W.reshaped()) == w);
  MatX<S> big = MatX<S>::Ones(9, 9);
  EXPECT_THROW((void)opt.init(big.topLeftCorner(7, 5)), convlab::InvalidArgument);
}

TEST(Optimizers, ColumnMajorMatricesStepAsTheirWholeStorage) {
  expect_matrix_steps_as_its_storage(co::AdamW<float>({.weight_decay = 0.1}));
  expect_matrix_steps_as_its_storage(co::AdamW<double>({.amsgrad = true}));
  expect_matrix_steps_as_its_storage(co::Sgd<float>({.momentum = 0.9}));
  expect_matrix_steps_as_its_storage(co::GradientDescent<double>{});
}

TEST(AdamW, MatchesTheTorchFormulasStepByStep) {
  const double want[3][2] = {{0.89900000199999996, -1.898000001},
                             {0.81779690638265168, -1.8533171424282264},
                             {0.80760916944982897, -1.8310127735702886}};
  expect_rows(run_three_steps(co::AdamW<double>({.beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.01}), 0.1),
              want);
}

TEST(AdamW, AmsgradUsesTheRunningMaxOfV) {
  const double grads[3][2] = {{0.5, -1.0}, {0.1, 0.3}, {0.05, -0.01}};
  const double want[3][2] = {{0.89900000199999996, -1.898000001},
                             {0.81779690638265168, -1.8533171424282264},
                             {0.74896044883101798, -1.8177953929378412}};
  expect_rows(run_three_steps(co::AdamW<double>({.amsgrad = true}), 0.1, grads), want);
}

// Every entry of every step is the scalar formula's bits, whatever the vector width (SSE2, AVX2 at
// run time, the scalar tail) and chunking: a reference loop with one correctly rounded operation
// at a time (std::sqrt, not an estimate), on lengths with tails and above the OpenMP threshold.
// CTest runs this also with CONVLAB_NO_AVX2=1 (sse2_bits), so both kernels are checked on
// an AVX2 machine.
template <class S>
void expect_adamw_is_the_scalar_formula(bool amsgrad, Eigen::Index n) {
  SCOPED_TRACE(::testing::Message() << (sizeof(S) == 4 ? "float" : "double") << (amsgrad ? " amsgrad" : "") << " n = " << n);
  std::mt19937_64 rng(convlab::test::test_seed() + static_cast<unsigned>(n));
  std::normal_distribution<double> normal;
  const co::AdamWOptions o{.beta1 = 0.8, .beta2 = 0.99, .eps = 1e-6, .weight_decay = 0.3, .amsgrad = amsgrad};
  const co::AdamW<S> opt(o);
  VecX<S> x(n), g(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = static_cast<S>(normal(rng));
  auto state = opt.init(x);
  VecX<S> xr = x, m = VecX<S>::Zero(n), v = VecX<S>::Zero(n), vmax = VecX<S>::Zero(n);
  for (int t = 1; t <= 4; ++t) {
    // steps 3 and 4 shrink the gradients, so the running max of v differs from v
    for (Eigen::Index i = 0; i < n; ++i) g[i] = static_cast<S>(normal(rng) * (t > 2 ? 0.1 : 1.0));
    const S lr = static_cast<S>(0.01 * t);
    opt.step(x, g, state, lr);
    const double bc1 = 1 - std::pow(o.beta1, t), bc2 = 1 - std::pow(o.beta2, t);
    const S decay = static_cast<S>(1 - static_cast<double>(lr) * o.weight_decay), b1 = static_cast<S>(o.beta1),
            b2 = static_cast<S>(o.beta2), step = static_cast<S>(static_cast<double>(lr) / bc1),
            root_bc2 = static_cast<S>(std::sqrt(bc2)), eps = static_cast<S>(o.eps);
    for (Eigen::Index i = 0; i < n; ++i) {
      const S decayed = xr[i] * decay;
      const S diff = g[i] - m[i];
      m[i] = m[i] + (1 - b1) * diff;
      const S g2 = g[i] * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g2;
      if (vmax[i] < v[i]) vmax[i] = v[i];
      const S root = std::sqrt(amsgrad ? vmax[i] : v[i]);
      const S denom = root / root_bc2 + eps;
      const S ratio = m[i] / denom;
      xr[i] = decayed - step * ratio;
    }
    ASSERT_TRUE(x == xr) << "step " << t << ": first differing entry "
                         << std::distance(x.begin(), std::mismatch(x.begin(), x.end(), xr.begin()).first);
  }
}

TEST(AdamW, EveryEntryIsTheScalarFormulasBitsAtEveryVectorWidth) {
  for (const Eigen::Index n : {Eigen::Index{1}, Eigen::Index{7}, Eigen::Index{1003}, Eigen::Index{70001}})
    for (const bool amsgrad : {false, true}) {
      expect_adamw_is_the_scalar_formula<float>(amsgrad, n);
      expect_adamw_is_the_scalar_formula<double>(amsgrad, n);
    }
}

// torch.optim.SGD: g ← g + wd·x; b ← g (first step) else μb + (1−τ)g; x ← x − lr·(g + μb or b).
TEST(Sgd, HeavyBallMatchesTheTorchFormulas) {
  const double want[3][2] = {{0.93999999999999995, -1.8799999999999999},
                             {0.86659999999999993, -1.7831999999999999},
                             {0.83187399999999989, -1.698248}};
  expect_rows(run_three_steps(co::Sgd<double>({.momentum = 0.9, .weight_decay = 0.1}), 0.1), want);
}

TEST(Sgd, NesterovMatchesTheTorchFormulas) {
  const double want[3][2] = {{0.90500000000000003, -1.8100000000000001},
                             {0.84550000000000003, -1.786},
                             {0.87695000000000001, -1.7754000000000001}};
  expect_rows(run_three_steps(co::Sgd<double>({.momentum = 0.9, .nesterov = true}), 0.1), want);
}

TEST(Sgd, WithoutMomentumIsGradientDescent) {
  const auto a = run_three_steps(co::Sgd<double>{}, 0.3);
  const auto b = run_three_steps(co::GradientDescent<double>{}, 0.3);
  for (int k = 0; k < 3; ++k) EXPECT_EQ(a[k], b[k]);
}

template <class Opt>
class StepOnRawBuffers : public ::testing::Test {};
using AllOptimizers = ::testing::Types<co::GradientDescent<float>, co::GradientDescent<double>, co::Sgd<float>,
                                       co::Sgd<double>, co::AdamW<float>, co::AdamW<double>>;
TYPED_TEST_SUITE(StepOnRawBuffers, AllOptimizers);

// A user's own buffers: Eigen::Map over a raw array, and no allocation inside step.
TYPED_TEST(StepOnRawBuffers, StepsInPlaceWithoutAllocating) {
  using S = typename TypeParam::Scalar;
  std::vector<S> params(1000, S(1)), grads(1000, S(0.5));
  Eigen::Map<VecX<S>> x(params.data(), 1000);
  Eigen::Map<const VecX<S>> g(grads.data(), 1000);
  TypeParam opt;
  if constexpr (std::is_same_v<TypeParam, co::Sgd<S>>) opt = TypeParam({.momentum = 0.5, .nesterov = true});
  auto state = opt.init(x);
  Eigen::internal::set_is_malloc_allowed(false);
  for (int k = 0; k < 5; ++k) opt.step(x, g, state, S(0.01));
  Eigen::internal::set_is_malloc_allowed(true);
  EXPECT_LT(params[0], S(1));
  EXPECT_EQ(params[0], params[999]);
}

TYPED_TEST(StepOnRawBuffers, ThreadCountDoesNotChangeTheResult) {
  using S = typename TypeParam::Scalar;
  const Eigen::Index n = 3 * convlab::kParallelThreshold + 17;  // large enough to run in parallel
  std::mt19937_64 rng(convlab::test::test_seed());
  const VecX<S> x0 = convlab::test::random_matrix<S>(n, 1, rng);
  const VecX<S> g = convlab::test::random_matrix<S>(n, 1, rng);
  auto run = [&](int threads) {
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    (void)threads;
    VecX<S> x = x0;
    TypeParam opt;
    auto state = opt.init(x);
    for (int k = 0; k < 3; ++k) opt.step(x, g, state, S(0.01));
    return x;
  };
  const VecX<S> one = run(1), two = run(2);
  EXPECT_TRUE(one == two) << "results differ between 1 and 2 threads";
}

TEST(Optimizers, SizeMismatchIsAnError) {
  VecX<double> x(3), g(2);
  co::AdamW<double> opt;
  auto s = opt.init(x);
  EXPECT_THROW(opt.step(x, g, s, 0.1), convlab::InvalidArgument);
  co::GradientDescent<double> gd;
  auto gs = gd.init(x);
  EXPECT_THROW(gd.step(x, g, gs, 0.1), convlab::InvalidArgument);
}

/// The constructor throws InvalidArgument whose message names `field`.
template <class Opt, class Options>
void expect_rejected(const Options& o, const std::string& field) {
  try {
    Opt opt(o);
    ADD_FAILURE() << "accepted bad " << field;
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
  }
}

TEST(Optimizers, EveryBadOptionIsNamed) {
  expect_rejected<co::AdamW<double>>(co::AdamWOptions{.beta1 = 1.0}, "AdamWOptions::beta1");
  expect_rejected<co::AdamW<double>>(co::AdamWOptions{.beta2 = -0.1}, "AdamWOptions::beta2");
  expect_rejected<co::AdamW<double>>(co::AdamWOptions{.eps = 0}, "AdamWOptions::eps");
  expect_rejected<co::AdamW<double>>(co::AdamWOptions{.weight_decay = -1}, "AdamWOptions::weight_decay");
  expect_rejected<co::Sgd<double>>(co::SgdOptions{.momentum = 1.5}, "SgdOptions::momentum");
  expect_rejected<co::Sgd<double>>(co::SgdOptions{.dampening = 2}, "SgdOptions::dampening");
  expect_rejected<co::Sgd<double>>(co::SgdOptions{.weight_decay = -2}, "SgdOptions::weight_decay");
  expect_rejected<co::Sgd<double>>(co::SgdOptions{.nesterov = true}, "SgdOptions::nesterov");
}

// Declared fields: the defaults obey their own rules, names are distinct keys, and a broken
// rule is reported as "<Type>::<field> = <value> violates <rule>".
template <class Options>
void check_declared_fields() {
  const Options defaults{};
  std::set<std::string> names;
  int count = 0;
  convlab::for_each_field<Options>([&](const auto& f) {
    EXPECT_TRUE(f.allows(defaults.*(f.member))) << Options::type_name << "::" << f.name;
    EXPECT_FALSE(f.doc.empty()) << Options::type_name << "::" << f.name;
    EXPECT_TRUE(names.insert(std::string(f.name)).second) << "duplicate " << f.name;
    ++count;
  });
  EXPECT_GT(count, 0) << Options::type_name;
  EXPECT_NO_THROW(defaults.validate());
}

TEST(DeclaredFields, DefaultsObeyTheirRulesAndBrokenRulesAreNamed) {
  check_declared_fields<co::SgdOptions>();
  check_declared_fields<co::AdamWOptions>();
  check_declared_fields<co::LionOptions>();
  check_declared_fields<co::HuberK>();
  check_declared_fields<co::RelativisticK>();
  check_declared_fields<co::DeadZoneK>();
  check_declared_fields<co::LogCoshK>();
  check_declared_fields<co::LpNormK>();
  const auto message = [](auto options) {
    try {
      options.validate();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(co::AdamWOptions{.eps = 0}), "AdamWOptions::eps = 0 violates eps > 0");
  EXPECT_EQ(message(co::SgdOptions{.dampening = 2}), "SgdOptions::dampening = 2 violates 0 <= dampening <= 1");
  EXPECT_EQ(message(co::SgdOptions{.nesterov = true}), "SgdOptions::nesterov = 1 violates nesterov needs momentum > 0 and dampening = 0");
  EXPECT_EQ(message(co::LionOptions{.weight_decay = std::numeric_limits<double>::infinity()}),
            "LionOptions::weight_decay = inf violates 0 <= weight_decay < inf");
}
