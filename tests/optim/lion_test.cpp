// Lion and Lion-κ: golden and hand-computed steps, ∇κ against finite differences, the
// Fenchel–Young equality on random inputs, box (and ball) invariance, float/double agreement,
// allocation-free steps, msign against an SVD, blocks, and the Lyapunov monitor.
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/ceres_lbfgs.hpp>
#include <convlab/optim/lion_composite.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/optim/lyapunov.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/problems/least_squares.hpp>

#include <Eigen/SVD>

#include <set>
#include <typeinfo>

#include "test_support.hpp"  // gtest before rapidcheck/gtest.h

#include <rapidcheck/gtest.h>

namespace co = convlab::optim;
namespace cp = convlab::problems;
using convlab::In;
using convlab::MatX;
using convlab::VecX;

// keras-core PR #610 golden: x0 = 1, first gradient 0.01, lr 1e-3, defaults, no decay; each
// next step with gradient 0.1..0.5 lowers every coordinate by exactly 1e-3.
TEST(Lion, GoldenSteps) {
  VecX<double> x = VecX<double>::Ones(10);
  co::Lion<double> lion;
  auto st = lion.init(x);
  lion.step(x, VecX<double>::Constant(10, 0.01), st, 1e-3);
  EXPECT_NEAR(x[0], 0.999, 1e-15);
  for (int k = 1; k <= 5; ++k) {
    lion.step(x, VecX<double>::Constant(10, 0.1 * k), st, 1e-3);
    EXPECT_NEAR(x[3], 0.999 - 1e-3 * k, 1e-15) << "step " << k;
  }
}

// By hand: β = (0.9, 0.99), λ = 0.5, lr = 0.1, x0 = (1, −2, 0.3), g0 = (0.2, 0.1, 0), g1 = (−1, 0.5, 0).
// Step 1: c = 0.1·g0 → sign (1, 1, 0); x1 = 0.95·x0 − 0.1·(1, 1, 0) = (0.85, −2.0, 0.285);
//         m1 = 0.01·g0 = (0.002, 0.001, 0).
// Step 2: c = 0.9·m1 + 0.1·g1 = (−0.0982, 0.0509, 0) → sign (−1, 1, 0);
//         x2 = 0.95·x1 − 0.1·(−1, 1, 0) = (0.9075, −2.0, 0.27075); m2 = 0.99·m1 + 0.01·g1.
TEST(Lion, FirstStepsByHandWithDecoupledDecay) {
  VecX<double> x(3), g0(3), g1(3);
  x << 1, -2, 0.3;
  g0 << 0.2, 0.1, 0;
  g1 << -1, 0.5, 0;
  co::Lion<double> lion({.beta1 = 0.9, .beta2 = 0.99, .weight_decay = 0.5});
  auto st = lion.init(x);
  lion.step(x, g0, st, 0.1);
  EXPECT_NEAR(x[0], 0.85, 1e-15);
  EXPECT_NEAR(x[1], -2.0, 1e-15);
  EXPECT_NEAR(x[2], 0.285, 1e-15);  // c = 0: only decayed
  EXPECT_NEAR(st.m[0], 0.002, 1e-16);
  lion.step(x, g1, st, 0.1);
  EXPECT_NEAR(x[0], 0.9075, 1e-15);
  EXPECT_NEAR(x[1], -2.0, 1e-15);
  EXPECT_NEAR(x[2], 0.27075, 1e-15);
  EXPECT_NEAR(st.m[0], 0.99 * 0.002 - 0.01, 1e-16);
}

TEST(Lion, NaNGradientsPropagate) {
  VecX<double> x = VecX<double>::Ones(2), g(2);
  g << std::numeric_limits<double>::quiet_NaN(), 1;
  co::Lion<double> lion;
  auto st = lion.init(x);
  lion.step(x, g, st, 0.1);
  EXPECT_TRUE(std::isnan(x[0]));
  EXPECT_EQ(x[1], 0.9);
}

