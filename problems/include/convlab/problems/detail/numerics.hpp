#pragma once
/// \file
/// Numerically stable scalar kernels shared by the objectives.

#include <cmath>

namespace convlab::problems::detail {

/// log(1 + exp(z)) without overflow for any finite z (exact to rounding for |z| ≤ 1e4).
template <class S>
inline S softplus(S z) {
  return z > S(0) ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

/// 1 / (1 + exp(−z)), never NaN for finite z.
template <class S>
inline S sigmoid(S z) {
  if (z >= S(0)) return S(1) / (S(1) + std::exp(-z));
  const S e = std::exp(z);
  return e / (S(1) + e);
}

/// softplus(z) and sigmoid(z) from one exponential, with the same bits as the two functions.
template <class S>
struct SoftplusSigmoid {
  S softplus, sigmoid;
};
template <class S>
inline SoftplusSigmoid<S> softplus_and_sigmoid(S z) {
  const S e = std::exp(-std::abs(z));
  if (z > S(0)) return {z + std::log1p(e), S(1) / (S(1) + e)};
  return {std::log1p(e), e / (S(1) + e)};
}

}  // namespace convlab::problems::detail
