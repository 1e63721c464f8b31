// Message passing on forest blocks (spec (g) 12–14): tree elimination against dense solves,
// graph partitions into independent sets and forests, greedy trees, exact BCD updates.
#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <convlab/optim/bcd.hpp>
#include <convlab/problems/graph_quadratic.hpp>
#include <convlab/problems/graphs.hpp>
#include <numeric>
#include <random>

#include "test_support.hpp"

namespace cp = convlab::problems;
namespace co = convlab::optim;
using convlab::MatX;
using convlab::VecX;
using Index = Eigen::Index;
using SpMat = Eigen::SparseMatrix<double>;

namespace {

// A diagonally dominant (so SPD) matrix whose graph is the forest given by parent[] (−1: root).
SpMat forest_matrix(const std::vector<Index>& parent, std::mt19937_64& rng) {
  const auto n = static_cast<Index>(parent.size());
  std::uniform_real_distribution<double> U(0.2, 2.0);
  std::vector<Eigen::Triplet<double>> t;
  VecX<double> diag = VecX<double>::Constant(n, 0.1);
  for (Index i = 0; i < n; ++i)
    if (parent[static_cast<std::size_t>(i)] >= 0) {
      const double w = (rng() & 1 ? 1 : -1) * U(rng);
      const Index p = parent[static_cast<std::size_t>(i)];
      t.emplace_back(i, p, w), t.emplace_back(p, i, w);
      diag[i] += std::abs(w), diag[p] += std::abs(w);
    }
  for (Index i = 0; i < n; ++i) t.emplace_back(i, i, diag[i] * U(rng) + diag[i]);
  SpMat M(n, n);
  M.setFromTriplets(t.begin(), t.end());
  return M;
}

std::vector<Index> all_of(Index n) {
  std::vector<Index> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), Index{0});
  return v;
}

bool independent(const SpMat& M, const std::vector<Index>& b) {
  std::vector<char> in(static_cast<std::size_t>(M.rows()), 0);
  for (Index v : b) in[v] = 1;
  for (Index v : b)
    for (SpMat::InnerIterator it(M, v); it; ++it)
      if (it.row() != v && in[it.row()] && it.value() != 0) return false;
  return true;
}

bool connected(const SpMat& M, const std::vector<Index>& b) {
  co::UnionFind uf(M.rows());
  std::vector<char> in(static_cast<std::size_t>(M.rows()), 0);
  for (Index v : b) in[v] = 1;
  long long comps = static_cast<long long>(b.size());
  for (Index v : b)
    for (SpMat::InnerIterator it(M, v); it; ++it)
      if (it.row() != v && in[it.row()] && uf.unite(v, it.row())) --comps;
  return comps == 1;
}

}  // namespace

// Invariant 12: tree elimination equals a dense solve on paths, stars, random trees and forests
// with isolated nodes; on 1e5 nodes the residual is at rounding level.
TEST(ForestSolver, EqualsDenseSolveOnPathsStarsTreesAndForests) {
  std::mt19937_64 rng(convlab::test::test_seed());
  for (int shape = 0; shape < 4; ++shape) {
    for (Index n : {1, 2, 7, 300}) {
      std::vector<Index> parent(static_cast<std::size_t>(n), -1);
      for (Index i = 1; i < n; ++i) {
        if (shape == 0) parent[i] = i - 1;                                               // path
        else if (shape == 1) parent[i] = 0;                                              // star
        else if (shape == 2) parent[i] = static_cast<Index>(rng() % static_cast<unsigned long long>(i));  // random tree
        else parent[i] = rng() % 4 == 0 ? -1 : static_cast<Index>(rng() % static_cast<unsigned long long>(i));  // forest
      }
      const SpMat M = forest_matrix(parent, rng);
      // Solve on a shuffled block order: the solver must not depend on it.
      std::vector<Index> block = all_of(n);
      std::shuffle(block.begin(), block.end(), rng);
      const VecX<double> r = VecX<double>::Random(n);
      VecX<double> d(n);
      co::ForestSolver<double> solver;
      solver.solve(M, block, r, d);
      MatX<double> Mb(n, n);
      for (Index u = 0; u < n; ++u)
        for (Index v = 0; v < n; ++v) Mb(u, v) = M.coeff(block[static_cast<std::size_t>(u)], block[static_cast<std::size_t>(v)]);
      const VecX<double> ref = Mb.ldlt().solve(r);
      EXPECT_LE((d - ref).norm(), 1e-10 * (1 + ref.norm())) << "shape " << shape << " n " << n;
      EXPECT_TRUE(co::is_induced_forest(M, block));
    }
  }
  const Index big = 100000;
  std::vector<Index> parent(static_cast<std::size_t>(big), -1);
  for (Index i = 1; i < big; ++i) parent[i] = static_cast<Index>(rng() % static_cast<unsigned long long>(i));
  const SpMat M = forest_matrix(parent, rng);
  const auto block = all_of(big);
  const VecX<double> r = VecX<double>::Random(big);
  VecX<double> d(big);
  co::ForestSolver<double> solver;
  solver.solve(M, block, r, d);
  EXPECT_LE((M * d - r).norm(), 1e-10 * r.norm());
}

