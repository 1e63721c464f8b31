// Block coordinate descent: partitions, selection rules, updates and the driver against the
// spec's invariants (g) 1–10, brute-force selections and direct solves.
#include <gtest/gtest.h>

#include <boost/math/distributions/chi_squared.hpp>
#include <convlab/optim/bcd.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/graph_quadratic.hpp>
#include <convlab/problems/graphs.hpp>
#include <convlab/problems/synthetic.hpp>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace co = convlab::optim;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;

namespace {

// A small sparse, badly scaled least-squares / logistic problem (the spec's design).
cp::ScaledSparseData<double> small_design(Index n = 60, Index d = 40, unsigned long long seed = 3) {
  return cp::make_scaled_sparse_design<double>({n, d, 0.3, 0.3, 1, seed});
}
auto small_ls(Index n = 60, Index d = 40) {
  auto data = small_design(n, d);
  VecX<double> y = data.A * data.W.col(0);
  return cp::coordinate_form(cp::LeastSquares<double, cp::SparseDesign<double>>(data.A, y));
}
auto small_logistic(Index n = 60, Index d = 40) {
  auto data = small_design(n, d);
  VecX<double> z = data.A * data.W.col(0), y(n);
  for (Index i = 0; i < n; ++i) y[i] = z[i] > 0 ? 1 : 0;
  return cp::coordinate_form(cp::Logistic<double, cp::SparseDesign<double>>(data.A, y, {0, 1e-3, false}));
}
cp::GraphQuadratic<double> small_graph() {
  const auto W = cp::lattice_graph<double>(8, 8, 1.0);
  VecX<double> y(6);
  y << 1, -1, 2, 0.5, -3, 1;
  return cp::label_propagation<double>(W, {0, 9, 20, 35, 50, 63}, y).problem;
}

template <class P>
VecX<double> full_gradient(const P& p, const VecX<double>& x) {
  auto s = p.make_state(x, false);
  VecX<double> g(p.dim());
  p.gradient(s, g);
  return g;
}

template <class P>
co::BcdContext<P> context(const P& p, co::BlockList blocks, Index tau, bool variable) {
  return co::BcdContext<P>(p, std::move(blocks), tau, variable, 7);
}

}  // namespace

// Invariant 6.
TEST(Partitions, CoverOnceSortAndAvgOrder) {
  std::mt19937_64 rng(convlab::test::test_seed());
  VecX<double> L(23);
  for (Index i = 0; i < L.size(); ++i) L[i] = std::exp(std::normal_distribution<double>(0, 3)(rng));
  auto covers = [&](const co::BlockList& B) {
    std::vector<int> seen(23, 0);
    for (const auto& b : B)
      for (Index i : b) ++seen[static_cast<std::size_t>(i)];
    return std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; });
  };
  for (Index tau : {1, 4, 5, 23}) {
    const auto order = co::OrderPartition{tau}.blocks(L), sort = co::SortPartition{tau}.blocks(L),
               avg = co::AvgPartition{tau}.blocks(L), rnd = co::RandomPartition{tau, 9}.blocks(L);
    EXPECT_TRUE(covers(order) && covers(sort) && covers(avg) && covers(rnd));
    EXPECT_EQ(static_cast<Index>(order.size()), (23 + tau - 1) / tau);
    for (std::size_t j = 0; j + 1 < sort.size(); ++j) {
      double mx = 0, mn = 1e300;
      for (Index i : sort[j]) mx = std::max(mx, L[i]);
      for (Index i : sort[j + 1]) mn = std::min(mn, L[i]);
      EXPECT_LE(mx, mn);
    }
    std::vector<Index> s(23);
    std::iota(s.begin(), s.end(), Index{0});
    std::stable_sort(s.begin(), s.end(), [&](Index a, Index b) { return L[a] < L[b]; });
    std::vector<Index> expected, got;
    for (std::size_t lo = 0, hi = 23; lo < hi;) {
      expected.push_back(s[lo++]);
      if (lo < hi) expected.push_back(s[--hi]);
    }
    for (const auto& b : avg) got.insert(got.end(), b.begin(), b.end());
    EXPECT_EQ(got, expected);
  }
  EXPECT_THROW(co::OrderPartition{0}.blocks(L), convlab::InvalidArgument);
}

