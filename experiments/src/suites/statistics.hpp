#pragma once
// Summary statistics of the experiments' tables.
#include <algorithm>
#include <cmath>
#include <vector>

#include <boost/math/distributions/students_t.hpp>

namespace convlab::experiments {

/// The median (the mean of the middle two for an even count); 0 for no values.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

/// A mean over seeds with its 95% Student-t confidence interval [lo, hi].
struct MeanInterval {
  double mean = 0, lo = 0, hi = 0;
};

/// The mean of v and its 95% Student-t interval (Boost.Math); the interval is the mean itself
/// for one value.
inline MeanInterval mean_ci(const std::vector<double>& v) {
  const double n = static_cast<double>(v.size());
  double mean = 0, ss = 0;
  for (double x : v) mean += x / n;
  for (double x : v) ss += (x - mean) * (x - mean);
  double half = 0;
  if (v.size() > 1) {
    const boost::math::students_t t(n - 1);
    half = boost::math::quantile(boost::math::complement(t, 0.025)) * std::sqrt(ss / (n - 1) / n);
  }
  return {mean, mean - half, mean + half};
}

}  // namespace convlab::experiments
