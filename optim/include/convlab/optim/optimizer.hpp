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
#include <type_traits>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "param_groups.hpp"

namespace convlab::optim {

template <class O, class S = typename O::Scalar>
concept Optimizer = std::floating_point<S> && requires(const O& o, Out<S> x, In<S> g, S lr) {
  typename O::State;
  { o.init(In<S>(x)) } -> std::same_as<typename O::State>;
  o.step(x, g, std::declval<typename O::State&>(), lr);
};

namespace detail {
template <class T>
concept EigenMatrixArgument = requires { std::remove_cvref_t<T>::ColsAtCompileTime; } &&
                              (std::remove_cvref_t<T>::ColsAtCompileTime != 1);
template <class T>
inline constexpr bool always_false = false;

/// The whole storage of `m` (column-major, contiguous) as one vector, without a copy.
template <class S, class M>
auto whole_storage(M&& m) {
  using T = std::remove_cvref_t<M>;
  static_assert(std::is_same_v<typename T::Scalar, S>, "the parameter's scalar type differs from the optimizer's");
  static_assert(requires { m.data(); }, "a parameter expression without storage: evaluate it into a matrix or vector first");
  static_assert(T::ColsAtCompileTime == 1 || !T::IsRowMajor,
                "a row-major matrix: step its storage as a vector, Eigen::Map<VectorX>(W.data(), W.size())");
  // Contiguity is Tensor's check (param_groups.hpp); the matrix steps as its storage.
  return Tensor<std::remove_pointer_t<decltype(m.data())>>(m).vector();
}

/// `m` itself when it has storage, else its value (a read-only expression such as
/// MatrixXd::Ones(8, 1), as an Eigen::Ref<const VectorX> would hold it).
template <class M>
decltype(auto) with_storage(M&& m) {
  if constexpr (requires { m.data(); }) return std::forward<M>(m);
  else return typename std::remove_cvref_t<M>::PlainObject(m);
}

/// The overloads every optimizer shares; each derives from it and brings them in
/// (`using ...::init;`, `using ...::step;`): parameter groups (param_groups.hpp), and matrices
/// where an optimizer takes vectors. Without the latter, Eigen binds a MatrixXf to the vector
/// argument (Eigen::Ref) through its first column in a Release build: the state covered one
/// column and `step` failed far from the cause. Here a matrix steps as its whole storage
/// (column-major; contiguity checked), as a Map over W.data() would; these overloads are chosen
/// only when an argument is not a column vector at compile time.
template <class Derived, class S>
struct VectorArguments : GroupApi<Derived, S> {
  using GroupApi<Derived, S>::init;
  using GroupApi<Derived, S>::step;
  template <EigenMatrixArgument X>
  auto init(X&& x) const {
    auto&& xs = with_storage(std::forward<X>(x));
    return static_cast<const Derived&>(*this).init(In<S>(whole_storage<S>(xs)));
  }
  template <class X, class G, class St>
    requires(EigenMatrixArgument<X> || EigenMatrixArgument<G>)
  void step(X&& x, G&& g, St& state, S lr) const {
    auto xs = whole_storage<S>(x);
    static_assert(!std::is_const_v<std::remove_reference_t<decltype(*x.data())>>, "step updates x: pass writable memory");
    auto&& gs = with_storage(std::forward<G>(g));
    static_cast<const Derived&>(*this).step(Out<S>(xs), In<S>(whole_storage<S>(gs)), state, lr);
  }
};

/// Both vectors must have the state's size; a mismatch names the sizes.
inline void check_step_sizes(Eigen::Index x, Eigen::Index g, Eigen::Index state, const char* who) {
  if (x != g || x != state)
    throw InvalidArgument(std::string(who) + "::step: sizes differ (x " + std::to_string(x) + ", g " +
                          std::to_string(g) + ", state " + std::to_string(state) + ")");
}
}  // namespace detail

}  // namespace convlab::optim
