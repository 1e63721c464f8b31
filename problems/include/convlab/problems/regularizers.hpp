#pragma once
/// \file
/// Proximable regularizers R with prox_{tR}(x) = argmin_u R(u) + ‖u − x‖²/(2t), and their
/// exact compositions.
///
/// | type          | R(u)                         | prox_{tR}(x)                          |
/// |---------------|------------------------------|---------------------------------------|
/// | L1            | λ‖u‖₁                        | sign(x)·max(|x| − tλ, 0)              |
/// | L2            | (λ/2)‖u‖²                    | x / (1 + tλ)                          |
/// | Box           | indicator of lo <= u <= hi   | clip(x, lo, hi)                       |
/// | NonNegative   | indicator of u >= 0          | max(x, 0)                             |
/// | Simplex       | indicator of u >= 0, Σu = r  | Euclidean projection (sort-based)     |
/// | Sum<A, B>     | A(u) + B(u)                  | prox_B(prox_A(x)), only where exact   |
/// | Restricted<R> | R on the marked coordinates  | prox_R there, x elsewhere             |
///
/// `compose(a, b)` builds Sum<A, B> and refuses at compile time the pairs for which
/// prox_B ∘ prox_A is not the prox of A + B. The exact pairs: a separable convex A
/// (L1, L2, L1 then L2) followed by an interval indicator B (Box, NonNegative) — a convex
/// 1-D function minimized over an interval is the clipped unconstrained minimizer; L1 then
/// L2 (the elastic net); L2 then Simplex (the scaled point is projected).

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>
#include <vector>

#include "concepts.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

namespace detail {
template <class S>
S feasibility_tolerance() {
  return std::is_same_v<S, float> ? S(1e-5) : S(1e-10);
}
template <class S>
void check_prox_args(const In<S>& x, S t, const Out<S>& out, const char* who) {
  require(t >= 0 && std::isfinite(static_cast<double>(t)), who, static_cast<double>(t), "0 <= step t < inf");
  require_size(out.size(), x.size(), "prox output");
}
}  // namespace detail

/// λ‖u‖₁.
template <class S = double>
struct L1 {
  using Scalar = S;
  S lambda = 0;
  S value(In<S> x) const { return lambda * x.template lpNorm<1>(); }
  void prox(In<S> x, S t, Out<S> out) const {
    detail::check_prox_args(x, t, out, "L1::prox: t");
    const S tau = t * lambda;
    out = x.array().sign() * (x.array().abs() - tau).max(S(0));
  }
  void validate() const { detail::require(lambda >= 0, "L1::lambda", lambda, "lambda >= 0"); }
};

/// (λ/2)‖u‖².
template <class S = double>
struct L2 {
  using Scalar = S;
  S lambda = 0;
  S value(In<S> x) const { return lambda / 2 * x.squaredNorm(); }
  void prox(In<S> x, S t, Out<S> out) const {
    detail::check_prox_args(x, t, out, "L2::prox: t");
    out = x / (S(1) + t * lambda);
  }
  void validate() const { detail::require(lambda >= 0, "L2::lambda", lambda, "lambda >= 0"); }
};

/// Indicator of the box lo <= u <= hi (same bounds for every coordinate).
template <class S = double>
struct Box {
  using Scalar = S;
  S lo = -std::numeric_limits<S>::infinity();
  S hi = std::numeric_limits<S>::infinity();
  S value(In<S> x) const {
    const S tol = detail::feasibility_tolerance<S>() * std::max<S>(S(1), std::max(std::abs(lo), std::abs(hi)));
    return (x.array() >= lo - tol).all() && (x.array() <= hi + tol).all() ? S(0)
                                                                           : std::numeric_limits<S>::infinity();
  }
  void prox(In<S> x, S t, Out<S> out) const {
    detail::check_prox_args(x, t, out, "Box::prox: t");
    out = x.array().max(lo).min(hi);
  }
  void validate() const { detail::require(lo <= hi, "Box::lo", lo, "lo <= hi"); }
};

/// Indicator of u >= 0.
template <class S = double>
struct NonNegative {
  using Scalar = S;
  S value(In<S> x) const {
    return (x.array() >= -detail::feasibility_tolerance<S>()).all() ? S(0) : std::numeric_limits<S>::infinity();
  }
  void prox(In<S> x, S t, Out<S> out) const {
    detail::check_prox_args(x, t, out, "NonNegative::prox: t");
    out = x.array().max(S(0));
  }
  void validate() const {}
};

