#pragma once
/// \file
/// The block-coordinate concept: what block coordinate descent needs from a problem.
///
/// A block b is a list of distinct coordinates. Algorithms never touch the full gradient
/// unless they ask for it: the problem keeps an incremental *state* (residuals, margins,
/// scores, or the gradient itself) so that
///
/// | member                          | cost (design with columns a_j, rows touched R(b)) |
/// |---------------------------------|----------------------------------------------------|
/// | `make_state(x, track_gradient)` | one pass over the data                             |
/// | `block_gradient(s, b, g)`       | O(nnz of the block's columns), O(τ) when tracked   |
/// | `update_block(s, b, d)`         | x_b += d; O(nnz of the block's columns) to refresh |
/// |                                 | the state, + O(nnz of the rows R(b)) when tracking |
/// | `decrease(s, b, d)`             | f(x) − f(x + U_b d) over the rows R(b) only        |
/// | `value(s)`, `gradient(s, g)`    | one pass (exact recomputation from the state)      |
/// | `refresh(s)`                    | rebuilds the state from s.x (removes drift)        |
///
/// Curvature: `coordinate_lipschitz()` (L_i), `block_hessian_bound(b, H)` (a state-free
/// H_b ⪰ ∇²_bb f(y) for all y), `hessian_bound_times(v, out)` (the global bound H·v) and
/// `hessian_bound_row_sums()` (D_i = Σ_j |H_ij| or an upper bound of it: diag(D) ⪰ H).
/// `BlockNewton` adds the exact block Hessian at the state.
///
/// When a state tracks the gradient, `update_block` lists in `s.changed` the coordinates
/// whose gradient entry changed (or sets `s.all_changed`), so greedy rules can keep their
/// argmax current without a pass over all coordinates.

#include <Eigen/Core>
#include <concepts>
#include <span>
#include <vector>

#include "concepts.hpp"

namespace convlab::problems {

/// A block: distinct coordinate indices.
using Block = std::span<const Eigen::Index>;

/// What every block-coordinate state holds; problems derive their state from it.
template <class S>
struct CoordinateState {
  VecX<S> x;                           ///< the iterate
  VecX<S> grad;                        ///< ∇f(x); current only when tracks_gradient
  bool tracks_gradient = false;
  std::vector<Eigen::Index> changed;   ///< coordinates whose ∇ entry the last update changed
  bool all_changed = true;             ///< the last update may have changed every ∇ entry
};

template <class P, class S = typename P::Scalar>
concept BlockCoordinate =
    std::floating_point<S> && std::derived_from<typename P::State, CoordinateState<S>> &&
    requires(const P& p, typename P::State& s, const typename P::State& cs, In<S> x, Block b, In<S> d,
             Out<S> g, Eigen::Ref<MatX<S>> H) {
      { p.dim() } -> std::convertible_to<Eigen::Index>;
      { p.make_state(x, true) } -> std::same_as<typename P::State>;
      { p.value(cs) } -> std::convertible_to<S>;
      p.gradient(cs, g);
      p.block_gradient(cs, b, g);
      p.update_block(s, b, d);
      { p.decrease(s, b, d) } -> std::convertible_to<S>;
      p.refresh(s);
      { p.coordinate_lipschitz() } -> std::convertible_to<VecX<S>>;
      p.block_hessian_bound(b, H);
      p.hessian_bound_times(d, g);
      { p.hessian_bound_row_sums() } -> std::convertible_to<VecX<S>>;
    };

/// A block-coordinate problem whose exact block Hessian ∇²_bb f(x) is cheap (Newton updates).
template <class P, class S = typename P::Scalar>
concept BlockNewton = BlockCoordinate<P, S> && requires(const P& p, const typename P::State& cs, Block b,
                                                          Eigen::Ref<MatX<S>> H) { p.block_hessian(cs, b, H); };

}  // namespace convlab::problems
