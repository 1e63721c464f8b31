#pragma once
/// \file
/// The cross-fitting protocol of the aggregation paper (spec (b), "nested cross-fitting"):
/// each base model is fitted on the fit part and predicts the validation and test rows; its
/// out-of-fold (OOF) predictions on the fit part come from K contiguous folds (scikit-learn's
/// KFold without shuffling — shuffle the rows before the split), each predicted by the model
/// refitted on the other K − 1 folds. An aggregator is then trained on (x, OOF predictions, y) of
/// the fit part, so it never sees a base prediction of a row that model was trained on.

#include <memory>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "aggregation.hpp"
#include "models.hpp"

namespace convlab::quantile {

struct CrossFitPredictions {
  std::vector<std::string> names;  ///< one per base model
  BasePredictions oof, val, test;  ///< per model: fit rows (out of fold), validation rows, test rows
  std::vector<std::unique_ptr<QuantileModel>> fitted;  ///< per model: fitted on all fit rows (what predicted val and test)
};

/// Rows [begin, end) of fold `f` of `folds` over n rows (sizes differ by at most one).
inline std::pair<Eigen::Index, Eigen::Index> fold_range(Eigen::Index n, int folds, int f) {
  const Eigen::Index base = n / folds, extra = n % folds;
  const Eigen::Index begin = f * base + std::min<Eigen::Index>(f, extra);
  return {begin, begin + base + (f < extra ? 1 : 0)};
}

inline CrossFitPredictions cross_fit(const std::vector<std::unique_ptr<QuantileModel>>& models, const MatX<double>& X_fit,
                                     const VecX<double>& y_fit, const MatX<double>& X_val, const MatX<double>& X_test,
                                     const VecX<double>& levels, int folds = 5) {
  detail::require(folds >= 2, "cross_fit: folds", folds, ">= 2");
  detail::require(X_fit.rows() >= 2 * folds, "cross_fit: rows of the fit part", X_fit.rows(), ">= 2·folds");
  CrossFitPredictions out;
  const Eigen::Index n = X_fit.rows(), m = levels.size();
  for (const auto& proto : models) {
    auto full = proto->clone();
    full->fit(X_fit, y_fit, levels);
    out.names.push_back(full->name());
    out.val.push_back(full->predict(X_val));
    out.test.push_back(full->predict(X_test));
    out.fitted.push_back(std::move(full));
    MatX<double> oof(n, m);
    for (int f = 0; f < folds; ++f) {
      const auto [b, e] = fold_range(n, folds, f);
      MatX<double> Xr(n - (e - b), X_fit.cols());
      VecX<double> yr(n - (e - b));
      Xr << X_fit.topRows(b), X_fit.bottomRows(n - e);
      yr << y_fit.head(b), y_fit.tail(n - e);
      auto m_f = proto->clone();
      m_f->fit(Xr, yr, levels);
      oof.middleRows(b, e - b) = m_f->predict(X_fit.middleRows(b, e - b));
    }
    out.oof.push_back(std::move(oof));
  }
  return out;
}

}  // namespace convlab::quantile