namespace {
template <class K>
double kval(const K& k, const VecX<double>& v) { return co::kappa_value<K, double>(k, v); }
template <class K>
VecX<double> kgrad(const K& k, const VecX<double>& v) {
  VecX<double> out(v.size());
  co::kappa_grad<K, double>(k, v, out);
  return out;
}
template <class K>
double kconj(const K& k, const VecX<double>& v) { return co::kappa_conjugate<K, double>(k, v); }

VecX<double> random_vector(std::size_t n, double scale) {
  VecX<double> v(static_cast<Eigen::Index>(n));
  for (auto& e : v) e = *rc::gen::inRange(-100000, 100001) / 100000.0 * scale;
  return v;
}
}  // namespace

TEST(Kappa, GradientsMatchFiniteDifferencesWhereSmooth) {
  std::mt19937_64 rng(convlab::test::test_seed());
  auto check = [&](const auto& k, const char* name) {
    for (int trial = 0; trial < 20; ++trial) {
      const VecX<double> v = convlab::test::random_matrix<double>(7, 1, rng, 1.5);
      const VecX<double> g = kgrad(k, v);
      for (Eigen::Index i = 0; i < v.size(); ++i) {
        VecX<double> e = VecX<double>::Zero(v.size());
        e[i] = 1e-6;
        const double fd = (kval(k, v + e) - kval(k, v - e)) / 2e-6;
        EXPECT_NEAR(g[i], fd, 1e-6) << name << " coordinate " << i;
      }
    }
  };
  check(co::HuberK{0.5}, "huber");
  check(co::RelativisticK{0.5}, "relativistic");
  check(co::LogCoshK{2.0}, "logcosh");
  check(co::QuadraticK{}, "quadratic");
  check(co::L2NormK{}, "l2");
  check(co::LpNormK{3.0}, "lp");
  check(co::SignK{}, "l1 (smooth away from 0)");
}

// κ(v) + κ*(∇κ(v)) = ⟨v, ∇κ(v)⟩ for every κ of the table.
RC_GTEST_PROP(Kappa, FenchelYoungEqualityHolds, ()) {
  const auto n = *rc::gen::inRange<std::size_t>(1, 12);
  const VecX<double> v = random_vector(n, *rc::gen::element(0.01, 1.0, 50.0));
  auto fy = [&](const auto& k) {
    const VecX<double> g = kgrad(k, v);
    const double lhs = kval(k, v) + kconj(k, g), rhs = v.dot(g);
    RC_ASSERT(std::abs(lhs - rhs) <= 1e-9 * (1 + std::abs(rhs)));
  };
  fy(co::SignK{});
  fy(co::HuberK{0.7});
  fy(co::RelativisticK{0.3});
  fy(co::DeadZoneK{0.2});
  fy(co::LogCoshK{1.5});
  fy(co::QuadraticK{});
  fy(co::L2NormK{});
  fy(co::LpNormK{2.5});
  fy(co::LpNormK{1.5});
  fy(co::LInfK{});
  if (n >= 2 && n % 2 == 0) fy(co::NuclearK(static_cast<Eigen::Index>(n / 2), 2));
}

TEST(Kappa, NuclearGradientIsTheMatrixSignFromAnSvd) {
  std::mt19937_64 rng(convlab::test::test_seed() + 1);
  // Small shapes, and shapes past the GEMM's 256-deep panels (tall, wide, square).
  for (auto [r, c] : {std::pair<Eigen::Index, Eigen::Index>{5, 3}, {3, 5}, {4, 4}, {300, 40}, {40, 300}, {270, 270}}) {
    const MatX<double> V = convlab::test::random_matrix<double>(r, c, rng);
    Eigen::JacobiSVD<MatX<double>> svd(V, Eigen::ComputeThinU | Eigen::ComputeThinV);
    const MatX<double> expected = svd.matrixU() * svd.matrixV().transpose();
    const co::NuclearK k(r, c);
    VecX<double> out(r * c);
    k.grad<double>(Eigen::Map<const VecX<double>>(V.data(), r * c), out);
    EXPECT_LE((Eigen::Map<const MatX<double>>(out.data(), r, c) - expected).cwiseAbs().maxCoeff(), r * c > 100 ? 1e-9 : 1e-10)
        << r << "x" << c;
  }
}

