#pragma once
/// \file
/// Non-crossing quantiles: operators that make each row of a quantile matrix non-decreasing
/// across levels, and isotonic regression by the pool-adjacent-violators algorithm (PAVA) as a
/// standalone utility for long vectors.
///
/// Which operators can be trusted (spec quantile-aggregation.md (c); tested): for ANY increasing
/// levels, y and q, sorting and UNWEIGHTED isotonic regression never increase Σ_k ρ_{τ_k}(y − q_k),
/// hence never increase WIS. Weighted isotonic regression, the cumulative max from the left and
/// the median-anchored "MONO" operator can increase it (counter-examples in the tests). MONO only
/// widens every central interval, so it is the one to apply after conformal calibration when the
/// coverage guarantee must survive.

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::quantile {

/// Isotonic regression in place: v ← argmin Σ wᵢ(vᵢ − yᵢ)² subject to v₁ ≤ … ≤ vₙ, by PAVA in O(n)
/// time. `w` may be null (unit weights) or point to n weights ≥ 0, at least one positive. One
/// forward sweep keeps a stack of pooled blocks (start, weight, weighted sum), one backward
/// sweep writes the means. A zero-weight point does not enter the objective: it is pooled with
/// its left neighbour's block (or, at the start, with the first weighted block), which keeps v
/// monotone, as scikit-learn's IsotonicRegression does with zero sample weights.
inline void isotonic_inplace(double* y, const double* w, std::size_t n) {
  if (n < 2) return;
  // Stack of blocks: start index, total weight and weighted sum. Means are compared by cross-
  // multiplication (weights are positive), so merging needs no division.
  struct Block {
    std::size_t start;
    double weight, sum;
  };
  std::vector<Block> blocks;
  blocks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Block cur{i, w ? w[i] : 1.0, 0.0};
    cur.sum = cur.weight * y[i];
    // Merge while the previous block's mean is at least the new one (a violation, or a tie).
    while (!blocks.empty() && blocks.back().sum * cur.weight >= cur.sum * blocks.back().weight) {
      const Block& b = blocks.back();
      cur = {b.start, b.weight + cur.weight, b.sum + cur.sum};
      blocks.pop_back();
    }
    blocks.push_back(cur);
  }
  // Expand: every index of a block takes the block's mean.
  std::size_t end = n;
  for (std::size_t b = blocks.size(); b-- > 0;) {
    std::fill(y + blocks[b].start, y + end, blocks[b].sum / blocks[b].weight);
    end = blocks[b].start;
  }
}

/// Direction of an isotonic fit.
enum class Order { Increasing, Decreasing };

namespace detail_isotonic {
inline void require_weights(const VecX<double>& w, Eigen::Index n, const std::string& who) {
  if (w.size() == 0) return;
  detail::require_size(w.size(), n, who + ": weights (one per value)");
  for (Eigen::Index i = 0; i < w.size(); ++i)
    detail::require(w[i] >= 0 && std::isfinite(w[i]), who + ": weight " + std::to_string(i), w[i], "0 <= w < inf");
  if (n > 0 && !(w.array() > 0).any()) throw InvalidArgument(who + ": every weight is 0 (at least one must be positive)");
}
}  // namespace detail_isotonic

/// Isotonic regression of y: non-decreasing (or, with Order::Decreasing, non-increasing) least
/// squares fit; optional weights ≥ 0, at least one positive (zero weights: see isotonic_inplace).
inline VecX<double> isotonic(const VecX<double>& y, const VecX<double>& w = {}, Order order = Order::Increasing) {
  detail_isotonic::require_weights(w, y.size(), "isotonic");
  for (Eigen::Index i = 0; i < y.size(); ++i)
    if (!std::isfinite(y[i])) throw InvalidArgument("isotonic: value " + std::to_string(i) + " is not finite");
  // Decreasing = increasing on −y, negated back (exact: negation is exact in floating point).
  const double sign = order == Order::Increasing ? 1.0 : -1.0;
  VecX<double> v = sign * y;
  isotonic_inplace(v.data(), w.size() ? w.data() : nullptr, static_cast<std::size_t>(v.size()));
  return sign * v;
}

/// Isotonic regression of y on x (any order, ties in x pooled first as the weighted mean of
/// their y, as scikit-learn's IsotonicRegression does): returns the fitted value at every input
/// point, in the input order.
inline VecX<double> isotonic_fit(const VecX<double>& x, const VecX<double>& y, const VecX<double>& w = {},
                                 Order order = Order::Increasing) {
  detail::require_size(x.size(), y.size(), "isotonic_fit: x (one per value of y)");
  detail_isotonic::require_weights(w, y.size(), "isotonic_fit");
  const double sign = order == Order::Increasing ? 1.0 : -1.0;
  const auto n = static_cast<std::size_t>(y.size());
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[static_cast<Eigen::Index>(i)]) || !std::isfinite(y[static_cast<Eigen::Index>(i)]))
      throw InvalidArgument("isotonic_fit: point " + std::to_string(i) + " is not finite");
  // Sort (x, index) pairs held contiguously: much faster than sorting indices through x.
  std::vector<std::pair<double, std::size_t>> by_x(n);
  for (std::size_t i = 0; i < n; ++i) by_x[i] = {x[static_cast<Eigen::Index>(i)], i};
  std::sort(by_x.begin(), by_x.end());
  std::vector<double> value, weight;  // one entry per distinct x
  std::vector<std::size_t> group(n);
  value.reserve(n);
  weight.reserve(n);
  for (std::size_t r = 0; r < n; ++r) {
    const auto i = static_cast<Eigen::Index>(by_x[r].second);
    const double wi = w.size() ? w[i] : 1.0;
    if (r > 0 && by_x[r].first == by_x[r - 1].first) {
      value.back() += wi * sign * y[i];
      weight.back() += wi;
    } else {
      value.push_back(wi * sign * y[i]);
      weight.push_back(wi);
    }
    group[by_x[r].second] = value.size() - 1;
  }
  for (std::size_t g = 0; g < value.size(); ++g) value[g] = weight[g] > 0 ? value[g] / weight[g] : 0.0;  // 0-weight groups pool
  isotonic_inplace(value.data(), weight.data(), value.size());
  VecX<double> out(y.size());
  for (std::size_t i = 0; i < n; ++i) out[static_cast<Eigen::Index>(i)] = sign * value[group[i]];
  return out;
}

