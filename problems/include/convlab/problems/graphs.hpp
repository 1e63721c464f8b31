#pragma once
/// \file
/// Weighted graphs for label propagation: the 2-D lattice and the symmetrised k-nearest-
/// neighbour graph of the two-moons point cloud (Nutini, Laradji, Schmidt, data sets D and E),
/// and the random choice of labelled nodes. Seeded with Boost.Random, so the same seed gives
/// the same graph on every platform.

#include <Eigen/SparseCore>
#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <cmath>
#include <numbers>
#include <numeric>
#include <vector>

#include <convlab/core/errors.hpp>

namespace convlab::problems {

/// A rows × cols 4-neighbour lattice with weight `w` on every edge; node (r, c) has index
/// c·rows + r (column-major, as the reference code).
template <class S = double>
Eigen::SparseMatrix<S> lattice_graph(Eigen::Index rows, Eigen::Index cols, S w) {
  detail::require(rows > 0 && cols > 0, "lattice_graph: rows x cols", rows * cols, "rows > 0 and cols > 0");
  detail::require(w > 0, "lattice_graph: w", w, "w > 0");
  std::vector<Eigen::Triplet<S>> t;
  auto id = [rows](Eigen::Index r, Eigen::Index c) { return c * rows + r; };
  for (Eigen::Index c = 0; c < cols; ++c)
    for (Eigen::Index r = 0; r < rows; ++r) {
      if (r + 1 < rows) t.emplace_back(id(r, c), id(r + 1, c), w), t.emplace_back(id(r + 1, c), id(r, c), w);
      if (c + 1 < cols) t.emplace_back(id(r, c), id(r, c + 1), w), t.emplace_back(id(r, c + 1), id(r, c), w);
    }
  Eigen::SparseMatrix<S> W(rows * cols, rows * cols);
  W.setFromTriplets(t.begin(), t.end());
  return W;
}

/// n points on two interleaved half circles (radius 1; the second shifted by (1, −0.5)) plus
/// Gaussian noise of standard deviation `noise_sd`; `moon[i]` ∈ {0, 1}.
struct TwoMoons {
  Eigen::MatrixX2d points;
  std::vector<int> moon;
};
inline TwoMoons make_two_moons(Eigen::Index n, double noise_sd, unsigned long long seed) {
  detail::require(n >= 2, "make_two_moons: n", n, "n >= 2");
  boost::random::mt19937_64 rng(seed);
  boost::random::uniform_real_distribution<double> angle(0.0, std::numbers::pi);
  boost::random::normal_distribution<double> noise(0.0, noise_sd);
  TwoMoons out{Eigen::MatrixX2d(n, 2), std::vector<int>(static_cast<std::size_t>(n))};
  for (Eigen::Index i = 0; i < n; ++i) {
    const int m = i < n / 2 ? 0 : 1;
    const double t = angle(rng);
    out.points(i, 0) = (m == 0 ? std::cos(t) : 1 - std::cos(t)) + noise(rng);
    out.points(i, 1) = (m == 0 ? std::sin(t) : 0.5 - std::sin(t)) + noise(rng);
    out.moon[static_cast<std::size_t>(i)] = m;
  }
  return out;
}

/// Symmetrised k-nearest-neighbour graph (edge when either point is among the other's k
/// nearest; ties by lower index), unit weights. Brute force, O(n² log k).
template <class S = double>
Eigen::SparseMatrix<S> knn_graph(const Eigen::MatrixX2d& points, Eigen::Index k) {
  const Eigen::Index n = points.rows();
  detail::require(k >= 1 && k < n, "knn_graph: k", k, "1 <= k < number of points");
  std::vector<Eigen::Triplet<S>> t;
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::vector<double> dist(static_cast<std::size_t>(n));
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) dist[j] = (points.row(i) - points.row(j)).squaredNorm();
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    auto closer = [&](Eigen::Index a, Eigen::Index b) { return dist[a] < dist[b] || (dist[a] == dist[b] && a < b); };
    std::partial_sort(order.begin(), order.begin() + k + 1, order.end(), closer);
    Eigen::Index taken = 0;
    for (Eigen::Index r = 0; r <= k && taken < k; ++r) {
      if (order[r] == i) continue;
      t.emplace_back(i, order[r], S(1));
      t.emplace_back(order[r], i, S(1));
      ++taken;
    }
  }
  Eigen::SparseMatrix<S> W(n, n);
  W.setFromTriplets(t.begin(), t.end(), [](S, S) { return S(1); });  // duplicates stay weight 1
  return W;
}

/// `count` distinct nodes of 0..n−1 chosen uniformly (partial Fisher–Yates with the seed).
inline std::vector<Eigen::Index> choose_nodes(Eigen::Index n, Eigen::Index count, unsigned long long seed) {
  detail::require(count >= 0 && count <= n, "choose_nodes: count", count, "0 <= count <= n");
  boost::random::mt19937_64 rng(seed);
  std::vector<Eigen::Index> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), Eigen::Index{0});
  for (Eigen::Index i = 0; i < count; ++i) {
    boost::random::uniform_int_distribution<Eigen::Index> pick(i, n - 1);
    std::swap(all[i], all[pick(rng)]);
  }
  all.resize(static_cast<std::size_t>(count));
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace convlab::problems