// Box invariance: with lr·λ <= 1 and ‖x‖∞ <= 1/λ, any gradients keep ‖x‖∞ <= 1/λ.
RC_GTEST_PROP(Lion, BoxIsInvariantWhenLrTimesLambdaAtMostOne, ()) {
  const double lambda = *rc::gen::element(0.1, 1.0, 3.0, 10.0);
  const double lr = *rc::gen::inRange(1, 1001) / 1000.0 / lambda;  // lr·λ in (0, 1]
  const auto n = *rc::gen::inRange<std::size_t>(1, 20);
  VecX<double> x = random_vector(n, 1.0 / lambda);
  co::Lion<double> lion({.weight_decay = lambda});
  auto st = lion.init(x);
  for (int t = 0; t < 30; ++t) {
    lion.step(x, random_vector(n, *rc::gen::element(1e-3, 1.0, 1e3)), st, lr);
    RC_ASSERT(x.lpNorm<Eigen::Infinity>() <= (1 / lambda) * (1 + 1e-12));
  }
}

// The same contraction for other norms: ‖x‖₂ (L2NormK) and ‖x‖₁ (LInfK) enter and stay.
TEST(LionK, DualNormBallsAreInvariantAndAttracting) {
  std::mt19937_64 rng(convlab::test::test_seed() + 2);
  const double lambda = 2.0, lr = 0.05;
  auto run = [&](auto kappa, auto dual) {
    VecX<double> x = convlab::test::random_matrix<double>(8, 1, rng, 5.0);
    co::LionK<double, decltype(kappa)> opt({.weight_decay = lambda}, kappa);
    auto st = opt.init(x);
    double envelope = std::max(0.0, dual(x) - 1 / lambda);
    for (int t = 0; t < 400; ++t) {
      opt.step(x, convlab::test::random_matrix<double>(8, 1, rng), st, lr);
      envelope *= 1 - lr * lambda;
      ASSERT_LE(dual(x), 1 / lambda + envelope + 1e-12) << "step " << t;
    }
    EXPECT_LE(dual(x), 1 / lambda * (1 + 1e-12));
  };
  run(co::L2NormK{}, [](const VecX<double>& v) { return v.norm(); });
  run(co::LInfK{}, [](const VecX<double>& v) { return v.lpNorm<1>(); });
  run(co::SignK{}, [](const VecX<double>& v) { return v.lpNorm<Eigen::Infinity>(); });
}

// The fused step of every separable κ is the scalar formula's bits, whatever the vector width
// (the portable loop, or AVX2 chosen at run time: detail/cpu_dispatch.hpp) and the chunking, on
// lengths with tails and above the OpenMP threshold. CTest runs this also with CONVLAB_NO_AVX2=1
// (sse2_bits), so both paths are checked on an AVX2 machine.
template <class S, class K>
void expect_lion_is_the_scalar_formula(const K& kappa, Eigen::Index n) {
  SCOPED_TRACE(::testing::Message() << (sizeof(S) == 4 ? "float " : "double ") << typeid(K).name() << " n = " << n);
  std::mt19937_64 rng(convlab::test::test_seed() + static_cast<unsigned>(n));
  std::normal_distribution<double> normal;
  const co::LionOptions o{.beta1 = 0.8, .beta2 = 0.95, .weight_decay = 0.3};
  const co::LionK<S, K> opt(o, kappa);
  VecX<S> x(n), g(n);
  for (Eigen::Index i = 0; i < n; ++i) x[i] = static_cast<S>(normal(rng));
  auto state = opt.init(x);
  VecX<S> xr = x, m = VecX<S>::Zero(n);
  for (int t = 1; t <= 3; ++t) {
    for (Eigen::Index i = 0; i < n; ++i) g[i] = static_cast<S>(normal(rng));
    const S lr = static_cast<S>(0.01 * t);
    opt.step(x, g, state, lr);
    const S b1 = static_cast<S>(o.beta1), b2 = static_cast<S>(o.beta2), decay = static_cast<S>(1 - static_cast<double>(lr) * o.weight_decay);
    for (Eigen::Index i = 0; i < n; ++i) {
      const S c = b1 * m[i] + (1 - b1) * g[i];
      const S direction = static_cast<S>(kappa.grad1(-c));
      xr[i] = xr[i] * decay + lr * direction;
      m[i] = b2 * m[i] + (1 - b2) * g[i];
    }
    ASSERT_TRUE(x == xr) << "step " << t << ": first differing entry "
                         << std::distance(x.begin(), std::mismatch(x.begin(), x.end(), xr.begin()).first);
    ASSERT_TRUE(state.m == m) << "step " << t;
  }
}