/// How a row of quantiles is made non-decreasing across levels.
enum class Monotonize {
  None,      ///< leave as is
  Sort,      ///< rearrangement (never increases WIS)
  Isotonic,  ///< unweighted PAVA, the L2 projection (never increases WIS)
  Mono,      ///< the reference code's median-anchored cumulative min/max (widens every central interval)
  CumMax,    ///< cumulative max from the left (can increase WIS: kept for comparison)
  SoftSort,  ///< Blondel et al.'s L2 soft sort (the reference code's default); → Sort as strength → 0
};

/// Parses "none" | "sort" | "isotonic" | "mono" | "cummax".
inline Monotonize parse_monotonize(const std::string& name) {
  if (name == "none") return Monotonize::None;
  if (name == "sort") return Monotonize::Sort;
  if (name == "isotonic") return Monotonize::Isotonic;
  if (name == "mono") return Monotonize::Mono;
  if (name == "cummax") return Monotonize::CumMax;
  if (name == "soft_sort") return Monotonize::SoftSort;
  throw InvalidArgument("unknown monotonization '" + name + "' (none, sort, isotonic, mono, cummax, soft_sort)");
}

inline std::string to_string(Monotonize m) {
  switch (m) {
    case Monotonize::None: return "none";
    case Monotonize::Sort: return "sort";
    case Monotonize::Isotonic: return "isotonic";
    case Monotonize::Mono: return "mono";
    case Monotonize::CumMax: return "cummax";
    case Monotonize::SoftSort: return "soft_sort";
  }
  return "?";
}

/// Soft sort with L2 regularization of strength ε > 0 (Blondel, Teboul, Berthet, Djolonga 2020),
/// ascending, in place: the projection of ρ/ε, ρ = (1, …, m), onto the permutahedron of q,
/// computed as s − iso(s − sort(q)) with s = ρ/ε (their Proposition 3, one PAVA). The output is
/// non-decreasing, keeps Σq, tends to sort(q) as ε → 0 (exactly once 1/ε exceeds the largest gap
/// of sort(q)) and to the mean as ε → ∞.
inline void soft_sort_inplace(double* q, std::size_t m, double strength) {
  detail::require(strength > 0 && std::isfinite(strength), "soft_sort: strength", strength, "0 < strength < inf");
  std::sort(q, q + m);
  // u_k = s_k − w_k with s increasing; the projection needs an increasing fit of u, so
  // out = s − iso(u).
  // out = s − iso(u) is written as w + (u − iso(u)): where PAVA pools nothing (all of it as ε → 0)
  // the correction is exactly 0, so no O(1/ε) cancellation error reaches the output.
  std::vector<double> u(m), fit(m);
  for (std::size_t k = 0; k < m; ++k) u[k] = static_cast<double>(k + 1) / strength - q[k];
  fit = u;
  isotonic_inplace(fit.data(), nullptr, m);
  for (std::size_t k = 0; k < m; ++k) q[k] += u[k] - fit[k];
}

/// Applies `method` to one row of m quantiles in place (`soft_strength`: ε of SoftSort).
inline void monotonize_row(double* q, std::size_t m, Monotonize method, double soft_strength = 0.1) {
  switch (method) {
    case Monotonize::SoftSort: soft_sort_inplace(q, m, soft_strength); return;
    case Monotonize::None: return;
    case Monotonize::Sort: std::sort(q, q + m); return;
    case Monotonize::Isotonic: isotonic_inplace(q, nullptr, m); return;
    case Monotonize::CumMax:
      for (std::size_t k = 1; k < m; ++k) q[k] = std::max(q[k], q[k - 1]);
      return;
    case Monotonize::Mono: {  // anchor m/2: cumulative min leftwards, cumulative max rightwards
      const std::size_t a = m / 2;
      for (std::size_t k = a; k-- > 0;) q[k] = std::min(q[k], q[k + 1]);
      for (std::size_t k = a + 1; k < m; ++k) q[k] = std::max(q[k], q[k - 1]);
      return;
    }
  }
}

/// Applies `method` to every row of a quantile matrix (samples × levels).
inline MatX<double> monotonize(const MatX<double>& Q, Monotonize method, double soft_strength = 0.1) {
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RowMajor R = Q;
  for (Eigen::Index i = 0; i < R.rows(); ++i) monotonize_row(R.row(i).data(), static_cast<std::size_t>(R.cols()), method, soft_strength);
  return R;
}

}  // namespace convlab::quantile
