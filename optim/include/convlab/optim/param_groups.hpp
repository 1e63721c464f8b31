#pragma once
/// \file
/// Parameter groups: one API that steps a model's many tensors with any optimizer.
///
///     optim::AdamW<float> adamw({.weight_decay = 0.1});
///     optim::ParamGroups<optim::AdamW<float>> groups{
///         {.params = {W1, W2}},                                             // the optimizer's options
///         {.params = {b1, b2}, .optimizer = optim::AdamW<float>({.weight_decay = 0})},
///     };
///     auto state = adamw.init(groups);                                      // allocates once
///     adamw.step(groups, {gW1, gW2, gb1, gb2}, state, lr);                  // in place, no allocation
///
/// A `Tensor` is the caller's memory, rows × cols column-major (a vector has cols = 1): an
/// `Eigen::Matrix`/`Vector`/`Array` or `Map`, a `std::vector`, a `std::span`, or a raw pointer
/// with its shape. A group lists tensors and may carry its own optimizer object (its options
/// and, for Lion-κ, its κ) and an lr multiplier. Gradients come as one flat list in the order
/// of the groups' tensors, each of its parameter's shape. Every tensor is stepped exactly as the
/// one-tensor API would step it alone with its group's options (tests/optim/param_groups_test),
/// so results do not depend on grouping or on the thread count. A κ that needs a matrix shape
/// (the nuclear norm) acts on each tensor's rows × cols. See docs/optim.md "Parameter groups".

#include <cmath>
#include <initializer_list>
#include <optional>
#include <tuple>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include <convlab/core/errors.hpp>
#include <convlab/problems/concepts.hpp>

namespace convlab::optim {

/// rows × cols values of the caller's memory, column-major. `Tensor<float>` is writable (a
/// parameter), `Tensor<const float>` read-only (a gradient).
template <class T>
struct Tensor {
  using Scalar = std::remove_const_t<T>;
  T* data = nullptr;
  Eigen::Index rows = 0, cols = 1;

  Tensor(T* d, Eigen::Index r, Eigen::Index c = 1) : data(d), rows(r), cols(c) {
    if (r < 0 || c < 0) throw InvalidArgument("optim::Tensor: negative shape " + shape_string(r, c));
  }
  /// Any Eigen object with contiguous storage (Matrix, Vector, Array, a contiguous Map/Ref or
  /// block). A row-major matrix does not compile: pass its transpose's shape explicitly.
  template <class M>
    requires requires(M& m) {
      { m.data() } -> std::convertible_to<T*>;
      m.rows(); m.cols(); m.innerStride(); m.outerStride();
      std::remove_cvref_t<M>::IsRowMajor;
    }
  Tensor(M&& m) : data(m.data()), rows(m.rows()), cols(m.cols()) {  // NOLINT: implicit, for braced lists
    using P = std::remove_cvref_t<M>;
    static_assert(std::is_same_v<typename P::Scalar, Scalar>, "the tensor's scalar type differs from the optimizer's");
    static_assert(!P::IsRowMajor || P::RowsAtCompileTime == 1 || P::ColsAtCompileTime == 1,
                  "a row-major matrix: pass Tensor(W.data(), W.cols(), W.rows()) (its storage as a column-major "
                  "cols x rows matrix) or Eigen::Map<VectorX>(W.data(), W.size())");
    const bool vector_like = rows <= 1 || cols <= 1;
    const auto outer_wanted = P::IsRowMajor ? cols : rows;
    if (rows * cols > 1 && (m.innerStride() != 1 || (!vector_like && m.outerStride() != outer_wanted)))
      throw InvalidArgument("optim::Tensor: a " + shape_string(rows, cols) +
                            " Eigen block is not contiguous; pass a contiguous copy, or each column");
  }
  Tensor(std::conditional_t<std::is_const_v<T>, const std::vector<Scalar>, std::vector<Scalar>>& v)  // NOLINT
      : data(v.data()), rows(static_cast<Eigen::Index>(v.size())) {}
  Tensor(std::span<T> v) : data(v.data()), rows(static_cast<Eigen::Index>(v.size())) {}  // NOLINT
  /// A parameter read as a gradient-like, read-only tensor.
  template <class U>
    requires std::is_const_v<T> && std::is_same_v<U, Scalar>
  Tensor(const Tensor<U>& t) : data(t.data), rows(t.rows), cols(t.cols) {}  // NOLINT

  Eigen::Index size() const { return rows * cols; }
  auto vector() const { return Eigen::Map<std::conditional_t<std::is_const_v<T>, const VecX<Scalar>, VecX<Scalar>>>(data, size()); }
  static std::string shape_string(Eigen::Index r, Eigen::Index c) { return std::to_string(r) + " x " + std::to_string(c); }
};

/// A view of the caller's list — a braced list, a std::vector or a span — never owning it.
/// A braced list lives until the end of the full expression, which covers a call.
template <class T>
class ListView {
 public:
  ListView(std::initializer_list<T> l) : items_(l.begin(), l.size()) {}
  ListView(const std::vector<T>& v) : items_(v) {}  // NOLINT
  ListView(std::span<const T> s) : items_(s) {}     // NOLINT
  std::size_t size() const { return items_.size(); }
  const T& operator[](std::size_t i) const { return items_[i]; }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

