#pragma once
/// \file
/// `chain(transforms..., optimizer)`: transforms (transforms.hpp) applied in order to a copy
/// of the gradients, then the optimizer's step, then the parameter transforms:
///
///     auto opt = optim::chain(optim::ClipByGlobalNorm{1.0}, optim::AdamW<float>({.weight_decay = 0.1}));
///     auto state = opt.init(groups);                       // groups: ParamGroups<AdamW<float>>
///     opt.step(groups, {gW1, gb1}, state, lr);             // clip, then AdamW; your gradients are not changed
///
/// A chain steps tensor lists and parameter groups like its optimizer (param_groups.hpp). Its
/// state holds one gradient buffer per tensor (the transformed gradients; the caller's stay as
/// they were), each transform's state and the optimizer's; nothing is allocated after `init`.
/// With `Accumulate{k}` the optimizer steps on every k-th call only (`step` returns whether it
/// did). Saved and loaded like an optimizer's state (state_io.hpp).

#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "param_groups.hpp"
#include "transforms.hpp"

namespace convlab::optim {

template <class Optimizer, class... Transforms>
class Chain {
 public:
  using Scalar = typename Optimizer::Scalar;
  using S = Scalar;
  using Groups = ParamGroups<Optimizer>;
  static constexpr std::string_view name = "Chain";

  struct State {
    GradientBuffers<S> grads;                        ///< the transformed gradients
    std::tuple<typename Transforms::template State<S>...> transforms;
    GroupState<Optimizer> optimizer;
    std::vector<Tensor<const S>> views;              ///< `grads` as the optimizer's gradient list

    const auto& shapes() const { return optimizer.shapes; }
    /// What state_io.hpp saves: each transform's state, then the optimizer's.
    template <class Fn>
    void visit_saved(Fn&& fn) {
      std::apply([&](auto&... ts) { (std::apply([&](auto&... item) { (fn(item), ...); }, ts.saved()), ...); }, transforms);
      optimizer.visit_saved(fn);
    }
    template <class Fn>
    void visit_saved(Fn&& fn) const {
      std::apply([&](const auto&... ts) { (std::apply([&](const auto&... item) { (fn(item), ...); }, ts.saved()), ...); },
                 transforms);
      optimizer.visit_saved(fn);
    }
  };

  Chain(Transforms... transforms, Optimizer optimizer)
      : transforms_(std::move(transforms)...), optimizer_(std::move(optimizer)) {
    std::apply([](const auto&... t) { (t.validate(), ...); }, transforms_);
  }
  const Optimizer& optimizer() const { return optimizer_; }
  const std::tuple<Transforms...>& transforms() const { return transforms_; }

  State init(Tensors<S> params) const { return make_state(optimizer_.init(params), params); }
  State init(std::initializer_list<Tensor<S>> params) const { return init(Tensors<S>(params)); }
  State init(const Groups& groups) const {
    std::vector<Tensor<S>> flat;
    for (const auto& g : groups) flat.insert(flat.end(), g.params.begin(), g.params.end());
    return make_state(optimizer_.init(groups), flat);
  }

  /// Returns true when the optimizer stepped (false while Accumulate collects).
  bool step(Tensors<S> params, Gradients<S> grads, State& st, S lr) const {
    if (!transform(grads, st)) return false;
    optimizer_.step(params, st.views, st.optimizer, lr);
    after_step(params, st);
    return true;
  }
  bool step(const Groups& groups, Gradients<S> grads, State& st, S lr) const {
    if (!transform(grads, st)) return false;
    optimizer_.step(groups, st.views, st.optimizer, lr);
    std::size_t k = 0;
    for (const auto& g : groups)
      for (const auto& p : g.params) {
        after_one(k, p, st, k + 1 == st.grads.size());
        ++k;
      }
    return true;
  }

