#pragma once
// Summary statistics of the experiments' tables.
#include <algorithm>
#include <vector>

namespace convlab::experiments {

/// The median (the mean of the middle two for an even count); 0 for no values.
inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

}  // namespace convlab::experiments