 private:
  std::span<const T> items_;
};

template <class S> using Tensors = ListView<Tensor<S>>;
template <class S> using Gradients = ListView<Tensor<const S>>;

/// Tensors stepped with one optimizer's options. `optimizer` empty: the stepping optimizer's.
template <class O>
struct ParamGroup {
  std::vector<Tensor<typename O::Scalar>> params;
  std::optional<O> optimizer{};  ///< this group's options (and κ); empty: the optimizer that steps
  double lr_scale = 1.0;         ///< this group's lr is lr_scale × the lr given to step, > 0
};
template <class O> using ParamGroups = std::vector<ParamGroup<O>>;

/// The state of every tensor of a list or of groups, in tensor order, with the shapes it was
/// made for (step and load check them).
template <class O>
struct GroupState {
  struct Shape {
    Eigen::Index rows = 0, cols = 1;
    bool operator==(const Shape&) const = default;
  };
  std::vector<typename O::State> tensors;
  std::vector<Shape> shapes;

  /// What state_io.hpp saves: each tensor's `State::saved()` items, in tensor order.
  template <class Fn>
  void visit_saved(Fn&& fn) {
    for (auto& s : tensors) std::apply([&](auto&... item) { (fn(item), ...); }, s.saved());
  }
  template <class Fn>
  void visit_saved(Fn&& fn) const {
    for (const auto& s : tensors) std::apply([&](const auto&... item) { (fn(item), ...); }, s.saved());
  }
};

namespace detail {

/// The parameter-group overloads every optimizer shares (each brings them in with `using`).
/// `Derived` provides the one-tensor `init(In<S>)`/`step(Out<S>, In<S>, State&, S)` and may
/// provide `init(In<S>, rows, cols)` when its step depends on the tensor's shape.
template <class Derived, class S>
struct GroupApi {
  using Groups = ParamGroups<Derived>;
  using States = GroupState<Derived>;

  /// One group with this optimizer's options.
  States init(Tensors<S> params) const {
    States st;
    add_states(self(), params, st);
    return st;
  }
  /// A braced list, `init({W})` included: C++ prefers an initializer_list parameter, which
  /// settles `{W}` against the one-tensor `init(In<S>)`.
  States init(std::initializer_list<Tensor<S>> params) const { return init(Tensors<S>(params)); }
  States init(const Groups& groups) const {
    States st;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      require_scale(groups[i].lr_scale, i);
      add_states(of(groups[i]), groups[i].params, st);
    }
    return st;
  }

  void step(Tensors<S> params, Gradients<S> grads, States& st, S lr) const {
    require_counts(params.size(), grads.size(), st);
    for (std::size_t k = 0; k < params.size(); ++k) step_one(self(), params[k], grads[k], st, k, lr, kNoGroup);
  }
  void step(const Groups& groups, Gradients<S> grads, States& st, S lr) const {
    std::size_t total = 0;
    for (const auto& g : groups) total += g.params.size();
    require_counts(total, grads.size(), st);
    std::size_t k = 0;
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const S group_lr = groups[i].lr_scale == 1.0 ? lr : static_cast<S>(groups[i].lr_scale * static_cast<double>(lr));
      for (const auto& p : groups[i].params) {
        step_one(of(groups[i]), p, grads[k], st, k, group_lr, i);
        ++k;
      }
    }
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
  /// The optimizer that steps group `g`.
  const Derived& of(const ParamGroup<Derived>& g) const { return g.optimizer ? *g.optimizer : self(); }

  template <class List>
  static void add_states(const Derived& o, const List& params, States& st) {
    for (const Tensor<S>& p : params) {
      In<S> x(p.vector());
      if constexpr (requires { o.init(x, p.rows, p.cols); }) st.tensors.push_back(o.init(x, p.rows, p.cols));
      else st.tensors.push_back(o.init(x));
      st.shapes.push_back({p.rows, p.cols});
    }
  }
  static void require_scale(double s, std::size_t group) {
    require(s > 0 && std::isfinite(s), "ParamGroup::lr_scale (group " + std::to_string(group) + ")", s, "finite and > 0");
  }
  static void require_counts(std::size_t params, std::size_t grads, const States& st) {
    if (params != grads || params != st.tensors.size())
      throw InvalidArgument("optimizer step: " + std::to_string(params) + " parameter tensors, " + std::to_string(grads) +
                            " gradients, a state for " + std::to_string(st.tensors.size()) +
                            " tensors (give one gradient per parameter, in the groups' order)");
  }
  static constexpr std::size_t kNoGroup = static_cast<std::size_t>(-1);
  // The error names the tensor (and its group); the message is built only when a shape differs.
  static void step_one(const Derived& o, const Tensor<S>& p, const Tensor<const S>& g, States& st, std::size_t k, S lr,
                       std::size_t group) {
    const typename States::Shape ps{p.rows, p.cols}, gs{g.rows, g.cols};
    if (!(ps == st.shapes[k]) || !(gs == ps))
      throw InvalidArgument("optimizer step: tensor " + std::to_string(k) +
                            (group == kNoGroup ? std::string() : " (group " + std::to_string(group) + ")") + " is " +
                            Tensor<S>::shape_string(p.rows, p.cols) + ", its gradient " +
                            Tensor<S>::shape_string(g.rows, g.cols) + ", its state " +
                            Tensor<S>::shape_string(st.shapes[k].rows, st.shapes[k].cols));
    auto x = p.vector();
    o.step(Out<S>(x), In<S>(g.vector()), st.tensors[k], lr);
  }
};

}  // namespace detail
}  // namespace convlab::optim
