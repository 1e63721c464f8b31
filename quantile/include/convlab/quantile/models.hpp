#pragma once
/// \file
/// Base quantile models behind one interface: fit(X, y, levels), then predict(X) → a quantile
/// matrix (rows × levels). Diverse on purpose, so that aggregation has something to combine:
///
/// | model | what it is | strong where |
/// |---|---|---|
/// | LinearQuantileModel | linear quantile regression per level, solved as an LP with a certificate | linear conditional quantiles |
/// | KnnQuantileModel | empirical quantiles of the k nearest training responses (standardized features) | local, heteroscedastic structure |
/// | FourierQuantileModel | linear quantile regression on random Fourier features of the standardized x | smooth nonlinear quantiles |
/// | ResidualQuantileModel | least-squares mean plus the empirical quantiles of its residuals | homoscedastic noise; a stable baseline |
///
/// A model's clone() returns an unfitted copy with the same settings (cross-fitting refits it on
/// folds). Every model is deterministic given its settings (FourierQuantileModel: its seed).

#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <memory>
#include <boost/random/normal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/random.hpp>
#include <convlab/problems/quantile_loss.hpp>

#include "quantile_regression.hpp"

namespace convlab::quantile {

class QuantileModel {
 public:
  virtual ~QuantileModel() = default;
  virtual std::string name() const = 0;
  /// Fits one quantile function per level (levels strictly increasing in (0, 1)).
  virtual void fit(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels) = 0;
  /// Quantile matrix: X.rows() × levels.
  virtual MatX<double> predict(const MatX<double>& X) const = 0;
  /// Unfitted copy with the same settings.
  virtual std::unique_ptr<QuantileModel> clone() const = 0;
};

namespace detail_models {
inline void check_fit_input(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels, const std::string& who) {
  problems::check_levels(levels, who);
  detail::require_size(y.size(), X.rows(), who + ": y (one per row of X)");
  detail::require(X.rows() >= 2, who + ": rows of X", X.rows(), ">= 2");
  if (!X.allFinite() || !y.allFinite()) throw InvalidArgument(who + ": X and y must be finite");
}

/// Column means and standard deviations (a constant column gets sd 1).
struct Standardizer {
  VecX<double> mean, sd;
  void fit(const MatX<double>& X) {
    mean = X.colwise().mean().transpose();
    sd.resize(X.cols());
    for (Eigen::Index j = 0; j < X.cols(); ++j) {
      const double v = (X.col(j).array() - mean[j]).square().mean();
      sd[j] = v > 0 ? std::sqrt(v) : 1.0;
    }
  }
  MatX<double> apply(const MatX<double>& X) const {
    detail::require_size(X.cols(), mean.size(), "quantile model: columns of X (as at fit)");
    return ((X.rowwise() - mean.transpose()).array().rowwise() / sd.transpose().array()).matrix();
  }
};

inline MatX<double> with_intercept(const MatX<double>& F) {
  MatX<double> out(F.rows(), F.cols() + 1);
  out.col(0).setOnes();
  out.rightCols(F.cols()) = F;
  return out;
}

/// The τ-quantile of a sample by the order-statistic rule y_(⌈nτ⌉) (a pinball minimizer).
inline double empirical_quantile(std::vector<double>& v, double tau) {
  const auto n = static_cast<long long>(v.size());
  const long long r = std::clamp<long long>(static_cast<long long>(std::ceil(static_cast<double>(n) * tau - 1e-12)), 1, n);
  std::nth_element(v.begin(), v.begin() + (r - 1), v.end());
  return v[static_cast<std::size_t>(r - 1)];
}
}  // namespace detail_models

/// Linear quantile regression with an intercept, one certified LP solve per level. Features are
/// standardized first (the LP's conditioning depends on their scale; the fitted quantile
/// functions do not), so coefficients() refer to standardized features.
class LinearQuantileModel : public QuantileModel {
 public:
  /// `l1`: the quantile-lasso weight per row, l1·n·Σ|β_j| over the non-intercept coefficients.
  explicit LinearQuantileModel(double l1 = 0) : l1_(l1) { detail::require(l1 >= 0 && std::isfinite(l1), "LinearQuantileModel: l1", l1, "0 <= l1 < inf"); }
  std::string name() const override { return "linear"; }
  void fit(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels) override {
    detail_models::check_fit_input(X, y, levels, "LinearQuantileModel::fit");
    levels_ = levels;
    scale_.fit(X);
    const MatX<double> A = detail_models::with_intercept(scale_.apply(X));
    coef_.resize(A.cols(), levels.size());
    certified_ = 0;
    for (Eigen::Index k = 0; k < levels.size(); ++k) {
      const auto r = quantile_regression(A, y, levels[k], {}, l1_ * static_cast<double>(A.rows()));
      coef_.col(k) = r.beta;
      certified_ += r.at_vertex();
    }
  }
  MatX<double> predict(const MatX<double>& X) const override {
    detail::require_size(X.cols() + 1, coef_.rows(), "LinearQuantileModel::predict: columns of X + intercept");
    return detail_models::with_intercept(scale_.apply(X)) * coef_;
  }
  std::unique_ptr<QuantileModel> clone() const override { return std::make_unique<LinearQuantileModel>(l1_); }
  const MatX<double>& coefficients() const { return coef_; }  ///< (1 + d) × levels, intercept first, standardized x
  Eigen::Index certified_levels() const { return certified_; }  ///< levels whose vertex was certified optimal

