#pragma once
/// \file
/// Gradient descent: x ← x − lr·g.

#include <convlab/core/parallel.hpp>
#include "optimizer.hpp"

namespace convlab::optim {

/// Plain (sub)gradient descent. Stateless; the step is one fused elementwise pass.
template <class S = double>
class GradientDescent : public detail::VectorArguments<GradientDescent<S>, S> {
 public:
  using detail::VectorArguments<GradientDescent, S>::init;  // a matrix steps as its whole storage
  using detail::VectorArguments<GradientDescent, S>::step;
  using Scalar = S;
  static constexpr std::string_view name = "GradientDescent";
  struct State {
    Eigen::Index size = 0;
    auto saved() const { return std::tuple<>{}; }  ///< stateless: nothing to save
  };
  State init(In<S> x) const { return State{x.size()}; }
  void step(Out<S> x, In<S> g, State& state, S lr) const {
    detail::check_step_sizes(x.size(), g.size(), state.size, "GradientDescent");
    S* xp = x.data();
    const S* gp = g.data();
    convlab::for_each_index(x.size(), [=](Eigen::Index i) { xp[i] -= lr * gp[i]; });
  }
};

}  // namespace convlab::optim
