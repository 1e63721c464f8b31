#pragma once
/// \file
/// Aggregation of p base quantile models (Fakoor, Kim, Mueller, Smola, Tibshirani, JMLR 2023).
/// Base predictions are p matrices Z_j (rows × m levels) on the same rows and levels.
///
/// | aggregator | weights | output at level k |
/// |---|---|---|
/// | average | 1/p | Σ_j Z_jk / p |
/// | median | — | median_j Z_jk |
/// | Global-Coarse | w ∈ Δ_p | Σ_j w_j Z_jk |
/// | Global-Medium | W_·k ∈ Δ_p per level | Σ_j W_jk Z_jk |
/// | Global-Fine | V_·k ∈ Δ_{p·m} per level | Σ_{j,l} V_(j,l)k Z_jl |
/// | Local-Coarse / Local-Medium | softmax(Θᵀ[1; x]) per row (and level) | as Coarse / Medium |
///
/// The global aggregators are convex (pinball of a linear map over a simplex): they are solved
/// EXACTLY as linear programs by bounded_lp (the LP dual with the p, or p·m, simplex rows as its
/// equality rows), not by softmax + Adam as in the reference code, so the nesting
/// Fine ≤ Medium ≤ Coarse ≤ Average of the training loss holds to solver precision. Medium and
/// Fine decouple into one LP per level. The local aggregators are non-convex and trained by Adam
/// on the mean pinball loss (optionally plus the crossing penalty), starting from Θ = 0 (the
/// average), keeping the parameters with the best validation loss after sorting.

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <convlab/core/errors.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/problems/concepts.hpp>
#include <convlab/problems/quantile_loss.hpp>
#include <convlab/solvers/bounded_lp.hpp>

#include "models.hpp"
#include "monotone.hpp"

namespace convlab::quantile {

using BasePredictions = std::vector<MatX<double>>;

inline void check_base_predictions(const BasePredictions& Z, Eigen::Index rows, Eigen::Index levels, const std::string& who) {
  detail::require(!Z.empty(), who + ": number of base models", Z.size(), ">= 1");
  for (std::size_t j = 0; j < Z.size(); ++j) {
    detail::require_size(Z[j].rows(), rows, who + ": rows of base model " + std::to_string(j));
    detail::require_size(Z[j].cols(), levels, who + ": levels of base model " + std::to_string(j));
    if (!Z[j].allFinite()) throw InvalidArgument(who + ": base model " + std::to_string(j) + " has a non-finite prediction");
  }
}

/// Mean over rows and levels of ρ_τ(y − Q) (the training objective of every aggregator).
inline double mean_pinball(const MatX<double>& Q, const VecX<double>& y, const VecX<double>& levels) {
  return problems::pinball_per_level(Q, y, levels).mean();
}

inline MatX<double> average_aggregate(const BasePredictions& Z) {
  MatX<double> out = Z.at(0);
  for (std::size_t j = 1; j < Z.size(); ++j) out += Z[j];
  return out / static_cast<double>(Z.size());
}

inline MatX<double> median_aggregate(const BasePredictions& Z) {
  MatX<double> out(Z.at(0).rows(), Z.at(0).cols());
  std::vector<double> v(Z.size());
  for (Eigen::Index i = 0; i < out.rows(); ++i)
    for (Eigen::Index k = 0; k < out.cols(); ++k) {
      for (std::size_t j = 0; j < Z.size(); ++j) v[j] = Z[j](i, k);
      std::sort(v.begin(), v.end());
      const std::size_t h = v.size() / 2;
      out(i, k) = v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
    }
  return out;
}

/// The interior-point LP's Report (its duality gap, status and iterations; docs/solvers.md) and
/// the weights.
struct SimplexQuantileFit : optim::Report {
  VecX<double> w;        ///< in the simplex
  double objective = 0;  ///< Σᵢ ρ_{τᵢ}(yᵢ − Fᵢw)
};

/// min_{w ∈ Δ_d} Σᵢ ρ_{τᵢ}(yᵢ − Fᵢᵀw) (one level τᵢ per row) as an LP: the dual
/// min −yᵀβ + t s.t. Fᵀβ + s − t·1 = Fᵀ(1 − τ), β ∈ [0, 1]ⁿ, s ≥ 0, t free; w = −(multipliers).
inline SimplexQuantileFit simplex_quantile_fit(const MatX<double>& F, const VecX<double>& y, const VecX<double>& tau,
                                               const solvers::BoundedLpOptions& lp = {}) {
  const Eigen::Index n = F.rows(), d = F.cols();
  detail::require_size(y.size(), n, "simplex_quantile_fit: y (one per row)");
  detail::require_size(tau.size(), n, "simplex_quantile_fit: levels (one per row)");
  MatX<double> A(d, n + d + 1);
  A.leftCols(n) = F.transpose();
  A.middleCols(n, d).setIdentity();
  A.col(n + d).setConstant(-1);
  const VecX<double> b = F.transpose() * (VecX<double>::Ones(n) - tau);
  VecX<double> c = VecX<double>::Zero(n + d + 1), u(n + d + 1);
  c.head(n) = -y;
  c[n + d] = 1;
  u.head(n).setOnes();
  u.tail(d + 1).setConstant(std::numeric_limits<double>::infinity());
  const auto sol = solvers::bounded_lp(A, b, c, u, {n + d}, lp);
  SimplexQuantileFit fit;
  static_cast<optim::Report&>(fit) = sol;
  fit.w = (-sol.y).cwiseMax(0.0);
  if (!fit.w.allFinite() || !(fit.w.sum() > 0))
    throw InvalidArgument("simplex_quantile_fit: the interior-point LP failed (relative gap " + std::to_string(sol.certificate.value) + " after " +
                          std::to_string(sol.iterations) + " iterations)");
  fit.w /= fit.w.sum();  // remove the last 1e-10 of infeasibility
  const VecX<double> r = y - F * fit.w;
  for (Eigen::Index i = 0; i < n; ++i) fit.objective += problems::pinball(r[i], tau[i]);
  return fit;
}

/// Global-Coarse, -Medium or -Fine, fitted exactly.
class GlobalAggregator {
 public:
  enum class Kind { Coarse, Medium, Fine };
  explicit GlobalAggregator(Kind kind) : kind_(kind) {}
  std::string name() const { return kind_ == Kind::Coarse ? "global_coarse" : kind_ == Kind::Medium ? "global_medium" : "global_fine"; }

