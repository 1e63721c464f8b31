#pragma once
/// \file
/// Schedules refined from an observed gradient-norm record (Defazio, Cutkosky, Mehta,
/// Mishchenko 2023, "When, Why and How Much?"). From a record G of a previous run (L2 norms
/// for SGD-like methods with q = 2, L1 norms for Adam-like methods with q = 1):
///   1. clean: drop non-finite entries and the first/last `drop_edges`; floor at 1e-12·max G;
///   2. resample to N points (linear interpolation over normalized time) if shorter than N;
///   3. median filter of odd width k = 2⌊⌊τ·L⌋/2⌋ + 1, right side reflect-padded by 2k
///      (NumPy 'reflect'), 'nearest' edges, pad removed — so the left edge replicates and the
///      right edge reflects;
///   4. resample the filtered series to N points: Ĝ;
///   5. weights w_t = Ĝ_t^(−q);  6. s_t = w_t·Σ_{p>t} w_p (s_{N−1} = 0);  7. s ← s / max s.
/// A new run of T' steps uses lr(t) = peak·s(t/(T' − 1)), interpolated in normalized time.
///
/// Decision (the spec marks it as a quirk of the official script): L in step 3 is the length
/// of the series actually filtered (`Window::FilteredLength`, default), so the window is τ of
/// the run whatever the record's length; `Window::Official` uses L = N as the official code
/// does (1001 samples for the defaults, less than τ of a record longer than N).
/// Normalization is by the max (step 7), not the official divisor (the last weight).
///
/// Deterministic smooth problems drive ‖g_t‖ → 0, and refinement then pushes the lr *up* at
/// the end; the theory is for Lipschitz or noisy settings (pitfall 4 of the spec).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <convlab/core/fields.hpp>

#include "bound.hpp"
#include "detail/require.hpp"

namespace convlab::schedules {

struct RefineOptions {
  enum class Window { FilteredLength, Official };
  double tau = 0.1;                ///< median-filter width as a fraction of the run, 0 < τ <= 1
  std::int64_t resample = 10000;   ///< N, >= 2
  double q = 2;                    ///< weight exponent: 2 for L2 norms (SGD), 1 for L1 norms (Adam)
  std::int64_t drop_edges = 2;     ///< entries dropped at each end (logging artefacts), >= 0
  Window window = Window::FilteredLength;

  static constexpr std::string_view type_name = "RefineOptions";
  static constexpr auto fields() {
    using O = RefineOptions;
    return std::tuple{
        field("tau", &O::tau, "0 < tau <= 1", [](double v) { return v > 0 && v <= 1; },
              "median-filter width, as a fraction of the run"),
        field("resample", &O::resample, "2 <= resample <= 1e7", [](std::int64_t v) { return v >= 2 && v <= 10000000; },
              "points the filtered norms are resampled to"),
        field("q", &O::q, "q > 0", [](double v) { return v > 0 && v < 1e308; },
              "weight exponent: 2 for L2 gradient norms (SGD), 1 for L1 norms (Adam, Lion)"),
        field("drop_edges", &O::drop_edges, "drop_edges >= 0", [](std::int64_t v) { return v >= 0; },
              "entries dropped at each end of the record (logging artefacts)")};
  }
  void validate() const { validate_fields(*this); }
};

/// `x` linearly interpolated onto `n` points spread uniformly over normalized time [0, 1].
inline std::vector<double> resample_linear(std::span<const double> x, std::int64_t n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  const double last = static_cast<double>(x.size() - 1);
  for (std::int64_t i = 0; i < n; ++i) {
    const double pos = n > 1 ? last * static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, x.size() - 1);
    const double f = pos - static_cast<double>(lo);
    out[static_cast<std::size_t>(i)] = x[lo] + (x[hi] - x[lo]) * f;
  }
  return out;
}

/// Running median of odd width k with 'nearest' edges (edge values replicated).
inline std::vector<double> median_filter(std::span<const double> x, std::int64_t k) {
  detail::require(k >= 1 && k % 2 == 1, "median_filter", "k", k, "odd k >= 1");
  const auto n = static_cast<std::int64_t>(x.size()), h = k / 2;
  std::vector<double> out(x.size()), window(static_cast<std::size_t>(k));
  for (std::int64_t i = 0; i < n; ++i) {
    for (std::int64_t j = -h; j <= h; ++j) window[static_cast<std::size_t>(j + h)] = x[static_cast<std::size_t>(std::clamp<std::int64_t>(i + j, 0, n - 1))];
    std::nth_element(window.begin(), window.begin() + h, window.end());
    out[static_cast<std::size_t>(i)] = window[static_cast<std::size_t>(h)];
  }
  return out;
}

