#pragma once
/// \file
/// What the partition, selection and update policies of block coordinate descent share: the
/// problem, the fixed blocks, the coordinate constants, cached block constants and block
/// factorizations, the random engine and the iteration counter.

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include <convlab/problems/block_coordinate.hpp>
#include "partitions.hpp"

namespace convlab::optim {

/// The block chosen in one iteration: its coordinates and, for fixed blocks, its index.
struct SelectedBlock {
  problems::Block indices;
  Eigen::Index id = -1;  ///< index in the fixed partition; −1 for a variable block
};

template <problems::BlockCoordinate P>
class BcdContext {
 public:
  using S = typename P::Scalar;

  BcdContext(const P& p, BlockList blocks, Eigen::Index tau, bool variable, unsigned long long seed)
      : problem(p), blocks(std::move(blocks)), tau(tau), variable(variable), L(p.coordinate_lipschitz()), rng(seed) {
    detail::require(tau <= p.dim(), "block size tau", tau, "tau <= problem dimension");
    if (!variable) {
      block_of.assign(static_cast<std::size_t>(p.dim()), -1);
      for (std::size_t b = 0; b < this->blocks.size(); ++b)
        for (Eigen::Index i : this->blocks[b]) {
          if (i < 0 || i >= p.dim() || block_of[i] >= 0)
            throw InvalidArgument("BCD partition: coordinate " + std::to_string(i) +
                                  (i < 0 || i >= p.dim() ? " is outside the problem" : " is in two blocks"));
          block_of[i] = static_cast<Eigen::Index>(b);
        }
      for (Eigen::Index i = 0; i < p.dim(); ++i)
        if (block_of[i] < 0) throw InvalidArgument("BCD partition: coordinate " + std::to_string(i) + " is in no block");
      block_L.assign(this->blocks.size(), S(-1));
      factors.resize(this->blocks.size());
    }
  }

  const P& problem;
  BlockList blocks;                    ///< the fixed partition (empty for variable blocks)
  std::vector<Eigen::Index> block_of;  ///< coordinate → its fixed block
  Eigen::Index tau;
  bool variable;
  VecX<S> L;                           ///< coordinate constants L_i
  /// Local constants of an adaptive update (LA), or null; greedy Lipschitz rules use them.
  const VecX<double>* local_constants = nullptr;
  boost::random::mt19937_64 rng;
  long long iteration = 0;
  double value = 0;                    ///< f at the current iterate (set by the driver)

  /// Decreases below this cannot be measured reliably in f: line searches accept them.
  S resolution() const { return static_cast<S>(64 * std::numeric_limits<S>::epsilon() * (1 + std::abs(value))); }

  Eigen::Index num_blocks() const { return static_cast<Eigen::Index>(blocks.size()); }
  SelectedBlock fixed(Eigen::Index id) const { return {problems::Block(blocks[static_cast<std::size_t>(id)]), id}; }

  /// L_b = λ_max(H_b) of the problem's block bound (cached for fixed blocks; O(τ³) otherwise).
  S block_constant(const SelectedBlock& b) {
    if (b.id >= 0 && block_L[b.id] >= 0) return block_L[b.id];
    const S v = lambda_max(bound(b.indices));
    if (b.id >= 0) block_L[b.id] = v;
    return v;
  }

  /// Sum of the τ largest L_i: a bound on every τ-block's L_b (L_b ≤ Σ_{i∈b} L_i).
  S variable_block_global_constant() {
    if (!vb_global_) {
      std::vector<S> l(L.data(), L.data() + L.size());
      const auto k = static_cast<std::ptrdiff_t>(std::min<Eigen::Index>(tau, L.size()));
      std::nth_element(l.begin(), l.begin() + (k - 1), l.end(), std::greater<S>());
      S sum = 0;
      for (std::ptrdiff_t i = 0; i < k; ++i) sum += l[static_cast<std::size_t>(i)];
      vb_global_ = sum;
    }
    return *vb_global_;
  }

  /// λ_max of the global Hessian bound by power iteration (an estimate, used as an IHT step).
  S global_lambda_max() {
    if (!global_lambda_) {
      VecX<S> v = VecX<S>::Ones(problem.dim()) / std::sqrt(static_cast<S>(problem.dim())), w(problem.dim());
      S lambda = 0;
      for (int it = 0; it < 300; ++it) {
        problem.hessian_bound_times(v, w);
        const S next = w.norm();
        if (!(next > 0)) break;
        v = w / next;
        if (std::abs(next - lambda) <= S(1e-10) * next) {
          lambda = next;
          break;
        }
        lambda = next;
      }
      global_lambda_ = lambda > 0 ? lambda : S(1);
    }
    return *global_lambda_;
  }

  /// D_i ≥ Σ_j |H_ij| of the global bound (Gershgorin), computed once.
  const VecX<S>& row_sums() {
    if (row_sums_.size() == 0) row_sums_ = problem.hessian_bound_row_sums();
    return row_sums_;
  }

  /// LDLT of H_b (+ a relative 1e-12 ridge so a singular bound acts like a pseudo-inverse on
  /// its range); cached for fixed blocks.
  const Eigen::LDLT<MatX<S>>& bound_factor(const SelectedBlock& b) {
    if (b.id >= 0 && factors[b.id]) return *factors[b.id];
    MatX<S> H = bound(b.indices);
    add_ridge(H);
    if (b.id >= 0) return *(factors[b.id] = Eigen::LDLT<MatX<S>>(H));
    vb_factor_.compute(H);
    return vb_factor_;
  }

  MatX<S> bound(problems::Block b) const {
    MatX<S> H(static_cast<Eigen::Index>(b.size()), static_cast<Eigen::Index>(b.size()));
    problem.block_hessian_bound(b, H);
    return H;
  }

  static S lambda_max(const MatX<S>& H) {
    if (H.rows() == 1) return H(0, 0);
    return Eigen::SelfAdjointEigenSolver<MatX<S>>(H, Eigen::EigenvaluesOnly).eigenvalues().maxCoeff();
  }
  /// A relative ridge on each diagonal entry (scale-invariant, so badly scaled blocks stay
  /// exact to rounding): H_ii ← H_ii(1 + ε); zero diagonal entries get ε·max_i H_ii.
  static void add_ridge(MatX<S>& H) {
    const S rel = std::max<S>(S(1e-12), 16 * std::numeric_limits<S>::epsilon());
    const S scale = H.diagonal().cwiseAbs().maxCoeff();
    for (Eigen::Index i = 0; i < H.rows(); ++i)
      H(i, i) = H(i, i) > 0 ? H(i, i) * (1 + rel) : rel * (scale > 0 ? scale : S(1));
  }

 private:
  std::vector<S> block_L;
  std::vector<std::optional<Eigen::LDLT<MatX<S>>>> factors;
  Eigen::LDLT<MatX<S>> vb_factor_;
  std::optional<S> vb_global_, global_lambda_;
  VecX<S> row_sums_;
};

}  // namespace convlab::optim