TEST(LionK, EverySeparableKappaStepsTheScalarFormulasBits) {
  for (Eigen::Index n : {Eigen::Index(5), Eigen::Index(1031), Eigen::Index(70001)}) {
    expect_lion_is_the_scalar_formula<float>(co::SignK{}, n);
    expect_lion_is_the_scalar_formula<double>(co::SignK{}, n);
    expect_lion_is_the_scalar_formula<float>(co::HuberK{.delta = 0.5}, n);
    expect_lion_is_the_scalar_formula<double>(co::RelativisticK{.delta = 0.5}, n);
    expect_lion_is_the_scalar_formula<float>(co::RelativisticK{.delta = 0.5}, n);
    expect_lion_is_the_scalar_formula<float>(co::DeadZoneK{.delta = 0.2}, n);
    expect_lion_is_the_scalar_formula<double>(co::LogCoshK{.beta = 2.0}, n);
    expect_lion_is_the_scalar_formula<float>(co::QuadraticK{}, n);
  }
}

TEST(LionK, FloatAndDoubleAgreeAndStepsDoNotAllocate) {
  std::mt19937_64 rng(convlab::test::test_seed() + 3);
  const VecX<double> x0 = convlab::test::random_matrix<double>(12, 1, rng);
  auto compare = [&](auto kappa) {
    using K = decltype(kappa);
    VecX<double> xd = x0;
    VecX<float> xf = x0.cast<float>();
    co::LionK<double, K> od({.weight_decay = 0.3}, kappa);
    co::LionK<float, K> of({.weight_decay = 0.3}, kappa);
    auto sd = od.init(xd);
    auto sf = of.init(xf);
    for (int t = 0; t < 10; ++t) {
      const VecX<double> g = convlab::test::random_matrix<double>(12, 1, rng);
      const VecX<float> gf = g.cast<float>();
      Eigen::internal::set_is_malloc_allowed(false);
      od.step(xd, g, sd, 0.01);
      of.step(xf, gf, sf, 0.01f);
      Eigen::internal::set_is_malloc_allowed(true);
    }
    EXPECT_LE((xf.cast<double>() - xd).cwiseAbs().maxCoeff(), 1e-5);
  };
  compare(co::SignK{});
  compare(co::HuberK{0.5});
  compare(co::RelativisticK{0.5});
  compare(co::LogCoshK{});
  compare(co::DeadZoneK{0.05});
  compare(co::QuadraticK{});
  compare(co::L2NormK{});
  compare(co::LpNormK{3.0});
  compare(co::LInfK{});
  compare(co::NuclearK(4, 3));
}

TEST(LionK, BadOptionsAreNamed) {
  EXPECT_THROW(co::Lion<double>({.beta1 = 1.0}), convlab::InvalidArgument);
  EXPECT_THROW(co::Lion<double>({.beta2 = -0.5}), convlab::InvalidArgument);
  EXPECT_THROW(co::Lion<double>({.weight_decay = -1}), convlab::InvalidArgument);
  EXPECT_THROW((co::LionK<double, co::LpNormK>({}, co::LpNormK{1.0})), convlab::InvalidArgument);
}

