#pragma once
/// \file
/// Scores of quantile predictions: the pinball (check) loss, the interval score and the weighted
/// interval score (WIS), the crossing penalty, and coverage. The common currency is a quantile
/// matrix Q (samples × levels, levels strictly increasing in (0, 1)): Q(i, k) predicts the
/// τ_k-quantile of y given xᵢ.
///
///     ρ_τ(u) = max(τu, (τ − 1)u),   u = y − q
///     IS_a(l, u; y) = (u − l) + (2/a)(l − y)₊ + (2/a)(y − u)₊
///     ρ_{a/2}(y − l) + ρ_{1−a/2}(y − u) = (a/2)·IS_a(l, u; y)      (any l, u, y)
///     WIS(q; y) = (2/m)·Σ_k ρ_{τ_k}(y − q_k)
///
/// The last line is Bracher et al.'s WIS for a symmetric grid of m = 2K + 1 levels (K central
/// intervals and the median: 1/(K + ½)·(½|y − m| + Σ (a_k/2) IS_{a_k})) or m = 2K levels without the
/// median (1/K·Σ (a_k/2) IS_{a_k}); for other grids it is the same positive multiple of the summed
/// pinball loss, so every ordering statement holds for any grid.

#include <algorithm>
#include <cmath>
#include <string>

#include "concepts.hpp"
#include <convlab/core/errors.hpp>