TEST(TournamentTree, TopKMatchesSortWithTies) {
  std::mt19937_64 rng(convlab::test::test_seed());
  for (int trial = 0; trial < 50; ++trial) {
    const Index n = 1 + static_cast<Index>(rng() % 40);
    VecX<double> v(n);
    for (Index i = 0; i < n; ++i) v[i] = static_cast<double>(rng() % 5);  // many ties
    co::detail::TournamentTree<double> t;
    t.assign(v);
    for (int change = 0; change < 5; ++change) {
      const Index i = static_cast<Index>(rng() % static_cast<unsigned long long>(n));
      v[i] = static_cast<double>(rng() % 5);
      t.set(i, v[i]);
    }
    std::vector<Index> idx(static_cast<std::size_t>(n)), top;
    std::iota(idx.begin(), idx.end(), Index{0});
    std::stable_sort(idx.begin(), idx.end(), [&](Index a, Index b) { return v[a] > v[b]; });
    const Index k = 1 + static_cast<Index>(rng() % static_cast<unsigned long long>(n));
    t.top(k, top);
    EXPECT_EQ(top, std::vector<Index>(idx.begin(), idx.begin() + k));
    EXPECT_EQ(t.argmax(), idx[0]);
  }
}

// Invariant 1: VB-GS = τ largest |g_i|; FB-GS = argmax block norm (ℓ2 and ℓ1), first maximiser.
TEST(Selection, GaussSouthwellMatchesBruteForce) {
  const auto p = small_ls();
  const VecX<double> x = VecX<double>::Random(p.dim());
  auto s = p.make_state(x, true);
  const VecX<double> g = full_gradient(p, x);
  {
    auto ctx = context(p, {}, 6, true);
    co::GaussSouthwell gs;
    gs.init(ctx, s);
    const auto b = gs.select(ctx, s);
    std::vector<Index> idx(static_cast<std::size_t>(p.dim()));
    std::iota(idx.begin(), idx.end(), Index{0});
    std::stable_sort(idx.begin(), idx.end(), [&](Index a, Index c) { return std::abs(g[a]) > std::abs(g[c]); });
    EXPECT_EQ(std::set<Index>(b.indices.begin(), b.indices.end()), std::set<Index>(idx.begin(), idx.begin() + 6));
  }
  for (co::BlockNorm norm : {co::BlockNorm::L2, co::BlockNorm::L1}) {
    const auto blocks = co::OrderPartition{6}.blocks(p.coordinate_lipschitz());
    auto ctx = context(p, blocks, 6, false);
    co::GaussSouthwell gs(norm);
    gs.init(ctx, s);
    Index best = -1;
    double best_score = -1;
    for (std::size_t j = 0; j < blocks.size(); ++j) {
      double sc = 0;
      for (Index i : blocks[j]) sc += norm == co::BlockNorm::L2 ? g[i] * g[i] : std::abs(g[i]);
      if (sc > best_score * (1 + 1e-12)) best_score = sc, best = static_cast<Index>(j);
    }
    EXPECT_EQ(gs.select(ctx, s).id, best);
  }
}

TEST(Selection, TiesGoToTheFirstMaximiser) {
  // Diagonal quadratic with equal curvature and equal |gradients|: every rule must pick block 0 /
  // the τ lowest indices.
  Eigen::SparseMatrix<double> M(6, 6);
  for (Index i = 0; i < 6; ++i) M.insert(i, i) = 2.0;
  cp::GraphQuadratic<double> q(M, VecX<double>::Ones(6));
  auto s = q.make_state(VecX<double>::Zero(6), true);
  auto ctx = context(q, co::OrderPartition{2}.blocks(q.coordinate_lipschitz()), 2, false);
  co::GaussSouthwell gs;
  co::GaussSouthwellLipschitz gsl;
  co::GaussSouthwellQuadratic gsq;
  gs.init(ctx, s), gsl.init(ctx, s), gsq.init(ctx, s);
  EXPECT_EQ(gs.select(ctx, s).id, 0);
  EXPECT_EQ(gsl.select(ctx, s).id, 0);
  EXPECT_EQ(gsq.select(ctx, s).id, 0);
  auto vctx = context(q, {}, 2, true);
  co::GaussSouthwell vgs;
  vgs.init(vctx, s);
  const auto b = vgs.select(vctx, s);
  EXPECT_EQ(std::vector<Index>(b.indices.begin(), b.indices.end()), (std::vector<Index>{0, 1}));
}