// The discrete Lyapunov function: non-increasing for a smooth κ with small lr (once
// feasible); for Lion its positive increments are O(lr²) (about 4× smaller when lr halves).
TEST(LyapunovMonitor, SmoothKappaDecreasesAndLionIncrementsAreSecondOrder) {
  MatX<double> A(8, 5);
  std::mt19937_64 rng(convlab::test::test_seed() + 5);
  A = convlab::test::random_matrix<double>(8, 5, rng);
  VecX<double> xstar(5);
  xstar << 5, -3, 0.2, 4, -0.1;
  const cp::LeastSquares<double> f(A, A * xstar);
  auto run = [&](auto kappa, double lr, int steps) {
    using K = decltype(kappa);
    co::LyapunovMonitor<double, K> mon{kappa, 1.0, 0.9, 0.99};
    VecX<double> x = VecX<double>::Zero(5);
    co::minimize(f, co::LionK<double, K>({.weight_decay = 1.0}, kappa), x, {.max_iterations = steps}, lr, mon);
    return mon;
  };
  const auto huber = run(co::HuberK{0.5}, 1e-3, 4000);
  EXPECT_LE(huber.largest_increase(), 1e-12);
  EXPECT_EQ(huber.violation.back(), 0.0);
  const auto l1a = run(co::SignK{}, 0.02, 2000), l1b = run(co::SignK{}, 0.01, 4000);
  auto positive_total = [](const auto& m) {
    double s = 0;
    for (std::size_t t = 1; t < m.H.size(); ++t)
      if (std::isfinite(m.H[t]) && std::isfinite(m.H[t - 1])) s += std::max(0.0, m.H[t] - m.H[t - 1]);
    return s;
  };
  const double ra = l1a.largest_increase(), rb = l1b.largest_increase();
  EXPECT_GT(ra, 0.0) << "Lion's H_d does increase a little";
  EXPECT_LT(rb, ra / 2.5) << "largest increase shrinks like lr²: " << ra << " -> " << rb;
  EXPECT_GT(positive_total(l1a), 0.0);
}

// Independent references: proximal gradient on f + (1/λ)κ*(λx) meets its KKT condition, agrees
// with Ceres (bounds, active-set loop) for the box, and Lion with linear decay approaches it.
TEST(LionReferences, ProximalGradientCeresAndLionAgree) {
  std::mt19937_64 rng(convlab::test::test_seed() + 6);
  const MatX<double> A = convlab::test::random_matrix<double>(40, 6, rng);
  VecX<double> xt(6);
  xt << 5, -3, 0.2, 4, -0.1, 2;
  const VecX<double> b = A * xt;
  const cp::LeastSquares<double> f(A, b);
  const double lambda = 1.0;
  const auto R = co::composite_term<double>(co::SignK{}, lambda);
  VecX<double> xr = VecX<double>::Zero(6);
  const auto res = co::proximal_gradient(f, R, xr, f.lipschitz());
  EXPECT_LE(res.certificate.value, 1e-12);
  VecX<double> xc = VecX<double>::Zero(6);
  double kkt = 1;
  co::ceres_box_least_squares(A, b, -1, 1, xc, &kkt);
  EXPECT_LE(kkt, 1e-9);
  EXPECT_LE((xc - xr).lpNorm<Eigen::Infinity>(), 1e-8);
  VecX<double> x = VecX<double>::Constant(6, 3.0);
  co::minimize(f, co::Lion<double>({.weight_decay = lambda}), x, {.max_iterations = 20000},
               convlab::schedules::linear_decay(1e-2, 20000));
  EXPECT_LE((x - xr).lpNorm<Eigen::Infinity>(), 1e-3);
  // Every separable κ's composite term has a prox that meets its own optimality condition:
  // the reference for Huber is the clipped ridge solution's fixed point.
  const auto Rh = co::composite_term<double>(co::HuberK{0.5}, lambda);
  VecX<double> xh = VecX<double>::Zero(6);
  EXPECT_LE(co::proximal_gradient(f, Rh, xh, f.lipschitz()).certificate.value, 1e-12);
  EXPECT_LE(xh.lpNorm<Eigen::Infinity>(), 1 / lambda + 1e-12);
}