namespace convlab::problems {

/// ρ_τ(u), u = y − q.
inline double pinball(double u, double tau) { return u >= 0 ? tau * u : (tau - 1) * u; }

/// A subgradient of q ↦ ρ_τ(y − q): 1{y < q} − τ (−τ at y = q).
inline double pinball_subgradient(double y, double q, double tau) { return (y < q ? 1.0 : 0.0) - tau; }

/// IS_a of the central (1 − a) interval [l, u] (no l ≤ u needed).
inline double interval_score(double l, double u, double y, double a) {
  return (u - l) + (2 / a) * std::max(l - y, 0.0) + (2 / a) * std::max(y - u, 0.0);
}

/// Throws InvalidArgument unless the levels are strictly increasing in (0, 1).
inline void check_levels(const VecX<double>& levels, const std::string& who) {
  detail::require(levels.size() >= 1, who + ": number of levels", levels.size(), ">= 1");
  for (Eigen::Index k = 0; k < levels.size(); ++k) {
    detail::require(levels[k] > 0 && levels[k] < 1, who + ": level " + std::to_string(k), levels[k], "0 < level < 1");
    if (k > 0) detail::require(levels[k] > levels[k - 1], who + ": level " + std::to_string(k), levels[k], "greater than the previous level");
  }
}

/// Throws InvalidArgument unless Q is rows(y) × size(levels) and finite.
inline void check_quantile_matrix(const MatX<double>& Q, const VecX<double>& y, const VecX<double>& levels, const std::string& who) {
  check_levels(levels, who);
  detail::require_size(Q.rows(), y.size(), who + ": rows of the quantile matrix (one per response)");
  detail::require_size(Q.cols(), levels.size(), who + ": columns of the quantile matrix (one per level)");
  for (Eigen::Index i = 0; i < Q.rows(); ++i)
    for (Eigen::Index k = 0; k < Q.cols(); ++k)
      if (!std::isfinite(Q(i, k))) throw InvalidArgument(who + ": quantile matrix entry (" + std::to_string(i) + ", " + std::to_string(k) + ") is not finite");
}

/// L(q; y) = Σ_k ρ_{τ_k}(y − q_k) for one row.
template <class Row>
double summed_pinball(const Row& q, double y, const VecX<double>& levels) {
  double s = 0;
  for (Eigen::Index k = 0; k < levels.size(); ++k) s += pinball(y - q[k], levels[k]);
  return s;
}

/// WIS of one row: (2/m)·Σ_k ρ_{τ_k}(y − q_k).
template <class Row>
double wis(const Row& q, double y, const VecX<double>& levels) {
  return 2 * summed_pinball(q, y, levels) / static_cast<double>(levels.size());
}

/// Per-row WIS of a quantile matrix.
inline VecX<double> wis_per_row(const MatX<double>& Q, const VecX<double>& y, const VecX<double>& levels) {
  check_quantile_matrix(Q, y, levels, "wis_per_row");
  VecX<double> out(Q.rows());
  for (Eigen::Index i = 0; i < Q.rows(); ++i) out[i] = wis(Q.row(i), y[i], levels);
  return out;
}

/// Row weights for a weighted mean over rows: empty (every row weighs 1), or one finite weight
/// >= 0 per row, not all 0. Returns their sum (the row count without weights, at least 1).
inline double check_row_weights(const VecX<double>& w, Eigen::Index rows, const std::string& who) {
  if (w.size() == 0) return static_cast<double>(std::max<Eigen::Index>(rows, 1));
  detail::require_size(w.size(), rows, who + ": row weights (one per row)");
  if (!((w.array() >= 0).all() && w.allFinite() && w.sum() > 0))
    throw InvalidArgument(who + ": row weights must be finite and >= 0, not all 0");
  return w.sum();
}

/// Mean WIS over rows (with row weights sᵢ: Σ sᵢ·WISᵢ / Σ s).
inline double mean_wis(const MatX<double>& Q, const VecX<double>& y, const VecX<double>& levels, const VecX<double>& w = VecX<double>()) {
  const double total = check_row_weights(w, Q.rows(), "mean_wis");
  const VecX<double> per_row = wis_per_row(Q, y, levels);
  return w.size() ? w.dot(per_row) / total : per_row.mean();
}

/// Mean pinball loss per level (mean over rows, or with row weights sᵢ the weighted mean), the
/// reference code's per-level "check score".
inline VecX<double> pinball_per_level(const MatX<double>& Q, const VecX<double>& y, const VecX<double>& levels, const VecX<double>& w = VecX<double>()) {
  check_quantile_matrix(Q, y, levels, "pinball_per_level");
  const double total = check_row_weights(w, Q.rows(), "pinball_per_level");
  VecX<double> out = VecX<double>::Zero(levels.size());
  for (Eigen::Index i = 0; i < Q.rows(); ++i)
    for (Eigen::Index k = 0; k < levels.size(); ++k) out[k] += (w.size() ? w[i] : 1.0) * pinball(y[i] - Q(i, k), levels[k]);
  return out / total;
}

/// Fraction of ordered level pairs j < k (over all rows) with Q(i, j) > Q(i, k).
inline double crossing_fraction(const MatX<double>& Q) {
  const Eigen::Index m = Q.cols();
  if (m < 2 || Q.rows() == 0) return 0;
  double crossings = 0;
  for (Eigen::Index i = 0; i < Q.rows(); ++i)
    for (Eigen::Index j = 0; j < m; ++j)
      for (Eigen::Index k = j + 1; k < m; ++k) crossings += Q(i, j) > Q(i, k);
  return crossings / (static_cast<double>(Q.rows()) * static_cast<double>(m * (m - 1) / 2));
}

/// The reference code's crossing penalty with one margin d ≥ 0 over all pairs j < k:
///     P = (1 / (B·m(m−1)/2))·Σ_i Σ_{j<k} (Q(i, j) − Q(i, k) + d)₊
/// If `grad` is non-null it receives ∂P/∂Q (a subgradient: 0 at the kinks).
inline double crossing_penalty(const MatX<double>& Q, double margin, MatX<double>* grad = nullptr) {
  detail::require(margin >= 0 && std::isfinite(margin), "crossing_penalty: margin", margin, "0 <= margin < inf");
  const Eigen::Index m = Q.cols();
  if (grad) grad->setZero(Q.rows(), m);
  if (m < 2 || Q.rows() == 0) return 0;
  const double scale = 1 / (static_cast<double>(Q.rows()) * static_cast<double>(m * (m - 1) / 2));
  double p = 0;
  for (Eigen::Index i = 0; i < Q.rows(); ++i)
    for (Eigen::Index j = 0; j < m; ++j)
      for (Eigen::Index k = j + 1; k < m; ++k) {
        const double v = Q(i, j) - Q(i, k) + margin;
        if (v > 0) {
          p += v;
          if (grad) (*grad)(i, j) += scale, (*grad)(i, k) -= scale;
        }
      }
  return p * scale;
}

/// Fraction of rows with l_i ≤ y_i ≤ u_i.
inline double coverage(const VecX<double>& lower, const VecX<double>& upper, const VecX<double>& y) {
  detail::require_size(lower.size(), y.size(), "coverage: lower bounds");
  detail::require_size(upper.size(), y.size(), "coverage: upper bounds");
  if (y.size() == 0) return 0;
  double inside = 0;
  for (Eigen::Index i = 0; i < y.size(); ++i) inside += lower[i] <= y[i] && y[i] <= upper[i];
  return inside / static_cast<double>(y.size());
}

}  // namespace convlab::problems
