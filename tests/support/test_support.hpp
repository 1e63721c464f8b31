#pragma once
// Shared helpers for convlab's tests: tolerances, seeds, data paths, random problems.
#include <gtest/gtest.h>

#include <Eigen/Core>
#include <Eigen/SparseCore>
#include <cstdlib>
#include <random>
#include <initializer_list>
#include <string>
#include <type_traits>

namespace convlab::test {

/// |a − b| <= atol + rtol·|b|, per scalar type.
struct Tol {
  double rtol, atol;
};
template <class S>
Tol tol() {
  if constexpr (std::is_same_v<S, float>) return {2e-3, 2e-4};
  else return {1e-9, 1e-12};
}
/// Tolerance for central-difference gradient checks (relative to max(1, ‖fd‖∞)).
template <class S>
double fd_tol() {
  return std::is_same_v<S, float> ? 2e-2 : 1e-6;
}

/// The seed of a randomized test: CONVLAB_TEST_SEED if set, else `fallback`. Printed by
/// the assertions that use it (SCOPED_TRACE) so a failure can be replayed.
inline unsigned test_seed(unsigned fallback = 20261127u) {
  if (const char* s = std::getenv("CONVLAB_TEST_SEED")) return static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  return fallback;
}

inline std::string data_path(const std::string& file) { return std::string(CONVLAB_DATA_DIR) + "/" + file; }

/// A double vector from a list: vec({1, 2, 3}).
inline Eigen::VectorXd vec(std::initializer_list<double> v) {
  Eigen::VectorXd out(static_cast<Eigen::Index>(v.size()));
  Eigen::Index k = 0;
  for (double x : v) out[k++] = x;
  return out;
}

/// Dense random matrix with entries N(0, scale²) from a seeded engine.
template <class S>
Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> random_matrix(Eigen::Index n, Eigen::Index d, std::mt19937_64& rng,
                                                               double scale = 1.0) {
  std::normal_distribution<double> N(0.0, scale);
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> A(n, d);
  for (Eigen::Index j = 0; j < d; ++j)
    for (Eigen::Index i = 0; i < n; ++i) A(i, j) = static_cast<S>(N(rng));
  return A;
}

/// Sparse copy keeping each entry with probability `density` (at least one per row).
template <class S>
Eigen::SparseMatrix<S, Eigen::RowMajor> sparsify(const Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic>& A,
                                                 double density, std::mt19937_64& rng) {
  std::bernoulli_distribution keep(density);
  Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic> B = A;
  for (Eigen::Index i = 0; i < A.rows(); ++i)
    for (Eigen::Index j = 0; j < A.cols(); ++j)
      if (j != i % A.cols() && !keep(rng)) B(i, j) = 0;
  return B.sparseView();
}

}  // namespace convlab::test