// A κ chosen by name (AnyKappa) steps the same bits as the concrete κ, vector and blocks,
// and validates its parameters like the concrete κ does.
TEST(AnyKappa, StepsTheSameBitsAsTheConcreteKappa) {
  std::mt19937_64 rng(convlab::test::test_seed() + 11);
  const VecX<double> x0 = convlab::test::random_matrix<double>(12, 1, rng);
  std::vector<VecX<double>> grads;
  for (int t = 0; t < 20; ++t) grads.push_back(convlab::test::random_matrix<double>(12, 1, rng));
  int checked = 0;
  // every named κ, with non-default parameters where it has them
  const auto run = [&](auto kappa) {
    using K = decltype(kappa);
    VecX<double> xk = x0, xa = x0;
    const co::LionK<double, K> ok({.weight_decay = 0.3}, kappa);
    const co::LionK<double, co::AnyKappa> oa({.weight_decay = 0.3}, co::AnyKappa(kappa));
    auto sk = ok.init(xk);
    auto sa = oa.init(xa);
    for (const auto& g : grads) {
      ok.step(xk, g, sk, 0.01);
      Eigen::internal::set_is_malloc_allowed(false);
      oa.step(xa, g, sa, 0.01);
      Eigen::internal::set_is_malloc_allowed(true);
    }
    EXPECT_TRUE(xk == xa) << typeid(K).name();
    EXPECT_FALSE(xk == x0) << typeid(K).name();
    ++checked;
  };
  run(co::SignK{});
  run(co::HuberK{0.5});
  run(co::L2NormK{});
  run(co::LInfK{});
  run(co::LpNormK{2.5});
  run(co::RelativisticK{0.3});
  run(co::DeadZoneK{0.05});
  run(co::LogCoshK{2.0});
  run(co::QuadraticK{});
  run(co::NuclearK(4, 3));
  EXPECT_EQ(checked, static_cast<int>(std::tuple_size_v<decltype(co::kappa_names)>));
}

TEST(AnyKappa, BlocksGiveTheNuclearKappaEachBlocksShape) {
  std::mt19937_64 rng(convlab::test::test_seed() + 12);
  VecX<double> w = convlab::test::random_matrix<double>(6, 1, rng), b = convlab::test::random_matrix<double>(2, 1, rng);
  VecX<double> w2 = w, b2 = b;
  const co::LionK<double, co::NuclearK> typed({.weight_decay = 0.1});
  const co::LionK<double, co::AnyKappa> named({.weight_decay = 0.1}, co::AnyKappa(co::NuclearK{}));
  auto s1 = typed.init({{w.data(), 3, 2}, {b.data(), 2, 1}});
  auto s2 = named.init({{w2.data(), 3, 2}, {b2.data(), 2, 1}});
  for (int t = 0; t < 5; ++t) {
    const VecX<double> gw = convlab::test::random_matrix<double>(6, 1, rng), gb = convlab::test::random_matrix<double>(2, 1, rng);
    typed.step({{w.data(), 3, 2}, {b.data(), 2, 1}}, {{gw.data(), 3, 2}, {gb.data(), 2, 1}}, s1, 0.05);
    named.step({{w2.data(), 3, 2}, {b2.data(), 2, 1}}, {{gw.data(), 3, 2}, {gb.data(), 2, 1}}, s2, 0.05);
  }
  EXPECT_TRUE(w == w2);
  EXPECT_TRUE(b == b2);
}

TEST(AnyKappa, NamesFindTheirKappaAndParametersAreValidated) {
  std::vector<std::string> names;
  std::apply([&](const auto&... e) { (names.emplace_back(e.name), ...); }, co::kappa_names);
  EXPECT_EQ(std::set<std::string>(names.begin(), names.end()).size(), names.size());  // distinct
  for (const auto& n : names) EXPECT_TRUE(co::with_kappa_named(n, [](const auto&) {})) << n;
  EXPECT_FALSE(co::with_kappa_named("signum", [](const auto&) {}));
  bool huber = false;
  co::with_kappa_named("huber", [&](const auto& e) { huber = std::is_same_v<typename std::decay_t<decltype(e)>::type, co::HuberK>; });
  EXPECT_TRUE(huber);
  EXPECT_THROW((co::LionK<double, co::AnyKappa>({}, co::AnyKappa(co::HuberK{0.0}))), convlab::InvalidArgument);
  EXPECT_THROW((co::LionK<double, co::AnyKappa>({}, co::AnyKappa(co::LpNormK{1.0}))), convlab::InvalidArgument);
  try {
    co::LogCoshK{-1.0}.validate();
    ADD_FAILURE() << "no throw";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "LogCoshK::beta = -1 violates beta > 0");
  }
}
