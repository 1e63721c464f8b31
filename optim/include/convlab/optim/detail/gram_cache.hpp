#pragma once
/// \file
/// Inner products x_jᵀx_k of features that were in one lasso working set together, kept across
/// the solves of a path (glmnet's "covariance updates"): with them a coordinate update costs O(m)
/// for a working set of m features, instead of two passes over a column of X. A product is
/// computed the first time its pair is asked for, so features that pass through a working set
/// once do not cost a row of products with every other.

#include <Eigen/Dense>
#include <vector>

#include <convlab/problems/concepts.hpp>

namespace convlab::optim::detail {

class GramCache {
 public:
  static constexpr Eigen::Index kMaxFeatures = 2048;  // G is at most 2048² doubles, 32 MB

  explicit GramCache(Eigen::Index p) : slot_(static_cast<std::size_t>(p), -1) {}

  /// G restricted to `features` in `out` (m × m, in the order given), computing the products not
  /// cached yet through `cols.col_dot`. False, with nothing computed, when m > kMaxFeatures.
  template <class Columns>
  bool gather(const std::vector<Eigen::Index>& features, Columns& cols, MatX<double>& out) {
    const auto m = static_cast<Eigen::Index>(features.size());
    if (m > kMaxFeatures) return false;
    Eigen::Index fresh = 0;
    for (Eigen::Index j : features) fresh += slot_[static_cast<std::size_t>(j)] < 0;
    if (size() + fresh > kMaxFeatures) clear();  // start over with the features in use now
    fresh_.clear();
    for (Eigen::Index j : features)
      if (slot_[static_cast<std::size_t>(j)] < 0) add(j), fresh_.push_back(j);
    if (!fresh_.empty()) {  // the new features' products with the whole set, in one block
      cols.products(features, fresh_, block_);
      for (std::size_t b = 0; b < fresh_.size(); ++b) {
        const Eigen::Index sb = slot_[static_cast<std::size_t>(fresh_[b])];
        for (Eigen::Index a = 0; a < m; ++a) {
          const Eigen::Index sa = slot_[static_cast<std::size_t>(features[static_cast<std::size_t>(a)])];
          G_(sa, sb) = G_(sb, sa) = block_(a, static_cast<Eigen::Index>(b));
          known_(sa, sb) = known_(sb, sa) = 1;
        }
      }
    }
    out.resize(m, m);
    for (Eigen::Index b = 0; b < m; ++b) {
      const Eigen::Index jb = features[static_cast<std::size_t>(b)], sb = slot_[static_cast<std::size_t>(jb)];
      for (Eigen::Index a = 0; a < m; ++a) {
        const Eigen::Index ja = features[static_cast<std::size_t>(a)], sa = slot_[static_cast<std::size_t>(ja)];
        if (!known_(sa, sb)) G_(sa, sb) = G_(sb, sa) = cols.col_dot(ja, jb), known_(sa, sb) = known_(sb, sa) = 1;
        out(a, b) = G_(sa, sb);
      }
    }
    return true;
  }

 private:
  Eigen::Index size() const { return static_cast<Eigen::Index>(feature_.size()); }

  void clear() {
    for (Eigen::Index j : feature_) slot_[static_cast<std::size_t>(j)] = -1;
    feature_.clear();
  }

  void add(Eigen::Index j) {
    const Eigen::Index s = size();
    if (s == G_.cols()) {  // grow geometrically; conservativeResize keeps the filled block
      const Eigen::Index cap = std::min(kMaxFeatures, std::max<Eigen::Index>(16, 2 * s));
      G_.conservativeResize(cap, cap);
      known_.conservativeResize(cap, cap);
    }
    known_.row(s).setZero();
    known_.col(s).setZero();
    slot_[static_cast<std::size_t>(j)] = s;
    feature_.push_back(j);
  }

  std::vector<Eigen::Index> slot_;     // feature → slot in G_, −1 when not cached
  std::vector<Eigen::Index> feature_;  // slot → feature
  std::vector<Eigen::Index> fresh_;    // features added by the current gather
  MatX<double> block_;                 // their products with the set
  MatX<double> G_;                     // capacity × capacity, valid where known_
  Eigen::Matrix<unsigned char, Eigen::Dynamic, Eigen::Dynamic> known_;
};

}  // namespace convlab::optim::detail
