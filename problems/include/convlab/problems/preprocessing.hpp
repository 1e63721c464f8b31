#pragma once
/// \file
/// Column standardization with the transform kept, so coefficients fitted on standardized
/// features can be mapped back to the original units.

#include <cmath>

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

/// Centers (dense only) and scales every column to unit population standard deviation, in
/// place. Sparse designs are scaled but not centered (centering would fill them in); use an
/// intercept to absorb the means.
template <class Design>
Standardization standardize(Design& X) {
  const Eigen::Index n = X.rows(), d = X.cols();
  Standardization t{VecX<double>::Zero(d), VecX<double>::Ones(d)};
  if (n == 0) return t;
  VecX<double> sum = VecX<double>::Zero(d), sumsq = VecX<double>::Zero(d);
  if constexpr (is_sparse_design_v<Design>) {
    for (Eigen::Index o = 0; o < X.outerSize(); ++o)
      for (typename Design::InnerIterator it(X, o); it; ++it) {
        sum[it.col()] += static_cast<double>(it.value());
        sumsq[it.col()] += static_cast<double>(it.value()) * static_cast<double>(it.value());
      }
  } else {
    sum = X.template cast<double>().colwise().sum().transpose();
    sumsq = X.template cast<double>().colwise().squaredNorm().transpose();
  }
  for (Eigen::Index j = 0; j < d; ++j) {
    const double mean = sum[j] / static_cast<double>(n);
    const double var = std::max(0.0, sumsq[j] / static_cast<double>(n) - mean * mean);
    if constexpr (is_sparse_design_v<Design>) {
      const double rms = std::sqrt(sumsq[j] / static_cast<double>(n));
      t.scale[j] = rms > 0 ? rms : 1.0;
    } else {
      t.center[j] = mean;
      t.scale[j] = var > 0 ? std::sqrt(var) : 1.0;
    }
  }
  if constexpr (is_sparse_design_v<Design>) {
    for (Eigen::Index o = 0; o < X.outerSize(); ++o)
      for (typename Design::InnerIterator it(X, o); it; ++it)
        it.valueRef() = static_cast<typename Design::Scalar>(static_cast<double>(it.value()) / t.scale[it.col()]);
  } else {
    using S = typename Design::Scalar;
    for (Eigen::Index j = 0; j < d; ++j)
      X.col(j) = ((X.col(j).array() - static_cast<S>(t.center[j])) / static_cast<S>(t.scale[j])).matrix();
  }
  return t;
}

}  // namespace convlab::problems