/// Indicator of the simplex {u >= 0, Σu = radius}. The prox is the Euclidean projection
/// (Duchi et al., 2008: sort, find the threshold θ, clip x − θ at 0), O(n log n); it
/// allocates a sort buffer.
template <class S = double>
struct Simplex {
  using Scalar = S;
  S radius = 1;
  S value(In<S> x) const {
    const S tol = detail::feasibility_tolerance<S>() * std::max<S>(S(1), radius) * std::sqrt(S(x.size()) + 1);
    return (x.array() >= -tol).all() && std::abs(x.sum() - radius) <= tol ? S(0)
                                                                           : std::numeric_limits<S>::infinity();
  }
  void prox(In<S> x, S t, Out<S> out) const {
    detail::check_prox_args(x, t, out, "Simplex::prox: t");
    validate();
    detail::require(x.size() > 0, "Simplex::prox: x.size()", x.size(), "size > 0");
    std::vector<S> u(x.data(), x.data() + x.size());
    std::sort(u.begin(), u.end(), std::greater<S>());
    S cumsum = 0, theta = 0;
    for (std::size_t j = 0; j < u.size(); ++j) {
      cumsum += u[j];
      const S candidate = (cumsum - radius) / static_cast<S>(j + 1);
      if (u[j] - candidate > 0) theta = candidate;
    }
    out = (x.array() - theta).max(S(0));
  }
  void validate() const { detail::require(radius > 0, "Simplex::radius", radius, "radius > 0"); }
};

template <class A, class B>
struct Sum;

namespace detail {
template <class R> struct is_separable : std::false_type {};
template <class S> struct is_separable<L1<S>> : std::true_type {};
template <class S> struct is_separable<L2<S>> : std::true_type {};
template <class S> struct is_separable<Sum<L1<S>, L2<S>>> : std::true_type {};
template <class R> struct is_interval_indicator : std::false_type {};
template <class S> struct is_interval_indicator<Box<S>> : std::true_type {};
template <class S> struct is_interval_indicator<NonNegative<S>> : std::true_type {};

template <class A, class B>
inline constexpr bool exact_composition_v =
    (is_separable<A>::value && is_interval_indicator<B>::value) ||
    (std::is_same_v<A, L1<typename A::Scalar>> && std::is_same_v<B, L2<typename A::Scalar>>) ||
    (std::is_same_v<A, L2<typename A::Scalar>> && std::is_same_v<B, Simplex<typename A::Scalar>>);
}  // namespace detail

/// A + B with prox_{t(A+B)} = prox_{tB} ∘ prox_{tA}; only for the exact pairs listed above.
template <class A, class B>
struct Sum {
  static_assert(std::is_same_v<typename A::Scalar, typename B::Scalar>, "Sum: both terms need the same Scalar");
  static_assert(detail::exact_composition_v<A, B>,
                "Sum<A, B>: prox_B(prox_A(x)) is not the prox of A + B for this pair; see regularizers.hpp");
  using Scalar = typename A::Scalar;
  A first;
  B then;
  Scalar value(In<Scalar> x) const { return first.value(x) + then.value(x); }
  void prox(In<Scalar> x, Scalar t, Out<Scalar> out) const {
    first.prox(x, t, out);
    then.prox(VecX<Scalar>(out), t, out);
  }
  void validate() const {
    first.validate();
    then.validate();
  }
};

/// Sum<A, B>{a, b}; a compile error for pairs whose prox does not compose exactly.
template <class A, class B>
Sum<A, B> compose(A a, B b) {
  return Sum<A, B>{std::move(a), std::move(b)};
}

namespace detail {
/// R acts on each coordinate alone (its prox is entry-wise), so it can be restricted to some.
template <class R> struct is_coordinatewise : std::bool_constant<is_separable<R>::value || is_interval_indicator<R>::value> {};
template <class A, class B> struct is_coordinatewise<Sum<A, B>> : std::bool_constant<is_coordinatewise<A>::value && is_coordinatewise<B>::value> {};
}  // namespace detail

/// R on the coordinates `mask` marks; the others are free (prox = identity there): the
/// unpenalized intercepts of a linear model. Only for coordinate-wise R, where restricting the
/// prox entry by entry is exact.
template <class R>
struct Restricted {
  static_assert(detail::is_coordinatewise<R>::value, "Restricted<R>: R must act on each coordinate alone (L1, L2, Box, NonNegative, their Sum)");
  using Scalar = typename R::Scalar;
  R inner;
  Eigen::Array<bool, Eigen::Dynamic, 1> mask;  ///< true where R applies; one entry per coordinate

  Scalar value(In<Scalar> x) const {
    detail::require_size(x.size(), mask.size(), "Restricted::value: x");
    VecX<Scalar> marked(mask.count());
    for (Eigen::Index i = 0, k = 0; i < x.size(); ++i)
      if (mask[i]) marked[k++] = x[i];
    return inner.value(marked);
  }
  void prox(In<Scalar> x, Scalar t, Out<Scalar> out) const {
    detail::require_size(x.size(), mask.size(), "Restricted::prox: x");
    inner.prox(x, t, out);
    out = mask.select(out, x);
  }
  void validate() const { inner.validate(); }
};

}  // namespace convlab::problems
