#pragma once
/// \file
/// Split conformalized quantile regression (CQR; Romano, Patterson, Candès 2019).
///
/// For a central interval [q_lo, q_hi] at miscoverage a, calibration scores
/// Eᵢ = max(q_lo(xᵢ) − yᵢ, yᵢ − q_hi(xᵢ)) on n held-out rows give Q̂ = the ⌈(1 − a)(n + 1)⌉-th
/// smallest Eᵢ (+∞ when that rank exceeds n), and C(x) = [q_lo(x) − Q̂, q_hi(x) + Q̂].
/// Guarantee: if the n calibration pairs and the test pair are exchangeable,
/// P(Y ∈ C(X)) ≥ 1 − a, marginally over calibration and test draw; with almost surely distinct
/// scores also ≤ 1 − a + 1/(n + 1). It says nothing about coverage conditional on x.
/// The asymmetric variant corrects each end with its own scores at level 1 − a/2 (guarantee
/// ≥ 1 − a; the upper bound is lost).
///
/// The rank is ⌈(1 − a)(n + 1) − 1e-9⌉ so that 0.9·20 is 18, not 19 by rounding. MAPIE's
/// np.quantile(scores, (1 − a)(1 + 1/n), method="higher") takes one rank more when (1 − a)(n + 1)
/// is an integer; we follow the rank rule of the paper.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/problems/quantile_loss.hpp>

#include "monotone.hpp"

namespace convlab::quantile {

/// ⌈(1 − a)(n + 1)⌉ (1-based); may exceed n, meaning Q̂ = +∞.
inline long long conformal_rank(long long n, double a) {
  detail::require(a > 0 && a < 1, "conformal_rank: miscoverage a", a, "0 < a < 1");
  detail::require(n >= 0, "conformal_rank: calibration size", n, ">= 0");
  return static_cast<long long>(std::ceil((1 - a) * static_cast<double>(n + 1) - 1e-9));
}

/// The rank-th smallest score (1-based), +∞ if rank > size.
inline double conformal_quantile(std::vector<double> scores, double a) {
  const long long r = conformal_rank(static_cast<long long>(scores.size()), a);
  if (r > static_cast<long long>(scores.size())) return std::numeric_limits<double>::infinity();
  if (r <= 0) return -std::numeric_limits<double>::infinity();
  std::nth_element(scores.begin(), scores.begin() + (r - 1), scores.end());
  return scores[static_cast<std::size_t>(r - 1)];
}

/// Q̂ of the symmetric CQR score on calibration rows.
inline double cqr_correction(const VecX<double>& lower, const VecX<double>& upper, const VecX<double>& y, double a) {
  detail::require_size(lower.size(), y.size(), "cqr_correction: lower bounds");
  detail::require_size(upper.size(), y.size(), "cqr_correction: upper bounds");
  std::vector<double> e(static_cast<std::size_t>(y.size()));
  for (Eigen::Index i = 0; i < y.size(); ++i) e[static_cast<std::size_t>(i)] = std::max(lower[i] - y[i], y[i] - upper[i]);
  return conformal_quantile(std::move(e), a);
}

/// Q̂_lo and Q̂_hi of the asymmetric variant (each end at level 1 − a/2).
inline std::pair<double, double> cqr_correction_asymmetric(const VecX<double>& lower, const VecX<double>& upper, const VecX<double>& y, double a) {
  detail::require_size(lower.size(), y.size(), "cqr_correction_asymmetric: lower bounds");
  detail::require_size(upper.size(), y.size(), "cqr_correction_asymmetric: upper bounds");
  std::vector<double> lo(static_cast<std::size_t>(y.size())), hi(lo.size());
  for (Eigen::Index i = 0; i < y.size(); ++i) {
    lo[static_cast<std::size_t>(i)] = lower[i] - y[i];
    hi[static_cast<std::size_t>(i)] = y[i] - upper[i];
  }
  return {conformal_quantile(std::move(lo), a / 2), conformal_quantile(std::move(hi), a / 2)};
}

/// Calibrates every central interval (τ_k, τ_{m−1−k}) of a symmetric level grid by symmetric CQR
/// on (Q_cal, y_cal), applies the corrections to Q_test, then `after` (default MONO, which keeps
/// each interval's guarantee because it only widens them). The median (odd m) is left unchanged.
/// Requires τ_k + τ_{m−1−k} = 1 (tolerance 1e-9): the interval's miscoverage is 2τ_k.
inline MatX<double> cqr_calibrate(const MatX<double>& Q_cal, const VecX<double>& y_cal, const MatX<double>& Q_test,
                                  const VecX<double>& levels, Monotonize after = Monotonize::Mono) {
  problems::check_quantile_matrix(Q_cal, y_cal, levels, "cqr_calibrate");
  detail::require_size(Q_test.cols(), levels.size(), "cqr_calibrate: columns of the test quantile matrix");
  const Eigen::Index m = levels.size();
  for (Eigen::Index k = 0; k < m; ++k)
    if (std::abs(levels[k] + levels[m - 1 - k] - 1) > 1e-9)
      throw InvalidArgument("cqr_calibrate: the level grid must be symmetric (level " + std::to_string(k) + " + level " +
                            std::to_string(m - 1 - k) + " != 1)");
  MatX<double> out = Q_test;
  for (Eigen::Index k = 0; k < m / 2; ++k) {
    const double qhat = cqr_correction(Q_cal.col(k), Q_cal.col(m - 1 - k), y_cal, 2 * levels[k]);
    out.col(k).array() -= qhat;
    out.col(m - 1 - k).array() += qhat;
  }
  return monotonize(out, after);
}

}  // namespace convlab::quantile
