#pragma once
/// \file
/// The problem concepts every algorithm of convlab is written against.
///
/// | concept          | members                                                         |
/// |------------------|-----------------------------------------------------------------|
/// | Differentiable   | `Scalar`, `dim()`, `value(x)`, and `gradient(x, g)` and/or      |
/// |                  | `value_and_gradient(x, g) -> Scalar`                            |
/// | TwiceDifferentiable | Differentiable + `hessian(x, H)` (dense dim × dim)           |
/// | FiniteSum        | Differentiable + `num_samples()`, `value(x, batch)`,            |
/// |                  | `gradient(x, batch, g)`; batch values are MEANS over the batch  |
/// | Proximable       | `value(x)`, `prox(x, t, out)` = argmin_u R(u) + ‖u − x‖²/(2t)    |
///
/// Algorithms call the free functions below (`value_and_gradient`), which fill in what
/// a user type did not write. The block-coordinate concept is completed by the BCD work.

#include <Eigen/Core>
#include <concepts>
#include <span>

#include <convlab/core/types.hpp>

namespace convlab {

/// Indices of the samples in a minibatch.
using Batch = std::span<const Eigen::Index>;

namespace problems {

template <class P, class S = typename P::Scalar>
concept Differentiable =
    std::floating_point<S> &&
    requires(const P& p, In<S> x) {
      { p.dim() } -> std::convertible_to<Eigen::Index>;
      { p.value(x) } -> std::convertible_to<S>;
    } &&
    (requires(const P& p, In<S> x, Out<S> g) { p.gradient(x, g); } ||
     requires(const P& p, In<S> x, Out<S> g) {
       { p.value_and_gradient(x, g) } -> std::convertible_to<S>;
     });

template <class P, class S = typename P::Scalar>
concept TwiceDifferentiable =
    Differentiable<P, S> && requires(const P& p, In<S> x, Eigen::Ref<MatX<S>> h) { p.hessian(x, h); };

template <class P, class S = typename P::Scalar>
concept FiniteSum = Differentiable<P, S> && requires(const P& p, In<S> x, Out<S> g, Batch b) {
  { p.num_samples() } -> std::convertible_to<Eigen::Index>;
  { p.value(x, b) } -> std::convertible_to<S>;
  p.gradient(x, b, g);
};

template <class R, class S = typename R::Scalar>
concept Proximable = requires(const R& r, In<S> x, S t, Out<S> out) {
  { r.value(x) } -> std::convertible_to<S>;
  r.prox(x, t, out);
};

/// f(x) and ∇f(x) in one call, using the problem's fused method when it has one.
template <Differentiable P>
typename P::Scalar value_and_gradient(const P& p, In<typename P::Scalar> x, Out<typename P::Scalar> g) {
  if constexpr (requires { p.value_and_gradient(x, g); }) {
    return p.value_and_gradient(x, g);
  } else {
    p.gradient(x, g);
    return p.value(x);
  }
}

/// ∇f(x), using the problem's fused method when it has no separate gradient.
template <Differentiable P>
void gradient(const P& p, In<typename P::Scalar> x, Out<typename P::Scalar> g) {
  if constexpr (requires { p.gradient(x, g); }) {
    p.gradient(x, g);
  } else {
    (void)p.value_and_gradient(x, g);
  }
}

}  // namespace problems
}  // namespace convlab
