#pragma once
/// \file
/// A learning-rate schedule is any cheap, pure callable `lr(t)` of the 0-based step t
/// returning a number. A plain number is the constant schedule. Header-only and
/// independent of the rest of convlab, so it drops into any training loop.

#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <type_traits>

#include "detail/require.hpp"

namespace convlab::schedules {

/// Callable with a step index, returning something convertible to double.
template <class F>
concept Schedule = std::invocable<const F&, std::int64_t> &&
                   std::convertible_to<std::invoke_result_t<const F&, std::int64_t>, double>;

/// lr(t) = value for every t.
struct Constant {
  double value;
  double operator()(std::int64_t) const { return value; }
};

/// Constant schedule; `value` must be finite and >= 0.
inline Constant constant(double value) {
  detail::require(detail::finite_nonnegative(value), "constant", "lr", value, "0 <= lr < inf");
  return Constant{value};
}

/// A type-erased schedule, for collections of different schedules (join, configs).
using AnySchedule = std::function<double(std::int64_t)>;

/// A number becomes a Constant schedule; a Schedule is passed through.
template <class T>
auto as_schedule(T s) {
  if constexpr (std::is_arithmetic_v<T>) return constant(static_cast<double>(s));
  else {
    static_assert(Schedule<T>, "a schedule must be a number or a callable lr(step) -> number");
    return s;
  }
}

}  // namespace convlab::schedules
