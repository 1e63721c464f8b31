#pragma once
/// \file
/// `TransformList`: transforms (transforms.hpp) chosen at run time, as one transform for
/// `chain` (chain.hpp). Python and configs build their transforms from names, so they cannot
/// spell a chain's type; with a list,
///
///     auto opt = optim::chain(optim::TransformList{{optim::ClipByGlobalNorm{1.0}, optim::ParamAverage{}}}, adamw);
///
/// steps bit for bit as `optim::chain(optim::ClipByGlobalNorm{1.0}, optim::ParamAverage{}, adamw)`:
/// the items' gradient transforms run in order (the first that says "not yet" stops the rest,
/// as in a chain), their parameter transforms after the optimizer's step. Its state saves
/// and loads with the chain's (state_io.hpp); the saved description names every item.

#include <ostream>
#include <string_view>
#include <variant>
#include <vector>

#include "transforms.hpp"

namespace convlab::optim {

using AnyTransform = std::variant<ClipByGlobalNorm, ClipByValue, Accumulate, ParamAverage>;

/// Writes a transform's name and options (what a saved state is checked against).
template <class T>
void describe_transform(std::ostream& os, const T& t) {
  os << ' ' << T::type_name << ':';
  for_each_field<T>([&](const auto& f) { os << ' ' << f.name << '=' << t.*(f.member); });
  if constexpr (std::is_same_v<T, ParamAverage>) os << " kind=" << (t.kind == ParamAverage::Kind::Ema ? "ema" : "polyak");
}

struct TransformList {
  std::vector<AnyTransform> items;

  static constexpr std::string_view type_name = "TransformList";
  void validate() const {
    for (const auto& t : items) std::visit([](const auto& x) { x.validate(); }, t);
  }
  void describe(std::ostream& os) const {
    for (const auto& t : items) std::visit([&](const auto& x) { describe_transform(os, x); }, t);
  }

  template <class S>
  struct State {
    using Item = std::variant<ClipByGlobalNorm::State<S>, ClipByValue::State<S>, Accumulate::State<S>, ParamAverage::State<S>>;
    std::vector<Item> items;  ///< one per transform, in the list's order

    /// The items' saved values in order (state_io.hpp writes each like a chain's).
    template <class Fn>
    void for_each_saved(Fn&& fn) {
      for (auto& item : items)
        std::visit([&](auto& s) { std::apply([&](auto&... v) { (fn(v), ...); }, s.saved()); }, item);
    }
    template <class Fn>
    void for_each_saved(Fn&& fn) const {
      for (const auto& item : items)
        std::visit([&](const auto& s) { std::apply([&](const auto&... v) { (fn(v), ...); }, s.saved()); }, item);
    }
    auto saved() { return std::tie(*this); }
    auto saved() const { return std::tie(*this); }
  };

  template <class S, class Params>
  State<S> init(const GradientBuffers<S>& grads, const Params& params) const {
    State<S> st;
    for (const auto& t : items)
      std::visit(
          [&](const auto& x) {
            if constexpr (requires { x.template init<S>(params); }) st.items.emplace_back(x.template init<S>(params));
            else st.items.emplace_back(x.template init<S>(grads));
          },
          t);
    return st;
  }

  template <class S>
  bool apply(GradientBuffers<S>& g, State<S>& st) const {
    for (std::size_t i = 0; i < items.size(); ++i) {
      const bool go = std::visit(
          [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (requires { x.apply(g, std::get<typename T::template State<S>>(st.items[i])); })
              return x.apply(g, std::get<typename T::template State<S>>(st.items[i]));
            else return true;
          },
          items[i]);
      if (!go) return false;
    }
    return true;
  }

  template <class S>
  void after_step(std::size_t k, const Tensor<S>& x, State<S>& st, bool last_tensor) const {
    for (std::size_t i = 0; i < items.size(); ++i)
      std::visit(
          [&](const auto& t) {
            using T = std::decay_t<decltype(t)>;
            if constexpr (requires { t.after_step(k, x, std::get<typename T::template State<S>>(st.items[i]), last_tensor); })
              t.after_step(k, x, std::get<typename T::template State<S>>(st.items[i]), last_tensor);
          },
          items[i]);
  }
};

}  // namespace convlab::optim