  void fit(const BasePredictions& Z, const VecX<double>& y, const VecX<double>& levels) {
    problems::check_levels(levels, name());
    check_base_predictions(Z, y.size(), levels.size(), name());
    levels_ = levels;
    p_ = static_cast<Eigen::Index>(Z.size());
    const Eigen::Index n = y.size(), m = levels.size();
    max_lp_gap_ = 0;
    if (kind_ == Kind::Coarse) {  // rows (i, k), features Z_·ik
      MatX<double> F(n * m, p_);
      VecX<double> yy(n * m), tt(n * m);
      for (Eigen::Index k = 0; k < m; ++k)
        for (Eigen::Index i = 0; i < n; ++i) {
          for (Eigen::Index j = 0; j < p_; ++j) F(k * n + i, j) = Z[static_cast<std::size_t>(j)](i, k);
          yy[k * n + i] = y[i];
          tt[k * n + i] = levels[k];
        }
      const auto f = simplex_quantile_fit(F, yy, tt);
      weights_ = f.w;
      max_lp_gap_ = f.certificate.value;
    } else {
      const Eigen::Index d = kind_ == Kind::Medium ? p_ : p_ * m;
      weights_.resize(d, m);
      for (Eigen::Index k = 0; k < m; ++k) {
        const MatX<double> F = features(Z, k);
        const auto f = simplex_quantile_fit(F, y, VecX<double>::Constant(n, levels[k]));
        weights_.col(k) = f.w;
        max_lp_gap_ = std::max(max_lp_gap_, f.certificate.value);
      }
    }
  }

  MatX<double> predict(const BasePredictions& Z) const {
    detail::require(weights_.size() > 0, name() + ": fitted", 0, "fit() before predict()");
    check_base_predictions(Z, Z.at(0).rows(), levels_.size(), name());
    detail::require_size(static_cast<Eigen::Index>(Z.size()), p_, name() + ": number of base models (as at fit)");
    const Eigen::Index n = Z[0].rows(), m = levels_.size();
    MatX<double> out = MatX<double>::Zero(n, m);
    if (kind_ == Kind::Coarse) {
      for (Eigen::Index j = 0; j < p_; ++j) out += weights_(j, 0) * Z[static_cast<std::size_t>(j)];
      return out;
    }
    for (Eigen::Index k = 0; k < m; ++k) out.col(k) = features(Z, k) * weights_.col(k);
    return out;
  }

