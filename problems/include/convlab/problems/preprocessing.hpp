#pragma once
/// \file
/// Column standardization with the transform kept, so coefficients fitted on standardized
/// features can be mapped back to the original units.

#include <cmath>
#include <vector>

#include "block_exchange.hpp"
#include "block_layout.hpp"
#include "concepts.hpp"
#include "detail/linear_model.hpp"

namespace convlab::problems {

/// x_std = (x − center) / scale per column. Columns with zero variance keep scale 1.
struct Standardization {
  VecX<double> center, scale;

  /// Maps coefficients w (and intercept c) fitted on standardized features to the original
  /// features: w_orig = w / scale, c_orig = c − Σ w_orig·center.
  template <class S>
  std::pair<VecX<S>, S> to_original(const VecX<S>& w, S c) const {
    const VecX<S> wo = (w.template cast<double>().array() / scale.array()).matrix().template cast<S>();
    return {wo, static_cast<S>(static_cast<double>(c) - wo.template cast<double>().dot(center))};
  }
};

/// Adds the column moments behind standardize() — [n, Σ x (d), Σ x² (d)] — to `acc` (size
/// 1 + 2d, zeros to start). They are additive over row blocks: a data set cut into blocks
/// (blocked_problem.hpp) is standardized as a whole by adding every block's moments in
/// block order (standardize_blocks).
template <class Design>
void add_column_moments(const Design& X, std::vector<double>& acc) {
  const Eigen::Index d = X.cols();
  detail::require_size(static_cast<Eigen::Index>(acc.size()), 1 + 2 * d, "add_column_moments: acc");
  acc[0] += static_cast<double>(X.rows());
  Eigen::Map<VecX<double>> sum(acc.data() + 1, d), sumsq(acc.data() + 1 + d, d);
  if constexpr (is_sparse_design_v<Design>) {
    for (Eigen::Index o = 0; o < X.outerSize(); ++o)
      for (typename Design::InnerIterator it(X, o); it; ++it) {
        sum[it.col()] += static_cast<double>(it.value());
        sumsq[it.col()] += static_cast<double>(it.value()) * static_cast<double>(it.value());
      }
  } else {
    sum += X.template cast<double>().colwise().sum().transpose();
    sumsq += X.template cast<double>().colwise().squaredNorm().transpose();
  }
}

/// The transform from column moments summed over all rows: dense designs are centered and
/// scaled to unit population standard deviation, sparse ones only scaled (by the root mean
/// square; centering would fill them in). Columns with zero spread keep scale 1.
inline Standardization standardization_from_moments(const std::vector<double>& m, Eigen::Index d, bool sparse) {
  detail::require_size(static_cast<Eigen::Index>(m.size()), 1 + 2 * d, "standardization_from_moments: moments");
  Standardization t{VecX<double>::Zero(d), VecX<double>::Ones(d)};
  const double n = m[0];
  if (n == 0) return t;
  for (Eigen::Index j = 0; j < d; ++j) {
    const double sum = m[static_cast<std::size_t>(1 + j)], sumsq = m[static_cast<std::size_t>(1 + d + j)];
    if (sparse) {
      const double rms = std::sqrt(sumsq / n);
      t.scale[j] = rms > 0 ? rms : 1.0;
    } else {
      const double mean = sum / n, var = std::max(0.0, sumsq / n - mean * mean);
      t.center[j] = mean;
      t.scale[j] = var > 0 ? std::sqrt(var) : 1.0;
    }
  }
  return t;
}

/// x ← (x − center) / scale per column, in place (sparse: only the stored entries are scaled).
template <class Design>
void apply_standardization(Design& X, const Standardization& t) {
  if constexpr (is_sparse_design_v<Design>) {
    for (Eigen::Index o = 0; o < X.outerSize(); ++o)
      for (typename Design::InnerIterator it(X, o); it; ++it)
        it.valueRef() = static_cast<typename Design::Scalar>(static_cast<double>(it.value()) / t.scale[it.col()]);
  } else {
    using S = typename Design::Scalar;
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      X.col(j) = ((X.col(j).array() - static_cast<S>(t.center[j])) / static_cast<S>(t.scale[j])).matrix();
  }
}

/// Centers (dense only) and scales every column to unit population standard deviation, in
/// place. Sparse designs are scaled but not centered (centering would fill them in); use an
/// intercept to absorb the means.
template <class Design>
Standardization standardize(Design& X) {
  std::vector<double> m(static_cast<std::size_t>(1 + 2 * X.cols()), 0.0);
  add_column_moments(X, m);
  const Standardization t = standardization_from_moments(m, X.cols(), is_sparse_design_v<Design>);
  apply_standardization(X, t);
  return t;
}

/// standardize() for the rows of one rank of a data set cut into blocks (`shard` = rows
/// layout.first_row(rank) …): the moments of every block of every rank are added in block
/// order (ex.chain), so each rank applies the transform of the whole data set — the same bits
/// on any number of ranks.
template <class Design>
Standardization standardize_blocks(Design& shard, const BlockLayout& layout, const BlockExchange& ex) {
  const int rank = ex.rank();
  detail::require_size(shard.rows(), layout.first_row(rank + 1) - layout.first_row(rank), "standardize_blocks: rows of this rank's shard");
  std::vector<double> m(static_cast<std::size_t>(1 + 2 * shard.cols()), 0.0);
  ex.chain(m, [&](std::vector<double>& acc) {
    for (Eigen::Index b = layout.first_block(rank); b < layout.first_block(rank + 1); ++b) {
      const Eigen::Index start = layout.block_begin(b) - layout.first_row(rank), len = layout.block_end(b) - layout.block_begin(b);
      // A copy: in place, a block's columns would sit at alignments that depend on the shard,
      // and Eigen's vectorized column sums with them.
      add_column_moments(Design(shard.middleRows(start, len)), acc);
    }
  });
  const Standardization t = standardization_from_moments(m, shard.cols(), is_sparse_design_v<Design>);
  apply_standardization(shard, t);
  return t;
}

}  // namespace convlab::problems
