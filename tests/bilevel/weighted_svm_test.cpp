// The SVM bilevel problem (spec bilevel-lvhba.md c.3): oracles against finite differences, the
// exact projection onto the margin polyhedron against Hildreth's method, the lower-level solve
// certified by its KKT conditions, the implicit hypergradient against finite differences of
// F(c, y*(c)), and LV-HBA on it (feasibility after every step, oracle counts).
#include <gtest/gtest.h>

#include <convlab/bilevel/implicit_gradient.hpp>
#include <convlab/bilevel/lvhba.hpp>
#include <convlab/bilevel/projections.hpp>
#include <convlab/bilevel/squared_hinge.hpp>
#include <convlab/bilevel/toy_problems.hpp>
#include <convlab/bilevel/weighted_svm.hpp>
#include <random>

namespace cb = convlab::bilevel;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {

cb::LabelledSet blobs(Index n, Index d, unsigned seed, double flip = 0.1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> N(0, 1);
  std::bernoulli_distribution B(flip);
  cb::LabelledSet s;
  s.Z.resize(n, d);
  s.y.resize(n);
  for (Index i = 0; i < n; ++i) {
    s.y[i] = i % 2 ? 1 : -1;
    for (Index k = 0; k < d; ++k) s.Z(i, k) = N(rng) + 0.8 * s.y[i];
    if (B(rng)) s.y[i] = -s.y[i];
  }
  return s;
}

VecX<double> random_vec(Index n, std::mt19937_64& rng, double scale = 1) {
  std::normal_distribution<double> N(0, scale);
  VecX<double> v(n);
  for (auto& x : v) x = N(rng);
  return v;
}

cb::WeightedSvmBilevel small_problem() { return cb::WeightedSvmBilevel(blobs(24, 3, 1), blobs(15, 3, 2)); }

}  // namespace

TEST(WeightedSvm, OraclesMatchFiniteDifferences) {
  const auto P = small_problem();
  std::mt19937_64 rng(3);
  const VecX<double> c = random_vec(P.upper_dim(), rng, 0.5), y = random_vec(P.lower_dim(), rng);
  VecX<double> gc(P.upper_dim()), gy(P.lower_dim()), fx(P.upper_dim()), fy(P.lower_dim());
  P.upper_gradient(c, y, gc, gy);
  P.lower_gradient_x(c, y, fx);
  P.lower_gradient_y(c, y, fy);
  const double h = 1e-6;
  for (Index k = 0; k < P.lower_dim(); ++k) {
    VecX<double> yp = y, ym = y;
    yp[k] += h, ym[k] -= h;
    EXPECT_NEAR((P.upper_value(c, yp) - P.upper_value(c, ym)) / (2 * h), gy[k], 1e-6 * (1 + std::abs(gy[k]))) << "∇ᵧF, entry " << k;
    EXPECT_NEAR((P.lower_value(c, yp) - P.lower_value(c, ym)) / (2 * h), fy[k], 1e-6 * (1 + std::abs(fy[k]))) << "∇ᵧf, entry " << k;
  }
  EXPECT_EQ(gc.norm(), 0.0);
  for (Index k = 0; k < P.upper_dim(); ++k) {
    VecX<double> cp = c, cm = c;
    cp[k] += h, cm[k] -= h;
    EXPECT_NEAR((P.lower_value(cp, y) - P.lower_value(cm, y)) / (2 * h), fx[k], 1e-6 * (1 + std::abs(fx[k])));
  }
  // ∇ᵧg(y)ᵀλ against the constraint values (g is affine in y).
  const VecX<double> lambda = random_vec(P.constraints(), rng), dy = random_vec(P.lower_dim(), rng);
  VecX<double> g0(P.constraints()), g1(P.constraints()), jt(P.lower_dim());
  P.constraint_value(c, y, g0);
  P.constraint_value(c, y + dy, g1);
  P.constraint_jacobian_y_transpose(c, y, lambda, jt);
  EXPECT_NEAR(lambda.dot(g1 - g0), jt.dot(dy), 1e-10 * (1 + std::abs(jt.dot(dy))));
}