 private:
  double l1_;
  detail_models::Standardizer scale_;
  VecX<double> levels_;
  MatX<double> coef_;
  Eigen::Index certified_ = 0;
};

/// Empirical quantiles of the k nearest training responses (Euclidean on standardized x).
class KnnQuantileModel : public QuantileModel {
 public:
  explicit KnnQuantileModel(Eigen::Index k = 30) : k_(k) { detail::require(k >= 1, "KnnQuantileModel: k", k, ">= 1"); }
  std::string name() const override { return "knn" + std::to_string(k_); }
  void fit(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels) override {
    detail_models::check_fit_input(X, y, levels, "KnnQuantileModel::fit");
    scale_.fit(X);
    train_ = scale_.apply(X);
    y_ = y;
    levels_ = levels;
  }
  MatX<double> predict(const MatX<double>& X) const override {
    const MatX<double> Q = scale_.apply(X);
    const Eigen::Index n = train_.rows(), k = std::min(k_, n);
    MatX<double> out(X.rows(), levels_.size());
    std::vector<std::pair<double, Eigen::Index>> dist(static_cast<std::size_t>(n));
    std::vector<double> nb(static_cast<std::size_t>(k));
    for (Eigen::Index i = 0; i < Q.rows(); ++i) {
      for (Eigen::Index t = 0; t < n; ++t) dist[static_cast<std::size_t>(t)] = {(train_.row(t) - Q.row(i)).squaredNorm(), t};
      // Ties in distance broken by training index, so the result does not depend on the sort.
      std::nth_element(dist.begin(), dist.begin() + (k - 1), dist.end());
      for (Eigen::Index t = 0; t < k; ++t) nb[static_cast<std::size_t>(t)] = y_[dist[static_cast<std::size_t>(t)].second];
      for (Eigen::Index l = 0; l < levels_.size(); ++l) out(i, l) = detail_models::empirical_quantile(nb, levels_[l]);
    }
    return out;
  }
  std::unique_ptr<QuantileModel> clone() const override { return std::make_unique<KnnQuantileModel>(k_); }