 private:
  template <class Params>
  State make_state(GroupState<Optimizer> inner, const Params& params) const {
    State st;
    for (const auto& shape : inner.shapes) st.grads.push_back(VecX<S>::Zero(shape.rows * shape.cols));
    for (std::size_t k = 0; k < st.grads.size(); ++k)
      st.views.emplace_back(st.grads[k].data(), inner.shapes[k].rows, inner.shapes[k].cols);
    st.transforms = std::apply(
        [&](const auto&... t) {
          return std::tuple{init_one(t, st.grads, params)...};
        },
        transforms_);
    st.optimizer = std::move(inner);
    return st;
  }
  template <class T, class Params>
  static auto init_one(const T& t, const GradientBuffers<S>& grads, const Params& params) {
    if constexpr (requires { t.template init<S>(grads, params); }) return t.template init<S>(grads, params);
    else if constexpr (requires { t.template init<S>(params); }) return t.template init<S>(params);
    else return t.template init<S>(grads);
  }

  // Copies the caller's gradients (shapes checked by the optimizer's step against its state)
  // and runs the gradient transforms in order; false when one says "not yet".
  bool transform(Gradients<S> grads, State& st) const {
    if (grads.size() != st.grads.size())
      throw InvalidArgument("Chain::step: " + std::to_string(grads.size()) + " gradients for a state of " +
                            std::to_string(st.grads.size()) + " tensors");
    for (std::size_t k = 0; k < grads.size(); ++k) {
      const auto& want = st.optimizer.shapes[k];
      if (grads[k].rows != want.rows || grads[k].cols != want.cols)
        throw InvalidArgument("Chain::step: gradient " + std::to_string(k) + " is " +
                              Tensor<S>::shape_string(grads[k].rows, grads[k].cols) + ", its parameter " +
                              Tensor<S>::shape_string(want.rows, want.cols));
      st.grads[k] = grads[k].vector();
      st.views[k] = Tensor<const S>(st.grads[k].data(), want.rows, want.cols);  // the buffer may have moved with the state
    }
    bool go = true;
    std::apply(
        [&](const auto&... t) {
          std::apply(
              [&](auto&... ts) {
                ((go = go && apply_one(t, ts, st.grads)), ...);
              },
              st.transforms);
        },
        transforms_);
    return go;
  }
  template <class T, class TS>
  static bool apply_one(const T& t, TS& ts, GradientBuffers<S>& g) {
    if constexpr (requires { t.apply(g, ts); }) return t.apply(g, ts);
    else return true;
  }

  void after_step(Tensors<S> params, State& st) const {
    for (std::size_t k = 0; k < params.size(); ++k) after_one(k, params[k], st, k + 1 == params.size());
  }
  void after_one(std::size_t k, const Tensor<S>& p, State& st, bool last) const {
    std::apply(
        [&](const auto&... t) {
          std::apply([&](auto&... ts) { (after_each(t, ts, k, p, last), ...); }, st.transforms);
        },
        transforms_);
  }
  template <class T, class TS>
  static void after_each(const T& t, TS& ts, std::size_t k, const Tensor<S>& p, bool last) {
    if constexpr (requires { t.after_step(k, p, ts, last); }) t.after_step(k, p, ts, last);
  }

  std::tuple<Transforms...> transforms_;
  Optimizer optimizer_;
};

namespace detail {
template <class... Parts>
struct ChainOf {
  using Last = std::tuple_element_t<sizeof...(Parts) - 1, std::tuple<Parts...>>;
  template <std::size_t... I>
  static auto make(std::tuple<Parts...> parts, std::index_sequence<I...>) {
    return Chain<Last, std::tuple_element_t<I, std::tuple<Parts...>>...>(std::get<I>(std::move(parts))...,
                                                                         std::get<sizeof...(Parts) - 1>(std::move(parts)));
  }
};
}  // namespace detail

/// chain(t₁, …, tₖ, optimizer): the transforms in order, the optimizer last (as optax.chain).
template <class... Parts>
  requires(sizeof...(Parts) >= 1)
auto chain(Parts... parts) {
  return detail::ChainOf<Parts...>::make(std::tuple<Parts...>(std::move(parts)...),
                                         std::make_index_sequence<sizeof...(Parts) - 1>{});
}

}  // namespace convlab::optim
