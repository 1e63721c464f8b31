// The block-coordinate forms of least squares, logistic, multinomial and label propagation
// against the ordinary problems, finite differences and dense linear algebra (spec (g) 7, 11, 15).
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/graph_quadratic.hpp>
#include <convlab/problems/graphs.hpp>
#include <convlab/problems/synthetic.hpp>
#include <numeric>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
using convlab::MatX;
using convlab::VecX;
using convlab::test::random_matrix;
using convlab::test::sparsify;
using Index = Eigen::Index;

namespace {

template <class S>
std::vector<Index> random_block(Index n, Index tau, std::mt19937_64& rng) {
  std::vector<Index> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), Index{0});
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(static_cast<std::size_t>(tau));
  return all;
}

template <class S>
double min_eig(const MatX<S>& M) {
  return Eigen::SelfAdjointEigenSolver<MatX<double>>(M.template cast<double>()).eigenvalues().minCoeff();
}

// Three problems (LS, logistic, multinomial) over one design, as coordinate forms plus the originals.
template <class S, class Design>
struct Zoo {
  cp::LeastSquares<S, Design> ls;
  cp::Logistic<S, Design> lg;
  cp::Multinomial<S, Design> mn;
};

template <class S, class Design>
Zoo<S, Design> make_zoo(const Design& A, std::mt19937_64& rng, const cp::LinearModelOptions& opt, const VecX<S>& w = {}) {
  std::normal_distribution<double> N;
  VecX<S> b(A.rows()), y01(A.rows()), cls(A.rows());
  for (Index i = 0; i < A.rows(); ++i) {
    b[i] = static_cast<S>(N(rng));
    y01[i] = N(rng) > 0 ? S(1) : S(0);
    cls[i] = static_cast<S>(i % 4);
  }
  return {cp::LeastSquares<S, Design>(A, b, opt, w), cp::Logistic<S, Design>(A, y01, opt, w), cp::Multinomial<S, Design>(A, cls, 4, opt, w)};
}

// Value, gradient, block gradients, tracked gradient, decrease and `changed` against the original problem.
template <class Original>
void check_against_original(const Original& orig, std::mt19937_64& rng, double rtol) {
  using S = typename Original::Scalar;
  auto cf = cp::coordinate_form(orig);
  const Index n = cf.dim();
  ASSERT_EQ(n, orig.dim());
  std::normal_distribution<double> N(0.0, 0.3);
  VecX<S> x(n);
  for (Index i = 0; i < n; ++i) x[i] = static_cast<S>(N(rng));
  for (bool track : {false, true}) {
    auto s = cf.make_state(x, track);
    VecX<S> g_ref(n), g(n);
    EXPECT_NEAR(cf.value(s), orig.value(x), rtol * (1 + std::abs(orig.value(x))));
    for (int step = 0; step < 12; ++step) {
      const VecX<S> xs = s.x;
      cp::gradient(orig, xs, g_ref);
      cf.gradient(s, g);
      EXPECT_LE((g - g_ref).cwiseAbs().maxCoeff(), rtol * (1 + g_ref.cwiseAbs().maxCoeff())) << "step " << step;
      if (track) {
        EXPECT_LE((s.grad - g_ref).cwiseAbs().maxCoeff(), rtol * (1 + g_ref.cwiseAbs().maxCoeff()));
      }
      const auto blk = random_block<S>(n, std::min<Index>(n, 1 + step % 5), rng);
      VecX<S> gb(static_cast<Index>(blk.size()));
      cf.block_gradient(s, blk, gb);
      for (std::size_t t = 0; t < blk.size(); ++t)
        EXPECT_NEAR(gb[static_cast<Index>(t)], g_ref[blk[t]], rtol * (1 + g_ref.cwiseAbs().maxCoeff()));
      VecX<S> d(static_cast<Index>(blk.size()));
      for (Index t = 0; t < d.size(); ++t) d[t] = static_cast<S>(N(rng));
      const S f0 = orig.value(xs);
      const S dec = cf.decrease(s, blk, d);
      cf.update_block(s, blk, d);
      VecX<S> x1 = xs;
      for (std::size_t t = 0; t < blk.size(); ++t) x1[blk[t]] += d[static_cast<Index>(t)];
      EXPECT_LE((s.x - x1).cwiseAbs().maxCoeff(), 0);
      EXPECT_NEAR(dec, f0 - orig.value(x1), rtol * (1 + std::abs(f0)));
      EXPECT_NEAR(cf.value(s), orig.value(x1), rtol * (1 + std::abs(f0)));
      if (track && !s.all_changed) {  // every gradient entry that moved is listed
        VecX<S> g1(n);
        cp::gradient(orig, x1, g1);
        std::vector<char> listed(static_cast<std::size_t>(n), 0);
        for (Index a : s.changed) listed[a] = 1;
        for (Index a = 0; a < n; ++a)
          if (!listed[a]) {
            EXPECT_EQ(g1[a], g_ref[a]) << "coordinate " << a << " changed but is not listed";
          }
      }
    }
  }
}

