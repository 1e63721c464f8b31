#pragma once
/// \file
/// Inner products x_jᵀx_k among the features that have been in a lasso working set, kept across
/// the solves of a path (glmnet's "covariance updates"): with them a coordinate update costs O(m)
/// for a working set of m features, instead of two passes over a column of X. Every pair of
/// cached features is known, so handing out a working set's block is a copy.

#include <Eigen/Dense>
#include <algorithm>
#include <vector>

#include <convlab/problems/concepts.hpp>

namespace convlab::solvers::detail {

class GramCache {
 public:
  static constexpr Eigen::Index kMaxFeatures = 2048;  // G is at most 2048² doubles, 32 MB

  explicit GramCache(Eigen::Index p) : slot_(static_cast<std::size_t>(p), -1) {}

  /// G restricted to `features` in `out` (m × m, in the order given), after caching the features
  /// not cached yet (their products with every cached feature, through `cols.products`). False,
  /// with nothing computed, when m > kMaxFeatures.
  template <class Columns>
  bool gather(const std::vector<Eigen::Index>& features, Columns& cols, MatX<double>& out) {
    const auto m = static_cast<Eigen::Index>(features.size());
    if (m > kMaxFeatures) return false;
    fresh_.clear();
    for (Eigen::Index j : features)
      if (slot_[static_cast<std::size_t>(j)] < 0) fresh_.push_back(j);
    if (size() + static_cast<Eigen::Index>(fresh_.size()) > kMaxFeatures) {  // start over with this set
      for (Eigen::Index j : feature_) slot_[static_cast<std::size_t>(j)] = -1;
      feature_.clear();
      fresh_ = features;
    }
    if (!fresh_.empty()) add(cols);
    slots_.resize(features.size());
    for (std::size_t a = 0; a < features.size(); ++a) slots_[a] = slot_[static_cast<std::size_t>(features[a])];
    out = G_(slots_, slots_);
    return true;
  }

 private:
  Eigen::Index size() const { return static_cast<Eigen::Index>(feature_.size()); }

  /// Appends fresh_ and computes the new rows and columns of G in one block product.
  template <class Columns>
  void add(Columns& cols) {
    const Eigen::Index old = size(), q = static_cast<Eigen::Index>(fresh_.size()), total = old + q;
    if (total > G_.cols()) {  // grow geometrically; conservativeResize keeps the filled block
      const Eigen::Index cap = std::min(kMaxFeatures, std::max<Eigen::Index>({16, 2 * G_.cols(), total}));
      G_.conservativeResize(cap, cap);
    }
    for (Eigen::Index b = 0; b < q; ++b) slot_[static_cast<std::size_t>(fresh_[static_cast<std::size_t>(b)])] = old + b;
    feature_.insert(feature_.end(), fresh_.begin(), fresh_.end());
    cols.products(feature_, fresh_, block_);  // total × q
    G_.block(0, old, total, q) = block_;
    G_.block(old, 0, q, old) = block_.topRows(old).transpose();
  }

  std::vector<Eigen::Index> slot_;     // feature → slot in G_, −1 when not cached
  std::vector<Eigen::Index> feature_;  // slot → feature
  std::vector<Eigen::Index> fresh_;    // features added by the current gather
  std::vector<Eigen::Index> slots_;    // the current gather's slots
  MatX<double> block_;                 // the fresh features' products with all cached ones
  MatX<double> G_;                     // capacity × capacity; the leading size() block is filled
};

}  // namespace convlab::solvers::detail