/// Steps 1–7 above: the normalized refined shape, N values, s[0..N−1], max 1, last 0.
inline std::vector<double> refine(std::span<const double> norms, const RefineOptions& o = {}) {
  o.validate();
  std::vector<double> g;
  for (double v : norms)
    if (std::isfinite(v)) g.push_back(v);
  const auto drop = static_cast<std::size_t>(o.drop_edges);
  detail::require(g.size() >= 2 * drop + 2, "refine", "finite norms", g.size(), ">= 2 + 2*drop_edges");
  g = std::vector<double>(g.begin() + static_cast<std::ptrdiff_t>(drop), g.end() - static_cast<std::ptrdiff_t>(drop));
  const double gmax = *std::max_element(g.begin(), g.end());
  detail::require(gmax > 0, "refine", "max norm", gmax, "> 0");
  for (double& v : g) {
    detail::require(v >= 0, "refine", "norm", v, ">= 0");
    v = std::max(v, 1e-12 * gmax);  // zero norms would give infinite weights
  }
  const std::int64_t N = o.resample;
  if (static_cast<std::int64_t>(g.size()) < N) g = resample_linear(g, N);
  const double L = o.window == RefineOptions::Window::Official ? static_cast<double>(N) : static_cast<double>(g.size());
  const auto half = static_cast<std::int64_t>(std::floor(o.tau * L)) / 2;
  const std::int64_t k = 2 * half + 1;
  // Reflect-pad the right end by 2k (mirror about the last sample without repeating it).
  const auto n = static_cast<std::int64_t>(g.size());
  std::vector<double> padded(g);
  const std::int64_t period = 2 * (n - 1);
  for (std::int64_t j = 1; j <= 2 * k; ++j) {
    std::int64_t idx = n > 1 ? (n - 1 + j) % period : 0;
    if (idx >= n) idx = period - idx;
    padded.push_back(g[static_cast<std::size_t>(idx)]);
  }
  std::vector<double> filtered = median_filter(padded, k);
  filtered.resize(g.size());
  const std::vector<double> ghat = resample_linear(filtered, N);
  std::vector<double> s(static_cast<std::size_t>(N));
  detail::CompensatedSum tail;
  for (std::int64_t t = N; t-- > 0;) {
    const double w = std::pow(ghat[static_cast<std::size_t>(t)], -o.q);
    s[static_cast<std::size_t>(t)] = w * tail.value();
    tail.add(w);
  }
  const double smax = *std::max_element(s.begin(), s.end());
  for (double& v : s) v /= smax;
  return s;
}

/// lr(t) = peak·shape(t/(T − 1)), linearly interpolated; the shape is shared, so copies are cheap.
struct Refined {
  std::shared_ptr<const std::vector<double>> shape;
  double peak;
  std::int64_t total_steps;
  double operator()(std::int64_t t) const {
    const auto& s = *shape;
    const double frac = total_steps > 1 ? std::clamp(static_cast<double>(t) / static_cast<double>(total_steps - 1), 0.0, 1.0) : 0.0;
    const double pos = frac * static_cast<double>(s.size() - 1);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, s.size() - 1);
    return peak * (s[lo] + (s[hi] - s[lo]) * (pos - static_cast<double>(lo)));
  }
};

/// The refined schedule for a run of `total_steps` steps with peak lr `peak`.
inline Refined refined(std::vector<double> shape, double peak, std::int64_t total_steps) {
  detail::require(shape.size() >= 2, "refined", "shape.size()", shape.size(), ">= 2");
  detail::require(detail::finite_nonnegative(peak), "refined", "peak", peak, "0 <= peak < inf");
  detail::require(total_steps >= 1, "refined", "total_steps", total_steps, "total_steps >= 1");
  return Refined{std::make_shared<const std::vector<double>>(std::move(shape)), peak, total_steps};
}

}  // namespace convlab::schedules