// max L_i ≤ L_b ≤ Σ L_i; H_b ⪰ ∇²_bb f(x) (and against central differences); the Gershgorin
// diagonal dominates the global bound and ∇²_bb f.
template <class Form>
void check_bounds(const Form& cf, std::mt19937_64& rng) {
  std::normal_distribution<double> N;
  const VecX<double> L = cf.coordinate_lipschitz();
  for (int trial = 0; trial < 20; ++trial) {
    const auto blk = random_block<double>(cf.dim(), 1 + trial % 6, rng);
    const auto t = static_cast<Index>(blk.size());
    MatX<double> Hb(t, t), Hx(t, t);
    cf.block_hessian_bound(blk, Hb);
    const double lb = Eigen::SelfAdjointEigenSolver<MatX<double>>(Hb).eigenvalues().maxCoeff();
    double lmax = 0, lsum = 0;
    for (Index i : blk) lmax = std::max(lmax, L[i]), lsum += L[i];
    EXPECT_LE(lmax, lb * (1 + 1e-12));
    EXPECT_LE(lb, lsum * (1 + 1e-12));
    VecX<double> x(cf.dim());
    for (Index i = 0; i < x.size(); ++i) x[i] = 2 * N(rng);
    auto s = cf.make_state(x, false);
    cf.block_hessian(s, blk, Hx);
    EXPECT_GE(min_eig<double>(Hb - Hx), -1e-10 * Hb.norm());
    // The block Hessian against central differences of the block gradient.
    const double h = 1e-6;
    for (Index u = 0; u < t; ++u) {
      VecX<double> e = VecX<double>::Zero(t), gp(t), gm(t);
      e[u] = h;
      auto sp = cf.make_state(x, false);
      cf.update_block(sp, blk, e);
      cf.block_gradient(sp, blk, gp);
      auto sm = cf.make_state(x, false);
      cf.update_block(sm, blk, -e);
      cf.block_gradient(sm, blk, gm);
      EXPECT_LE(((gp - gm) / (2 * h) - Hx.col(u)).cwiseAbs().maxCoeff(), 1e-6 * (1 + Hx.cwiseAbs().maxCoeff()));
    }
    // Gershgorin diagonal (GSD-Hb): diag(D_b) ⪰ the global bound's block and ⪰ ∇²_bb f.
    const VecX<double> D = cf.hessian_bound_row_sums();
    MatX<double> Dg = MatX<double>::Zero(t, t);
    for (Index u = 0; u < t; ++u) Dg(u, u) = D[blk[static_cast<std::size_t>(u)]];
    MatX<double> Hglob(t, t);
    for (Index v = 0; v < t; ++v) {
      VecX<double> e = VecX<double>::Zero(cf.dim()), col(cf.dim());
      e[blk[static_cast<std::size_t>(v)]] = 1;
      cf.hessian_bound_times(e, col);
      for (Index u = 0; u < t; ++u) Hglob(u, v) = col[blk[static_cast<std::size_t>(u)]];
    }
    EXPECT_GE(min_eig<double>(Dg - Hglob), -1e-10 * Dg.norm());
    EXPECT_GE(min_eig<double>(Dg - Hx), -1e-10 * Dg.norm());
  }
}

}  // namespace