 private:
  Eigen::Index k_;
  detail_models::Standardizer scale_;
  MatX<double> train_;
  VecX<double> y_, levels_;
};

/// Quantile regression on D random Fourier features √(2/D)·cos(Wz + b) of the standardized x z,
/// W ~ N(0, 1/σ²), b ~ U(0, 2π), σ = `bandwidth` (in standardized units), with a small quantile-
/// lasso penalty (`l1`, per row) because random features are nearly collinear.
class FourierQuantileModel : public QuantileModel {
 public:
  FourierQuantileModel(Eigen::Index features = 20, double bandwidth = 1.0, unsigned long long seed = 1, double l1 = 1e-3)
      : D_(features), bandwidth_(bandwidth), seed_(seed), l1_(l1), linear_(l1) {
    detail::require(features >= 1, "FourierQuantileModel: features", features, ">= 1");
    detail::require(bandwidth > 0 && std::isfinite(bandwidth), "FourierQuantileModel: bandwidth", bandwidth, "0 < bandwidth < inf");
  }
  std::string name() const override { return "fourier" + std::to_string(D_); }
  void fit(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels) override {
    detail_models::check_fit_input(X, y, levels, "FourierQuantileModel::fit");
    scale_.fit(X);
    Rng rng(seed_);
    boost::random::normal_distribution<double> N(0, 1 / bandwidth_);
    boost::random::uniform_real_distribution<double> U(0, 2 * M_PI);
    W_.resize(X.cols(), D_);
    b_.resize(D_);
    for (Eigen::Index j = 0; j < D_; ++j) {
      for (Eigen::Index i = 0; i < X.cols(); ++i) W_(i, j) = N(rng);
      b_[j] = U(rng);
    }
    linear_.fit(features(X), y, levels);
  }
  MatX<double> predict(const MatX<double>& X) const override { return linear_.predict(features(X)); }
  std::unique_ptr<QuantileModel> clone() const override { return std::make_unique<FourierQuantileModel>(D_, bandwidth_, seed_, l1_); }

 private:
  MatX<double> features(const MatX<double>& X) const {
    MatX<double> F = scale_.apply(X) * W_;
    F.rowwise() += b_.transpose();
    return (std::sqrt(2.0 / static_cast<double>(D_)) * F.array().cos()).matrix();
  }
  Eigen::Index D_;
  double bandwidth_;
  unsigned long long seed_;
  double l1_;
  detail_models::Standardizer scale_;
  MatX<double> W_;
  VecX<double> b_;
  LinearQuantileModel linear_;
};

/// Least-squares mean (with intercept) plus the empirical quantiles of the training residuals.
class ResidualQuantileModel : public QuantileModel {
 public:
  std::string name() const override { return "ls_residual"; }
  void fit(const MatX<double>& X, const VecX<double>& y, const VecX<double>& levels) override {
    detail_models::check_fit_input(X, y, levels, "ResidualQuantileModel::fit");
    const MatX<double> A = detail_models::with_intercept(X);
    beta_ = A.colPivHouseholderQr().solve(y);
    const VecX<double> r = y - A * beta_;
    std::vector<double> res(r.data(), r.data() + r.size());
    offsets_.resize(levels.size());
    for (Eigen::Index k = 0; k < levels.size(); ++k) offsets_[k] = detail_models::empirical_quantile(res, levels[k]);
  }
  MatX<double> predict(const MatX<double>& X) const override {
    detail::require_size(X.cols() + 1, beta_.size(), "ResidualQuantileModel::predict: columns of X + intercept");
    const VecX<double> mean = detail_models::with_intercept(X) * beta_;
    return mean.replicate(1, offsets_.size()) + VecX<double>::Ones(X.rows()) * offsets_.transpose();
  }
  std::unique_ptr<QuantileModel> clone() const override { return std::make_unique<ResidualQuantileModel>(); }

 private:
  VecX<double> beta_, offsets_;
};

/// Builds a model from its configuration name: "linear", "knn" (k), "fourier" (features,
/// bandwidth, seed), "ls_residual".
inline std::unique_ptr<QuantileModel> make_quantile_model(const std::string& type, Eigen::Index k = 30, Eigen::Index features = 20,
                                                          double bandwidth = 1.0, unsigned long long seed = 1) {
  if (type == "linear") return std::make_unique<LinearQuantileModel>();
  if (type == "knn") return std::make_unique<KnnQuantileModel>(k);
  if (type == "fourier") return std::make_unique<FourierQuantileModel>(features, bandwidth, seed);
  if (type == "ls_residual") return std::make_unique<ResidualQuantileModel>();
  throw InvalidArgument("unknown quantile model '" + type + "' (linear, knn, fourier, ls_residual)");
}

}  // namespace convlab::quantile