TEST(ForestSolver, RejectsCycles) {
  const SpMat W = cp::lattice_graph<double>(2, 2, 1.0);  // a 4-cycle
  SpMat M = -W;
  for (Index i = 0; i < 4; ++i) M.coeffRef(i, i) = 3;
  const auto block = all_of(4);
  EXPECT_FALSE(co::is_induced_forest(M, block));
  VecX<double> d(4);
  co::ForestSolver<double> solver;
  EXPECT_THROW(solver.solve(M, block, VecX<double>::Ones(4), d), convlab::InvalidArgument);
}

// Invariant 13: red–black blocks are independent sets, tree blocks forests; the lattice gives 2 each;
// invariant 14: lattice tree blocks are connected combs before labelled nodes are removed.
TEST(GraphPartitions, IndependentSetsForestsAndLatticeCombs) {
  for (auto [rows, cols] : {std::pair<Index, Index>{6, 5}, {7, 8}, {50, 50}}) {
    const SpMat W = cp::lattice_graph<double>(rows, cols, 1.0);
    const auto nodes = all_of(rows * cols);
    const auto rb = co::lattice_red_black(rows, nodes), tp = co::lattice_tree_partition(rows, nodes);
    ASSERT_EQ(rb.size(), 2u);
    ASSERT_EQ(tp.size(), 2u);
    for (const auto& b : rb) EXPECT_TRUE(independent(W, b));
    for (const auto& b : tp) {
      EXPECT_TRUE(co::is_induced_forest(W, b));
      EXPECT_TRUE(connected(W, b)) << "a comb is one tree";
    }
    EXPECT_EQ(rb[0].size() + rb[1].size(), nodes.size());
    EXPECT_EQ(tp[0].size() + tp[1].size(), nodes.size());
  }
  // Label propagation removes labelled nodes; the blocks stay independent sets / forests of M.
  const SpMat W = cp::lattice_graph<double>(12, 10, 1e5);
  const auto labelled = cp::choose_nodes(120, 15, 3);
  const auto lp = cp::label_propagation<double>(W, labelled, VecX<double>::Ones(15));
  for (const auto& b : co::lattice_red_black(12, lp.unlabelled)) EXPECT_TRUE(independent(lp.problem.matrix(), b));
  for (const auto& b : co::lattice_tree_partition(12, lp.unlabelled)) EXPECT_TRUE(co::is_induced_forest(lp.problem.matrix(), b));
  // General graphs: greedy colouring and first-fit forests, both node orders; every node once.
  const auto moons = cp::make_two_moons(400, 0.2, 4);
  const SpMat G = cp::knn_graph<double>(moons.points, 5);
  for (co::NodeOrder order : {co::NodeOrder::Lipschitz, co::NodeOrder::ReverseIndex}) {
    const auto colours = co::greedy_colouring(G, order), forests = co::first_fit_forests(G, order);
    std::vector<int> seen_c(400, 0), seen_f(400, 0);
    for (const auto& b : colours) {
      EXPECT_TRUE(independent(G, b));
      for (Index v : b) ++seen_c[static_cast<std::size_t>(v)];
    }
    for (const auto& b : forests) {
      EXPECT_TRUE(co::is_induced_forest(G, b));
      for (Index v : b) ++seen_f[static_cast<std::size_t>(v)];
    }
    EXPECT_TRUE(std::all_of(seen_c.begin(), seen_c.end(), [](int c) { return c == 1; }));
    EXPECT_TRUE(std::all_of(seen_f.begin(), seen_f.end(), [](int c) { return c == 1; }));
    EXPECT_LT(forests.size(), colours.size()) << "forests are larger blocks than independent sets";
  }
}