TEST(CoordinateForm, MatchesOriginalProblemsDenseAndSparse) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = random_matrix<double>(40, 9, rng);
  const auto As = sparsify<double>(A, 0.3, rng);
  for (cp::LinearModelOptions opt : {cp::LinearModelOptions{}, cp::LinearModelOptions{0, 0.1, true}}) {
    SCOPED_TRACE(opt.intercept ? "intercept + l2" : "plain");
    auto zd = make_zoo<double>(A, rng, opt);
    check_against_original(zd.ls, rng, 1e-10);
    check_against_original(zd.lg, rng, 1e-10);
    check_against_original(zd.mn, rng, 1e-10);
    auto zs = make_zoo<double>(As, rng, opt);
    check_against_original(zs.ls, rng, 1e-10);
    check_against_original(zs.lg, rng, 1e-10);
    check_against_original(zs.mn, rng, 1e-10);
  }
}

TEST(CoordinateForm, FloatMatchesOriginal) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<float> A = random_matrix<float>(30, 6, rng);
  auto z = make_zoo<float>(A, rng, {0, 0.1, true});
  check_against_original(z.ls, rng, 2e-4);
  check_against_original(z.lg, rng, 2e-4);
  check_against_original(z.mn, rng, 2e-4);
}

TEST(CoordinateForm, RefusesL1AndBadInput) {
  std::mt19937_64 rng(1);
  const MatX<double> A = random_matrix<double>(10, 3, rng);
  cp::LeastSquares<double> ls(A, VecX<double>::Zero(10), {0.1, 0, false});
  EXPECT_THROW(cp::coordinate_form(ls), convlab::InvalidArgument);
  cp::LeastSquares<double> ok(A, VecX<double>::Zero(10));
  auto cf = cp::coordinate_form(ok);
  EXPECT_THROW(cf.make_state(VecX<double>::Zero(4), false), convlab::InvalidArgument);
  VecX<double> bad = VecX<double>::Zero(3);
  bad[1] = std::nan("");
  EXPECT_THROW(cf.make_state(bad, false), convlab::InvalidArgument);
}

// Invariant 7: L_i = ‖a_i‖²/n (LS), ¼‖a_i‖²/n (logistic); max L_i ≤ L_b ≤ Σ L_i; H_b ⪰ ∇²_bb f(x).
TEST(CoordinateForm, LipschitzConstantsAndBlockBoundsDominate) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = random_matrix<double>(50, 8, rng);
  auto z = make_zoo<double>(A, rng, {0, 0.05, true});
  auto ls = cp::coordinate_form(z.ls);
  auto lg = cp::coordinate_form(z.lg);
  auto mn = cp::coordinate_form(z.mn);
  const VecX<double> Lls = ls.coordinate_lipschitz(), Llg = lg.coordinate_lipschitz();
  for (Index j = 0; j < 8; ++j) {
    EXPECT_NEAR(Lls[j], A.col(j).squaredNorm() / 50 + 0.05, 1e-12);
    EXPECT_NEAR(Llg[j], 0.25 * A.col(j).squaredNorm() / 50 + 0.05, 1e-12);
  }
  EXPECT_NEAR(Lls[8], 1.0, 1e-12);  // intercept: ‖1‖²/n, unpenalized
  {
    SCOPED_TRACE("least squares");
    check_bounds(ls, rng);
  }
  {
    SCOPED_TRACE("logistic");
    check_bounds(lg, rng);
  }
  {
    SCOPED_TRACE("multinomial (Böhning)");
    check_bounds(mn, rng);
  }
}