// Invariant 2: equal L_b ⇒ GSL = GS; H_b = L_b·I ⇒ GSQ = GSL.
TEST(Selection, RulesCoincideWhenCurvatureIsUniform) {
  std::mt19937_64 rng(convlab::test::test_seed());
  Eigen::SparseMatrix<double> M(30, 30);
  for (Index i = 0; i < 30; ++i) M.insert(i, i) = 3.0;
  VecX<double> c(30);
  for (Index i = 0; i < 30; ++i) c[i] = std::normal_distribution<double>()(rng);
  cp::GraphQuadratic<double> q(M, c);
  auto s = q.make_state(VecX<double>::Zero(30), true);
  auto ctx = context(q, co::RandomPartition{5, 4}.blocks(q.coordinate_lipschitz()), 5, false);
  co::GaussSouthwell gs;
  co::GaussSouthwellLipschitz gsl;
  co::GaussSouthwellQuadratic gsq;
  gs.init(ctx, s), gsl.init(ctx, s), gsq.init(ctx, s);
  EXPECT_EQ(gs.select(ctx, s).id, gsl.select(ctx, s).id);
  EXPECT_EQ(gsl.select(ctx, s).id, gsq.select(ctx, s).id);
}

// Invariant 3: GSL's guaranteed decrease ≥ GS's and ≥ ‖g‖²/(2ΣL_b); GSQ's ≥ every block's matrix bound.
TEST(Selection, GreedyRulesMaximiseTheirGuaranteedDecrease) {
  const auto p = small_logistic();
  std::mt19937_64 rng(convlab::test::test_seed());
  for (int trial = 0; trial < 5; ++trial) {
    VecX<double> x(p.dim());
    for (Index i = 0; i < x.size(); ++i) x[i] = 0.05 * std::normal_distribution<double>()(rng);
    auto s = p.make_state(x, true);
    const VecX<double> g = full_gradient(p, x);
    auto ctx = context(p, co::SortPartition{4}.blocks(p.coordinate_lipschitz()), 4, false);
    co::GaussSouthwell gs;
    co::GaussSouthwellLipschitz gsl;
    co::GaussSouthwellQuadratic gsq;
    gs.init(ctx, s), gsl.init(ctx, s), gsq.init(ctx, s);
    auto gb = [&](Index id) {
      VecX<double> v(4);
      for (Index t = 0; t < 4; ++t) v[t] = g[ctx.blocks[static_cast<std::size_t>(id)][static_cast<std::size_t>(t)]];
      return v;
    };
    auto lin = [&](Index id) { return gb(id).squaredNorm() / (2 * ctx.block_constant(ctx.fixed(id))); };
    auto mat = [&](Index id) { return gb(id).dot(ctx.bound_factor(ctx.fixed(id)).solve(gb(id))) / 2; };
    const Index b_gsl = gsl.select(ctx, s).id, b_gs = gs.select(ctx, s).id, b_gsq = gsq.select(ctx, s).id;
    double sumL = 0;
    for (Index j = 0; j < ctx.num_blocks(); ++j) sumL += ctx.block_constant(ctx.fixed(j));
    EXPECT_GE(lin(b_gsl), lin(b_gs) * (1 - 1e-12));
    EXPECT_GE(lin(b_gsl), g.squaredNorm() / (2 * sumL) * (1 - 1e-12));
    for (Index j = 0; j < ctx.num_blocks(); ++j) EXPECT_GE(mat(b_gsq), mat(j) * (1 - 1e-10));
  }
}