TEST(WeightedSvm, ProjectionMatchesHildrethOnThePolyhedron) {
  const auto P = small_problem();
  const auto& tr = P.train();
  const Index n = P.upper_dim(), d = P.features(), m = P.lower_dim();
  cb::PolyhedralProjector::SparseRows G(n, m);
  for (Index i = 0; i < n; ++i) {
    for (Index k = 0; k < d; ++k) G.insert(i, k) = -tr.y[i] * tr.Z(i, k);
    G.insert(i, d) = -tr.y[i];
    G.insert(i, d + 1 + i) = -1;
  }
  const cb::PolyhedralProjector hildreth(G, VecX<double>::Constant(n, -1.0), 1e-13, 1000000);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 5; ++trial) {
    VecX<double> c = VecX<double>::Zero(n), y = random_vec(m, rng, 2), w = y, mu;
    P.project_feasible(c, y);
    const auto r = hildreth(w, mu);
    ASSERT_TRUE(r.converged);
    EXPECT_LE((y - w).cwiseAbs().maxCoeff(), 1e-8) << "trial " << trial;
    VecX<double> g(n);
    P.constraint_value(c, y, g);
    EXPECT_LE(g.maxCoeff(), 1e-12);
  }
}

TEST(WeightedSvm, LowerLevelSolveSatisfiesKkt) {
  const auto P = small_problem();
  std::mt19937_64 rng(7);
  const VecX<double> c = random_vec(P.upper_dim(), rng, 1.0);
  VecX<double> y, mu;
  P.solve_lower(c, y, mu);
  VecX<double> g(P.constraints()), grad(P.lower_dim()), jt(P.lower_dim());
  P.constraint_value(c, y, g);
  P.lower_gradient_y(c, y, grad);
  P.constraint_jacobian_y_transpose(c, y, mu, jt);
  EXPECT_LE(g.maxCoeff(), 1e-12);                                   // primal feasibility
  EXPECT_GE(mu.minCoeff(), 0.0);                                     // dual feasibility
  EXPECT_LE((mu.array() * g.array()).abs().maxCoeff(), 1e-12);       // complementarity
  EXPECT_LE((grad + jt).cwiseAbs().maxCoeff(), 1e-10);               // stationarity of the Lagrangian
  EXPECT_GT((mu.array() > 0).count(), 0);
  // Optimality against random feasible points (projected): none is lower.
  const double best = P.lower_value(c, y);
  for (int t = 0; t < 50; ++t) {
    VecX<double> cc = c, yy = y + random_vec(P.lower_dim(), rng, 0.1);
    P.project_feasible(cc, yy);
    EXPECT_GE(P.lower_value(c, yy), best - 1e-12);
  }
}

TEST(WeightedSvm, SquaredHingeMinimizerSatisfiesStationarity) {
  std::mt19937_64 rng(11);
  const Index n = 40, p = 5;
  MatX<double> A(n, p);
  for (Index i = 0; i < n; ++i) A.row(i) = random_vec(p, rng).transpose();
  const VecX<double> h = random_vec(n, rng), omega = random_vec(n, rng).cwiseAbs().array() + 0.1, u0 = random_vec(p, rng);
  VecX<double> D = VecX<double>::Ones(p), u, r;
  D[p - 1] = 0;  // one unpenalized coordinate, as the SVM's bias
  const auto res = cb::minimize_squared_hinge(A, h, omega, D, u0, u, r);
  ASSERT_TRUE(res.converged);
  const VecX<double> grad = (D.array() * (u - u0).array()).matrix() - A.transpose() * (omega.array() * (h - A * u).cwiseMax(0).array()).matrix();
  EXPECT_LE(grad.cwiseAbs().maxCoeff(), 1e-10);
  EXPECT_LE(res.iterations, 30);
}