// Sample weights (integers 0 … 3 and fractions, some 0): the coordinate form against the
// weighted problems, and its bounds.
TEST(CoordinateForm, WeightedMatchesOriginalProblemsAndBoundsDominate) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = random_matrix<double>(40, 6, rng);
  const auto As = sparsify<double>(A, 0.4, rng);
  VecX<double> w(40);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (Index i = 0; i < 40; ++i) w[i] = i % 5 == 0 ? 0.0 : i % 3 == 0 ? 2.0 : 3 * u(rng);
  for (cp::LinearModelOptions opt : {cp::LinearModelOptions{}, cp::LinearModelOptions{0, 0.1, true}}) {
    SCOPED_TRACE(opt.intercept ? "intercept + l2" : "plain");
    auto zd = make_zoo<double>(A, rng, opt, w);
    check_against_original(zd.ls, rng, 1e-10);
    check_against_original(zd.lg, rng, 1e-10);
    check_against_original(zd.mn, rng, 1e-10);
    auto zs = make_zoo<double>(As, rng, opt, w);
    check_against_original(zs.ls, rng, 1e-10);
    check_against_original(zs.lg, rng, 1e-10);
    check_against_original(zs.mn, rng, 1e-10);
    auto ls = cp::coordinate_form(zd.ls);
    const VecX<double> L = ls.coordinate_lipschitz();
    for (Index j = 0; j < 6; ++j) EXPECT_NEAR(L[j], w.dot(A.col(j).cwiseAbs2()) / w.sum() + opt.l2, 1e-12);
    {
      SCOPED_TRACE("least squares");
      check_bounds(ls, rng);
    }
    {
      SCOPED_TRACE("logistic");
      check_bounds(cp::coordinate_form(zs.lg), rng);
    }
    {
      SCOPED_TRACE("multinomial");
      check_bounds(cp::coordinate_form(zd.mn), rng);
    }
  }
}

// The global bound applied to a vector equals the full-block bound when the block holds every class.
TEST(CoordinateForm, GlobalBoundProductMatchesFullBlock) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = random_matrix<double>(30, 5, rng);
  auto z = make_zoo<double>(A, rng, {0, 0.1, true});
  auto mn = cp::coordinate_form(z.mn);
  std::vector<Index> all(static_cast<std::size_t>(mn.dim()));
  std::iota(all.begin(), all.end(), Index{0});
  MatX<double> H(mn.dim(), mn.dim());
  mn.block_hessian_bound(all, H);
  VecX<double> v = VecX<double>::Random(mn.dim()), Hv(mn.dim());
  mn.hessian_bound_times(v, Hv);
  EXPECT_LE((H * v - Hv).cwiseAbs().maxCoeff(), 1e-12 * (1 + Hv.cwiseAbs().maxCoeff()));
}

// Invariant 11: Σ_c ∂f/∂X_jc = 0 for every feature (no penalty).
TEST(CoordinateForm, SoftmaxGradientSumsToZeroOverClasses) {
  std::mt19937_64 rng(convlab::test::test_seed());
  const MatX<double> A = random_matrix<double>(40, 6, rng);
  auto z = make_zoo<double>(A, rng, {});
  auto mn = cp::coordinate_form(z.mn);
  const VecX<double> x = VecX<double>::Random(mn.dim());
  auto s = mn.make_state(x, true);
  for (Index j = 0; j < mn.rows_per_output(); ++j) {
    double sum = 0;
    for (Index c = 0; c < mn.num_outputs(); ++c) sum += s.grad[c * mn.rows_per_output() + j];
    EXPECT_NEAR(sum, 0.0, 1e-14);
  }
}

// Invariant 15: M is an SPD M-matrix; the exact solution obeys the maximum principle.
TEST(LabelPropagation, SpdMMatrixAndMaximumPrinciple) {
  const auto moons = cp::make_two_moons(300, 0.2, 7);
  const auto W = cp::knn_graph<double>(moons.points, 5);
  const auto labelled = cp::choose_nodes(300, 20, 8);
  VecX<double> y(20);
  for (Index t = 0; t < 20; ++t) y[t] = 1 + moons.moon[static_cast<std::size_t>(labelled[static_cast<std::size_t>(t)])];
  const auto lp = cp::label_propagation<double>(W, labelled, y);
  const MatX<double> M = MatX<double>(lp.problem.matrix());
  EXPECT_EQ(M.rows(), 280);
  EXPECT_GT(min_eig<double>(M), 0);
  for (Index i = 0; i < M.rows(); ++i)
    for (Index j = 0; j < M.cols(); ++j)
      if (i != j) {
        EXPECT_LE(M(i, j), 0);
      }
  const VecX<double> xs = M.ldlt().solve(lp.problem.linear_term());
  EXPECT_GE(xs.minCoeff(), y.minCoeff() - 1e-12);
  EXPECT_LE(xs.maxCoeff(), y.maxCoeff() + 1e-12);
}