// Invariant 4: cyclic visits each block once per |B| iterations; Perm covers all coordinates once
// per ⌊n/τ⌋ iterations.
TEST(Selection, CyclicAndPermutationCoverEveryBlockEachEpoch) {
  const auto p = small_ls(30, 24);
  auto s = p.make_state(VecX<double>::Zero(p.dim()), false);
  auto ctx = context(p, co::OrderPartition{4}.blocks(p.coordinate_lipschitz()), 4, false);
  for (int rule = 0; rule < 2; ++rule) {
    co::Cyclic cyc;
    co::RandomPermutation rp;
    for (int epoch = 0; epoch < 3; ++epoch) {
      std::set<Index> seen;
      for (Index k = 0; k < 6; ++k) {
        ctx.iteration = epoch * 6 + k;
        seen.insert(rule == 0 ? cyc.select(ctx, s).id : rp.select(ctx, s).id);
      }
      EXPECT_EQ(seen.size(), 6u);
    }
  }
  auto vctx = context(p, {}, 4, true);
  co::Cyclic perm;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::multiset<Index> seen;
    for (Index k = 0; k < 6; ++k) {
      vctx.iteration = epoch * 6 + k;
      const auto b = perm.select(vctx, s);
      seen.insert(b.indices.begin(), b.indices.end());
    }
    EXPECT_EQ(seen.size(), 24u);
    EXPECT_EQ(std::set<Index>(seen.begin(), seen.end()).size(), 24u);
  }
}

// Invariant 5: Lipschitz sampling frequencies → L_b/ΣL_b (chi-square, fixed seed); VB draws distinct.
TEST(Selection, LipschitzSamplingFrequenciesPassChiSquare) {
  const auto p = small_ls(30, 24);
  auto s = p.make_state(VecX<double>::Zero(p.dim()), false);
  auto ctx = context(p, co::SortPartition{4}.blocks(p.coordinate_lipschitz()), 4, false);
  co::LipschitzSampling rule;
  rule.init(ctx, s);
  const int draws = 60000;
  std::vector<double> count(6, 0), Lb(6);
  for (int k = 0; k < draws; ++k) ++count[static_cast<std::size_t>(rule.select(ctx, s).id)];
  double total = 0;
  for (Index j = 0; j < 6; ++j) total += (Lb[static_cast<std::size_t>(j)] = ctx.block_constant(ctx.fixed(j)));
  double chi2 = 0;
  for (std::size_t j = 0; j < 6; ++j) {
    const double expected = draws * Lb[j] / total;
    chi2 += (count[j] - expected) * (count[j] - expected) / expected;
  }
  const double pvalue = boost::math::cdf(boost::math::complement(boost::math::chi_squared(5), chi2));
  EXPECT_GT(pvalue, 1e-3) << "chi2 = " << chi2;

  auto vctx = context(p, {}, 5, true);
  co::LipschitzSampling vrule;
  vrule.init(vctx, s);
  for (int k = 0; k < 200; ++k) {
    const auto b = vrule.select(vctx, s);
    EXPECT_EQ(std::set<Index>(b.indices.begin(), b.indices.end()).size(), 5u);
  }
}

// Incremental scores (tournament tree, rescoring only what changed) select exactly what a
// from-scratch scoring of the current gradient selects, along a whole run.
TEST(Selection, IncrementalGreedyEqualsRecomputedEveryIteration) {
  const auto p = small_logistic(80, 50);
  const auto q = small_graph();
  auto run = [](const auto& prob, auto rule, bool variable) {
    auto s = prob.make_state(VecX<double>::Zero(prob.dim()), true);
    auto blocks = variable ? co::BlockList{} : co::SortPartition{5}.blocks(prob.coordinate_lipschitz());
    auto ctx = co::BcdContext<std::remove_cvref_t<decltype(prob)>>(prob, blocks, 5, variable, 1);
    rule.init(ctx, s);
    co::GradientUpdate upd;
    for (long long k = 0; k < 60; ++k) {
      ctx.iteration = k;
      const auto b = rule.select(ctx, s);
      decltype(rule) fresh = rule;  // same options, rebuilt from the current state
      fresh.init(ctx, s);
      const auto bf = fresh.select(ctx, s);
      ASSERT_EQ(b.id, bf.id) << "iteration " << k;
      ASSERT_EQ(std::vector<Index>(b.indices.begin(), b.indices.end()), std::vector<Index>(bf.indices.begin(), bf.indices.end()))
          << "iteration " << k;
      VecX<double> g(static_cast<Index>(b.indices.size()));
      prob.block_gradient(s, b.indices, g);
      upd.apply(ctx, s, b, g);
      rule.updated(ctx, s, b);
    }
  };
  for (bool variable : {false, true}) {
    run(p, co::GaussSouthwell{}, variable);
    run(p, co::GaussSouthwellLipschitz{}, variable);
    run(p, co::GaussSouthwellDiagonal{co::BlockNorm::L1}, variable);
    run(q, co::GaussSouthwell{}, variable);
    run(q, co::GaussSouthwellLipschitz{}, variable);
  }
  run(p, co::GaussSouthwellQuadratic{}, false);
}