TEST(ImplicitGradient, HypergradientMatchesFiniteDifferencesOfTheValueFunction) {
  const auto P = small_problem();
  std::mt19937_64 rng(13);
  const VecX<double> c = random_vec(P.upper_dim(), rng, 0.5);
  VecX<double> y, mu;
  P.solve_lower(c, y, mu);
  const cb::ImplicitGradient<cb::WeightedSvmBilevel> ig;
  cb::ImplicitGradientStep info;
  const VecX<double> grad = ig.hypergradient(P, c, y, mu, info);
  EXPECT_GT(info.active, 0);
  EXPECT_EQ(info.kkt_size, P.lower_dim() + info.active);
  auto phi = [&](const VecX<double>& cc) {
    VecX<double> yy = y, mm;
    P.solve_lower(cc, yy, mm);
    return P.upper_value(cc, yy);
  };
  const double h = 1e-6;
  double worst = 0;
  for (Index k = 0; k < P.upper_dim(); ++k) {
    VecX<double> cp = c, cm = c;
    cp[k] += h, cm[k] -= h;
    worst = std::max(worst, std::abs((phi(cp) - phi(cm)) / (2 * h) - grad[k]));
  }
  EXPECT_LE(worst, 1e-6 * (1 + grad.cwiseAbs().maxCoeff()));
  EXPECT_GT(grad.norm(), 1e-6);  // a non-trivial gradient: the check above could have failed
}

TEST(ImplicitGradient, StepsDecreaseTheBilevelObjectiveWithASmallStep) {
  const auto P = small_problem();
  const cb::ImplicitGradient<cb::WeightedSvmBilevel> ig({.step = 0.05});
  cb::ImplicitGradientState s{VecX<double>::Zero(P.upper_dim()), VecX<double>(), VecX<double>()};
  auto phi = [&](const VecX<double>& cc) {
    VecX<double> yy, mm;
    P.solve_lower(cc, yy, mm);
    return P.upper_value(cc, yy);
  };
  const double start = phi(s.x);
  for (int k = 0; k < 20; ++k) ig.step(P, s);
  EXPECT_LT(phi(s.x), start);
}

TEST(LvhbaOnSvm, FeasibleAfterEveryStepWithTheSpecsOracleCounts) {
  const auto P = small_problem();
  const cb::CountingBilevel<cb::WeightedSvmBilevel> counted(P);
  const cb::Lvhba<cb::CountingBilevel<cb::WeightedSvmBilevel>> lv({.alpha = 0.003, .beta = 0.01, .eta = 0.001, .gamma1 = 10, .gamma2 = 10, .c0 = 1, .p = 0.5, .box = 1});
  const Index n = P.upper_dim(), m = P.lower_dim();
  VecX<double> y0 = VecX<double>::Ones(m);
  y0[P.features()] = 0;
  cb::LvhbaState s{VecX<double>::Zero(n), y0, VecX<double>::Ones(n), y0, VecX<double>::Ones(n)};
  lv.init(counted, s);
  const auto before = counted.counts();
  VecX<double> g(n);
  const int K = 200;
  for (int k = 0; k < K; ++k) {
    lv.step(counted, s);
    P.constraint_value(s.x, s.y, g);
    ASSERT_LE(g.maxCoeff(), 1e-12) << "iteration " << k;
    ASSERT_TRUE((s.lambda.array() >= 0).all() && (s.lambda.array() <= 1).all());
  }
  const auto& c = counted.counts();
  EXPECT_EQ(c.upper_gradient - before.upper_gradient, K);
  EXPECT_EQ(c.lower_gradient_y - before.lower_gradient_y, 2 * K);
  EXPECT_EQ(c.lower_gradient_x - before.lower_gradient_x, 2 * K);
  EXPECT_EQ(c.constraint_value - before.constraint_value, K);
  EXPECT_EQ(c.project_feasible - before.project_feasible, K);
}

TEST(WeightedSvm, RejectsBadInput) {
  auto tr = blobs(10, 2, 1), va = blobs(5, 2, 2);
  auto bad = tr;
  bad.y[3] = 0.5;
  EXPECT_THROW(cb::WeightedSvmBilevel(bad, va), convlab::InvalidArgument);
  bad = tr;
  bad.Z(2, 1) = std::nan("");
  EXPECT_THROW(cb::WeightedSvmBilevel(bad, va), convlab::InvalidArgument);
  EXPECT_THROW(cb::WeightedSvmBilevel(tr, blobs(5, 3, 2)), convlab::InvalidArgument);
  EXPECT_THROW(cb::WeightedSvmBilevel(tr, va, 1.0, 1000.0), convlab::InvalidArgument);
}