  /// Coarse: p × 1; Medium: p × m; Fine: (p·m) × m, row j·m + l for model j at level l.
  const MatX<double>& weights() const { return weights_; }
  double max_lp_gap() const { return max_lp_gap_; }

 private:
  // Features of level k: Medium Z_·k (n × p); Fine all Z_jl (n × p·m).
  MatX<double> features(const BasePredictions& Z, Eigen::Index k) const {
    const Eigen::Index n = Z[0].rows(), m = levels_.size();
    if (kind_ == Kind::Medium) {
      MatX<double> F(n, p_);
      for (Eigen::Index j = 0; j < p_; ++j) F.col(j) = Z[static_cast<std::size_t>(j)].col(k);
      return F;
    }
    MatX<double> F(n, p_ * m);
    for (Eigen::Index j = 0; j < p_; ++j) F.middleCols(j * m, m) = Z[static_cast<std::size_t>(j)];
    return F;
  }
  Kind kind_;
  VecX<double> levels_;
  Eigen::Index p_ = 0;
  MatX<double> weights_;
  double max_lp_gap_ = 0;
};

struct LocalAggregatorOptions {
  bool per_level = false;        ///< false: Local-Coarse (one weight vector per row); true: Local-Medium
  int steps = 1500;              ///< Adam steps (full batch), >= 1
  double lr = 0.05;              ///< > 0
  int eval_every = 25;           ///< validation loss (after sorting) every this many steps, >= 1
  double crossing_weight = 0;    ///< λ of the crossing penalty, >= 0
  double crossing_margin = 0;    ///< its margin d, >= 0
  void validate() const {
    detail::require(steps >= 1, "LocalAggregatorOptions::steps", steps, ">= 1");
    detail::require(lr > 0, "LocalAggregatorOptions::lr", lr, "> 0");
    detail::require(eval_every >= 1, "LocalAggregatorOptions::eval_every", eval_every, ">= 1");
    detail::require(crossing_weight >= 0, "LocalAggregatorOptions::crossing_weight", crossing_weight, ">= 0");
    detail::require(crossing_margin >= 0, "LocalAggregatorOptions::crossing_margin", crossing_margin, ">= 0");
  }
};

/// Local aggregation: weights softmax(Θᵀ[1; z(x)]) over the models, per row (and per level),
/// z the standardized features. Trained by Adam on the mean pinball loss (+ crossing penalty)
/// from Θ = 0 (the average); the parameters with the best validation loss are kept.
class LocalAggregator {
 public:
  explicit LocalAggregator(const LocalAggregatorOptions& o = {}) : o_(o) { o_.validate(); }
  std::string name() const { return o_.per_level ? "local_medium" : "local_coarse"; }