// Invariant 8: sufficient decrease per step; f non-increasing along every run with valid bounds.
template <class P, class Sel, class Upd>
void check_monotone_run(const P& p, Sel sel, Upd upd, bool variable, Index tau, double slack = 1e-12) {
  auto run = [&](auto partition) {
    co::BlockCoordinateDescent bcd(partition, sel, upd, co::BcdOptions{.max_iterations = 150, .seed = 5});
    VecX<double> x = VecX<double>::Zero(p.dim());
    const auto sum = bcd.minimize(p, x);
    ASSERT_EQ(sum.history.size(), 151u);
    for (std::size_t k = 1; k < sum.history.size(); ++k) {
      const auto& r = sum.history[k];
      EXPECT_GE(r.decrease, r.guaranteed - slack * (1 + std::abs(sum.history[k - 1].value))) << "iteration " << k;
      EXPECT_LE(r.value, sum.history[k - 1].value + slack * (1 + std::abs(sum.history[k - 1].value))) << "iteration " << k;
    }
    EXPECT_LT(sum.final_value, sum.initial_value);
    EXPECT_NEAR(sum.final_value, p.value(p.make_state(x, false)), 1e-12 * (1 + std::abs(sum.final_value)));
  };
  if (variable) run(co::VariableBlocks{tau});
  else run(co::SortPartition{tau});
}

TEST(Updates, EveryRuleAndUpdateDecreasesMonotonically) {
  const auto ls = small_ls();
  const auto lg = small_logistic();
  const auto q = small_graph();
  for (bool vb : {false, true}) {
    SCOPED_TRACE(vb ? "variable blocks" : "fixed blocks");
    check_monotone_run(ls, co::GaussSouthwellLipschitz{}, co::GradientUpdate{}, vb, 5);
    check_monotone_run(ls, co::UniformRandom{}, co::MatrixUpdate{}, vb, 5);
    check_monotone_run(lg, co::GaussSouthwell{}, co::GradientUpdate{}, vb, 5);
    check_monotone_run(lg, co::Cyclic{}, co::GlobalGradientUpdate{}, vb, 5);
    check_monotone_run(lg, co::GaussSouthwellQuadratic{}, co::MatrixUpdate{}, vb, 5);
    check_monotone_run(lg, co::GaussSouthwellDiagonal{}, co::AdaptiveGradientUpdate{}, vb, 5);
    check_monotone_run(lg, co::LipschitzSampling{}, co::NewtonUpdate{}, vb, 5, 1e-10);
    check_monotone_run(q, co::GaussSouthwell{}, co::MatrixUpdate{}, vb, 4);
    check_monotone_run(q, co::RandomPermutation{}, co::GradientUpdate{}, vb, 4);
  }
}

// Invariant 9: on a quadratic the matrix update is the exact block minimization.
TEST(Updates, ExactBlockUpdateZeroesTheBlockGradient) {
  const auto q = small_graph();
  const auto ls = small_ls();
  auto check = [](const auto& p) {
    auto s = p.make_state(VecX<double>::Random(p.dim()), true);
    auto ctx = co::BcdContext<std::remove_cvref_t<decltype(p)>>(p, co::OrderPartition{5}.blocks(p.coordinate_lipschitz()), 5, false, 1);
    co::MatrixUpdate upd;
    for (Index id = 0; id < ctx.num_blocks(); ++id) {
      const auto b = ctx.fixed(id);
      const auto t = static_cast<Index>(b.indices.size());
      VecX<double> g(t), g_before(t);
      p.block_gradient(s, b.indices, g_before);
      upd.apply(ctx, s, b, g_before);
      p.block_gradient(s, b.indices, g);
      EXPECT_LE(g.norm(), 1e-9 * (1 + g_before.norm()));
      const VecX<double> x_after = s.x;
      upd.apply(ctx, s, b, g);  // a second exact update of the same block changes nothing
      EXPECT_LE((s.x - x_after).cwiseAbs().maxCoeff(), 1e-9 * (1 + x_after.cwiseAbs().maxCoeff()));
    }
  };
  check(q);
  check(ls);
}