// Invariant 14: a greedy tree is maximal and contains the top-scored node.
TEST(GreedyTree, IsMaximalAndContainsTheTopNode) {
  const auto moons = cp::make_two_moons(300, 0.2, 6);
  const SpMat W = cp::knn_graph<double>(moons.points, 6);
  const auto lp = cp::label_propagation<double>(W, cp::choose_nodes(300, 20, 7), VecX<double>::Ones(20));
  const auto& q = lp.problem;
  auto s = q.make_state(VecX<double>::Random(q.dim()), true);
  co::BcdContext<cp::GraphQuadratic<double>> ctx(q, {}, 1, true, 1);
  co::GreedyTree<> rule;
  rule.init(ctx, s);
  const auto b = rule.select(ctx, s);
  std::vector<Index> block(b.indices.begin(), b.indices.end());
  EXPECT_TRUE(co::is_induced_forest(q.matrix(), block));
  Index top = 0;
  for (Index i = 1; i < q.dim(); ++i)
    if (std::abs(s.grad[i]) > std::abs(s.grad[top])) top = i;
  EXPECT_NE(std::find(block.begin(), block.end(), top), block.end());
  std::vector<char> in(static_cast<std::size_t>(q.dim()), 0);
  for (Index v : block) in[v] = 1;
  for (Index v = 0; v < q.dim(); ++v) {
    if (in[v]) continue;
    std::vector<Index> more = block;
    more.push_back(v);
    EXPECT_FALSE(co::is_induced_forest(q.matrix(), more)) << "node " << v << " could be added";
  }
}

// Forest updates are exact block minimizations: the block gradient vanishes and f decreases by
// exactly the guaranteed amount; greedy trees converge to the direct solution.
TEST(ForestUpdate, ExactMinimizationAndConvergence) {
  const SpMat W = cp::lattice_graph<double>(15, 15, 1e3);
  const auto lp = cp::label_propagation<double>(W, cp::choose_nodes(225, 20, 2), VecX<double>::LinSpaced(20, -3, 3));
  const auto& q = lp.problem;
  const VecX<double> xs = MatX<double>(q.matrix()).ldlt().solve(q.linear_term());
  const double fstar = q.value(xs);
  co::BlockCoordinateDescent tp(co::FixedBlocks(co::lattice_tree_partition(15, lp.unlabelled)), co::Cyclic{},
                                co::ForestUpdate<>{}, {.max_iterations = 40});
  VecX<double> x = VecX<double>::Zero(q.dim());
  const auto sum = tp.minimize(q, x);
  for (std::size_t k = 1; k < sum.history.size(); ++k)
    EXPECT_NEAR(sum.history[k].decrease, sum.history[k].guaranteed, 1e-9 * (1 + std::abs(sum.history[k - 1].value)));
  co::BlockCoordinateDescent greedy(co::VariableBlocks{1}, co::GreedyTree<>{}, co::ForestUpdate<>{},
                                    {.max_iterations = 2000, .target_value = fstar + 1e-9 * std::abs(fstar)});
  VecX<double> x2 = VecX<double>::Zero(q.dim());
  const auto s2 = greedy.minimize(q, x2);
  EXPECT_EQ(s2.status, co::Status::TargetValue) << s2.brief_report();
  EXPECT_LE((x2 - xs).norm(), 1e-3 * xs.norm());
  co::BlockCoordinateDescent random(co::VariableBlocks{1}, co::RandomTree<>{}, co::ForestUpdate<>{}, {.max_iterations = 50});
  VecX<double> x3 = VecX<double>::Zero(q.dim());
  const auto s3 = random.minimize(q, x3);
  EXPECT_LT(s3.final_value, s3.initial_value);
}