TEST(GraphQuadratic, BlocksGradientDecreaseAndChangedSet) {
  const auto W = cp::lattice_graph<double>(6, 5, 3.0);
  EXPECT_EQ(W.nonZeros(), 2 * (5 * 5 + 6 * 4));
  const auto lp = cp::label_propagation<double>(W, {0, 7, 29}, (VecX<double>(3) << 1, -2, 4).finished());
  const auto& q = lp.problem;
  const MatX<double> M = MatX<double>(q.matrix());
  std::mt19937_64 rng(convlab::test::test_seed());
  VecX<double> x = VecX<double>::Random(q.dim());
  auto s = q.make_state(x, false);
  for (int step = 0; step < 30; ++step) {
    const auto blk = random_block<double>(q.dim(), 1 + step % 7, rng);
    const auto t = static_cast<Index>(blk.size());
    MatX<double> H(t, t);
    q.block_hessian_bound(blk, H);
    for (Index u = 0; u < t; ++u)
      for (Index v = 0; v < t; ++v) EXPECT_EQ(H(u, v), M(blk[static_cast<std::size_t>(u)], blk[static_cast<std::size_t>(v)]));
    const VecX<double> d = VecX<double>::Random(t);
    const VecX<double> g0 = M * s.x - q.linear_term();
    const double f0 = q.value(VecX<double>(s.x));
    const double dec = q.decrease(s, blk, d);
    q.update_block(s, blk, d);
    EXPECT_NEAR(dec, f0 - q.value(VecX<double>(s.x)), 1e-10 * (1 + std::abs(f0)));
    const VecX<double> g1 = M * s.x - q.linear_term();
    EXPECT_LE((s.grad - g1).cwiseAbs().maxCoeff(), 1e-10);
    std::vector<char> listed(static_cast<std::size_t>(q.dim()), 0);
    for (Index a : s.changed) listed[a] = 1;
    for (Index a = 0; a < q.dim(); ++a)
      if (!listed[a]) {
        EXPECT_EQ(g1[a], g0[a]);
      }
  }
  const VecX<double> D = q.hessian_bound_row_sums();
  for (Index i = 0; i < q.dim(); ++i) EXPECT_NEAR(D[i], M.row(i).cwiseAbs().sum(), 1e-12);
}

TEST(GraphQuadratic, RejectsAsymmetricAndDisconnected) {
  Eigen::SparseMatrix<double> M(2, 2);
  M.insert(0, 0) = 1;
  M.insert(1, 1) = 1;
  M.insert(0, 1) = -0.5;
  EXPECT_THROW(cp::GraphQuadratic<double>(M, VecX<double>::Zero(2)), convlab::InvalidArgument);
  // Node 2 has no edge and no label: its row of M is zero.
  Eigen::SparseMatrix<double> W(3, 3);
  W.insert(0, 1) = 1;
  W.insert(1, 0) = 1;
  EXPECT_THROW(cp::label_propagation<double>(W, {0}, VecX<double>::Ones(1)), convlab::InvalidArgument);
}

TEST(Synthetic, ScaledSparseDesignIsSeededAndBadlyScaled) {
  cp::ScaledSparseOptions o{200, 300, 0, 0.1, 1, 3};
  const auto a = cp::make_scaled_sparse_design<double>(o), b = cp::make_scaled_sparse_design<double>(o);
  EXPECT_EQ(a.A.nonZeros(), b.A.nonZeros());
  EXPECT_TRUE(MatX<double>(a.A).isApprox(MatX<double>(b.A)));
  const double density = static_cast<double>(a.A.nonZeros()) / (200.0 * 300.0);
  EXPECT_NEAR(density, 10 * std::log(200.0) / 200, 0.02);
  const VecX<double> norms = MatX<double>(a.A).colwise().squaredNorm().transpose();
  EXPECT_GT(norms.maxCoeff() / std::max(1e-300, norms.minCoeff()), 1e3);  // Lipschitz constants span orders
}