// Invariant 10: LA accepts L̂ ≤ max(max ℓ_i, 2L_b) with the sufficient decrease.
TEST(Updates, AdaptiveLipschitzAcceptsWithinTwiceTheBlockConstant) {
  const auto p = small_logistic();
  auto s = p.make_state(VecX<double>::Zero(p.dim()), true);
  auto ctx = co::BcdContext<std::remove_cvref_t<decltype(p)>>(p, co::OrderPartition{4}.blocks(p.coordinate_lipschitz()), 4, false, 1);
  co::AdaptiveGradientUpdate la;
  la.initial = 1e-4;
  la.init(ctx, s);
  for (long long k = 0; k < 40; ++k) {
    const auto b = ctx.fixed(k % ctx.num_blocks());
    double before = 0;
    for (Index i : b.indices) before = std::max(before, la.estimates()[i]);
    VecX<double> g(4);
    p.block_gradient(s, b.indices, g);
    const auto step = la.apply(ctx, s, b, g);
    const double accepted = la.estimates()[b.indices[0]];
    EXPECT_LE(accepted, std::max(before, 2 * ctx.block_constant(b)) * (1 + 1e-12));
    EXPECT_GE(step.decrease, g.squaredNorm() / (2 * accepted) * (1 - 1e-10));
  }
}

// End to end: greedy matrix BCD solves least squares as a direct solve does; Newton BCD solves
// L2 logistic regression to the optimum found by full Newton.
TEST(Driver, SolvesLeastSquaresAndLogisticToReferencePrecision) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = convlab::test::random_matrix<double>(80, 12, rng);
  VecX<double> b(80);
  for (Index i = 0; i < 80; ++i) b[i] = std::normal_distribution<double>()(rng);
  const VecX<double> xs = (A.transpose() * A).ldlt().solve(A.transpose() * b);
  auto ls = cp::coordinate_form(cp::LeastSquares<double>(A, b));
  co::BlockCoordinateDescent bcd(co::VariableBlocks{4}, co::GaussSouthwellQuadratic{}, co::MatrixUpdate{},
                                 {.max_iterations = 5000, .gradient_tolerance = 1e-12, .record_every = 0});
  VecX<double> x = VecX<double>::Zero(12);
  const auto sum = bcd.minimize(ls, x);
  EXPECT_EQ(sum.status, co::Status::GradientTolerance) << sum.brief_report();
  EXPECT_LE((x - xs).norm(), 1e-9 * xs.norm());

  VecX<double> y(80);
  for (Index i = 0; i < 80; ++i) y[i] = A.row(i).sum() + std::normal_distribution<double>()(rng) > 0 ? 1 : 0;
  cp::Logistic<double> lg(A, y, {0, 0.01, true});
  VecX<double> xn = VecX<double>::Zero(lg.dim()), gn(lg.dim());
  MatX<double> H(lg.dim(), lg.dim());
  for (int it = 0; it < 30; ++it) {
    lg.value_and_gradient(xn, gn);
    lg.hessian(xn, H);
    xn -= H.ldlt().solve(gn);
  }
  auto clg = cp::coordinate_form(lg);
  co::BlockCoordinateDescent newton(co::SortPartition{5}, co::GaussSouthwellQuadratic{}, co::NewtonUpdate{},
                                    {.max_iterations = 3000, .gradient_tolerance = 1e-11, .record_every = 0});
  VecX<double> x2 = VecX<double>::Zero(lg.dim());
  const auto s2 = newton.minimize(clg, x2);
  EXPECT_EQ(s2.status, co::Status::GradientTolerance) << s2.brief_report();
  EXPECT_LE((x2 - xn).norm(), 1e-8 * (1 + xn.norm()));
}