  void fit(const MatX<double>& X, const BasePredictions& Z, const VecX<double>& y, const VecX<double>& levels,
           const MatX<double>& X_val, const BasePredictions& Z_val, const VecX<double>& y_val) {
    problems::check_levels(levels, name());
    check_base_predictions(Z, y.size(), levels.size(), name());
    check_base_predictions(Z_val, y_val.size(), levels.size(), name() + " (validation)");
    detail::require_size(X.rows(), y.size(), name() + ": rows of X");
    detail::require_size(X_val.cols(), X.cols(), name() + ": columns of the validation X");
    levels_ = levels;
    p_ = static_cast<Eigen::Index>(Z.size());
    scale_.fit(X);
    const MatX<double> G = design(X), G_val = design(X_val);
    const Eigen::Index n = y.size(), m = levels.size(), groups = o_.per_level ? m : 1;
    theta_ = VecX<double>::Zero(G.cols() * p_ * groups);
    optim::AdamW<double> adam({.weight_decay = 0.0});
    auto state = adam.init(theta_);
    VecX<double> grad(theta_.size()), best = theta_;
    best_val_ = mean_pinball(monotonize(combine(G_val, Z_val), Monotonize::Sort), y_val, levels);
    best_step_ = 0;
    MatX<double> dQ(n, m), P;
    for (int step = 1; step <= o_.steps; ++step) {
      std::vector<MatX<double>> W;  // per group: n × p softmax weights
      const MatX<double> Q = combine(G, Z, &W);
      // d(mean pinball)/dQ, plus the crossing penalty's subgradient.
      for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index k = 0; k < m; ++k) dQ(i, k) = problems::pinball_subgradient(y[i], Q(i, k), levels[k]) / static_cast<double>(n * m);
      if (o_.crossing_weight > 0) {
        problems::crossing_penalty(Q, o_.crossing_margin, &P);
        dQ += o_.crossing_weight * P;
      }
      grad.setZero();
      for (Eigen::Index g = 0; g < groups; ++g) {
        // dL/dw_ij = Σ_{k in group} dQ_ik Z_jik; softmax backward: dL/dl_ij = w_ij (dL/dw_ij − Σ_j' w_ij' dL/dw_ij').
        MatX<double> dW = MatX<double>::Zero(n, p_);
        for (Eigen::Index j = 0; j < p_; ++j) {
          const auto& Zj = Z[static_cast<std::size_t>(j)];
          if (o_.per_level) dW.col(j) = dQ.col(g).cwiseProduct(Zj.col(g));
          else dW.col(j) = dQ.cwiseProduct(Zj).rowwise().sum();
        }
        const VecX<double> mean = (W[static_cast<std::size_t>(g)].cwiseProduct(dW)).rowwise().sum();
        const MatX<double> dL = W[static_cast<std::size_t>(g)].cwiseProduct(dW.colwise() - mean);
        Eigen::Map<MatX<double>>(grad.data() + g * G.cols() * p_, G.cols(), p_) = G.transpose() * dL;
      }
      adam.step(theta_, grad, state, o_.lr);
      if (step % o_.eval_every == 0 || step == o_.steps) {
        const double v = mean_pinball(monotonize(combine(G_val, Z_val), Monotonize::Sort), y_val, levels);
        if (v < best_val_) best_val_ = v, best = theta_, best_step_ = step;
      }
    }
    theta_ = best;
  }

  MatX<double> predict(const MatX<double>& X, const BasePredictions& Z) const {
    detail::require(theta_.size() > 0, name() + ": fitted", 0, "fit() before predict()");
    check_base_predictions(Z, X.rows(), levels_.size(), name());
    return combine(design(X), Z);
  }
  double best_validation_loss() const { return best_val_; }
  int best_step() const { return best_step_; }  ///< 0: the average (Θ = 0) was best

 private:
  MatX<double> design(const MatX<double>& X) const { return detail_models::with_intercept(scale_.apply(X)); }
  // Q = Σ_j softmax weights ∘ Z_j; optionally returns the weights (one n × p matrix per group).
  MatX<double> combine(const MatX<double>& G, const BasePredictions& Z, std::vector<MatX<double>>* weights = nullptr) const {
    const Eigen::Index n = G.rows(), m = levels_.size(), groups = o_.per_level ? m : 1;
    MatX<double> Q = MatX<double>::Zero(n, m);
    if (weights) weights->clear();
    for (Eigen::Index g = 0; g < groups; ++g) {
      const Eigen::Map<const MatX<double>> T(theta_.data() + g * G.cols() * p_, G.cols(), p_);
      MatX<double> L = G * T;
      L.colwise() -= L.rowwise().maxCoeff();
      MatX<double> W = L.array().exp().matrix();
      W.array().colwise() /= W.rowwise().sum().array();
      for (Eigen::Index j = 0; j < p_; ++j) {
        const auto& Zj = Z[static_cast<std::size_t>(j)];
        if (o_.per_level) Q.col(g) += W.col(j).cwiseProduct(Zj.col(g));
        else Q += W.col(j).asDiagonal() * Zj;
      }
      if (weights) weights->push_back(std::move(W));
    }
    return Q;
  }
  LocalAggregatorOptions o_;
  VecX<double> levels_, theta_;
  Eigen::Index p_ = 0;
  detail_models::Standardizer scale_;
  double best_val_ = 0;
  int best_step_ = 0;
};

}  // namespace convlab::quantile
