#pragma once
/// \file
/// The optimizer concept: options, an explicit state and an in-place step, like optax's
/// init/update. A user's own training loop calls
///
///     auto state = opt.init(x);
///     for (...) { compute g at x; opt.step(x, g, state, lr); }
///
/// `step` works on the caller's memory (`Eigen::Map` over `float*`/`double*` binds to the
/// `Eigen::Ref` arguments) and never allocates; `init` allocates the state once.

#include <concepts>

#include <convlab/problems/concepts.hpp>
#include <convlab/problems/errors.hpp>

namespace convlab::optim {

template <class O, class S = typename O::Scalar>
concept Optimizer = std::floating_point<S> && requires(const O& o, Out<S> x, In<S> g, S lr) {
  typename O::State;
  { o.init(In<S>(x)) } -> std::same_as<typename O::State>;
  o.step(x, g, std::declval<typename O::State&>(), lr);
};

namespace detail {
/// Both vectors must have the state's size; a mismatch names the sizes.
inline void check_step_sizes(Eigen::Index x, Eigen::Index g, Eigen::Index state, const char* who) {
  if (x != g || x != state)
    throw InvalidArgument(std::string(who) + "::step: sizes differ (x " + std::to_string(x) + ", g " +
                          std::to_string(g) + ", state " + std::to_string(state) + ")");
}
}  // namespace detail

}  // namespace convlab::optim