TEST(Driver, StopsOnTargetTimeAndRejectsBadOptions) {
  const auto q = small_graph();
  const MatX<double> M = MatX<double>(q.matrix());
  const VecX<double> xs = M.ldlt().solve(q.linear_term());
  const double fstar = q.value(xs);
  co::BlockCoordinateDescent bcd(co::VariableBlocks{3}, co::GaussSouthwell{}, co::MatrixUpdate{},
                                 {.max_iterations = 100000, .target_value = fstar + 1e-8});
  VecX<double> x = VecX<double>::Zero(q.dim());
  const auto sum = bcd.minimize(q, x);
  EXPECT_EQ(sum.status, co::Status::TargetValue);
  EXPECT_LE(q.value(x) - fstar, 1e-8);
  EXPECT_GE(q.value(x) - fstar, -1e-9);
  EXPECT_THROW((co::BlockCoordinateDescent(co::VariableBlocks{3}, co::Cyclic{}, co::GradientUpdate{}, {.check_every = 0})),
               convlab::InvalidArgument);
  co::BlockCoordinateDescent too_big(co::VariableBlocks{1000}, co::Cyclic{}, co::GradientUpdate{});
  EXPECT_THROW(too_big.minimize(q, x), convlab::InvalidArgument);
}

// The run-time policies (config-driven) give bit-identical runs to the template policies.
TEST(AnyPolicy, MatchesTheTemplatePoliciesBitForBit) {
  const auto p = small_logistic();
  using P = std::remove_cvref_t<decltype(p)>;
  const co::BcdOptions opt{.max_iterations = 80, .seed = 3};
  VecX<double> x1 = VecX<double>::Zero(p.dim()), x2 = x1, x3 = x1, x4 = x1;
  co::BlockCoordinateDescent t1(co::SortPartition{4}, co::GaussSouthwellLipschitz{}, co::AdaptiveGradientUpdate{}, opt);
  co::BlockCoordinateDescent a1(co::make_partition("sort", 4), co::make_selection<P>("gsl"), co::make_update<P>("la"), opt);
  const auto s1 = t1.minimize(p, x1), s2 = a1.minimize(p, x2);
  EXPECT_EQ(x1, x2);
  EXPECT_EQ(s1.final_value, s2.final_value);
  co::BlockCoordinateDescent t2(co::VariableBlocks{4}, co::LipschitzSampling{}, co::NewtonUpdate{}, opt);
  co::BlockCoordinateDescent a2(co::make_partition("vb", 4), co::make_selection<P>("lipschitz"), co::make_update<P>("newton"), opt);
  t2.minimize(p, x3);
  a2.minimize(p, x4);
  EXPECT_EQ(x3, x4);
  EXPECT_THROW(co::make_selection<P>("greedy"), convlab::InvalidArgument);
  EXPECT_THROW(co::make_update<P>("sgd"), convlab::InvalidArgument);
  EXPECT_THROW(co::make_partition("blocks", 4), convlab::InvalidArgument);
}

// Same seed, same numbers: a random rule replays exactly; a different seed differs.
TEST(Driver, RandomRulesAreSeeded) {
  const auto p = small_ls();
  auto run = [&](unsigned long long seed) {
    co::BlockCoordinateDescent bcd(co::VariableBlocks{3}, co::UniformRandom{}, co::GradientUpdate{},
                                   {.max_iterations = 50, .record_every = 0, .seed = seed});
    VecX<double> x = VecX<double>::Zero(p.dim());
    bcd.minimize(p, x);
    return x;
  };
  EXPECT_EQ(run(4), run(4));
  EXPECT_NE(run(4), run(5));
}

// float: the same driver and policies in single precision reach float accuracy.
TEST(Driver, FloatProblemsConvergeToFloatPrecision) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<float> A = convlab::test::random_matrix<float>(60, 10, rng);
  VecX<float> b(60);
  for (Index i = 0; i < 60; ++i) b[i] = static_cast<float>(std::normal_distribution<double>()(rng));
  const VecX<double> xs = (A.cast<double>().transpose() * A.cast<double>()).ldlt().solve(A.cast<double>().transpose() * b.cast<double>());
  auto ls = cp::coordinate_form(cp::LeastSquares<float>(A, b));
  co::BlockCoordinateDescent bcd(co::VariableBlocks{3}, co::GaussSouthwellLipschitz{}, co::MatrixUpdate{},
                                 {.max_iterations = 3000, .gradient_tolerance = 1e-5, .record_every = 0});
  VecX<float> x = VecX<float>::Zero(10);
  const auto s = bcd.minimize(ls, x);
  EXPECT_EQ(s.status, co::Status::GradientTolerance) << s.brief_report();
  EXPECT_LE((x.cast<double>() - xs).norm(), 1e-4 * xs.norm());
}
