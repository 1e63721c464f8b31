#pragma once
/// \file
/// PRESTO (Faletto & Bien, ICML 2023): the non-parallel cumulative-logit model shrunk toward
/// proportional odds by an L1 penalty on the first weight vector and on adjacent differences,
///
///     min_{α, ψ}  −(1/n)Σ log P(yᵢ | xᵢ) + λ·Σ_j ( [penalize_first]·|ψ_{1j}| + Σ_{k≥2} |ψ_{kj}| ),
///
/// on standardized features (population SD; zero-SD columns keep SD 1), intercepts unpenalized,
/// solved by proximal Newton: the exact Hessian of the mean NLL (problems/ordinal.hpp), cyclic
/// coordinate descent on each model, and a backtracking line search that treats crossing
/// cumulative curves on any training row as +∞, so every iterate is feasible. Stops on the KKT
/// residual (max over coordinates; mean-NLL scaling, standardized scale). λ = +∞ holds every
/// penalized coordinate at 0: with penalize_first = false that is the proportional-odds MLE,
/// with penalize_first = true the intercept-only model.
///
///     auto fit  = solvers::presto_fit(X, y, K, lambda);              // one λ
///     auto path = solvers::presto_path(X, y, K, {.n_lambdas = 50});  // λ_max … ratio·λ_max
///     auto cv   = solvers::presto_cv(X, y, K, {.folds = 5});         // λ by the Brier score

#include <Eigen/Cholesky>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/random.hpp>
#include <convlab/problems/ordinal.hpp>
#include <convlab/solvers/report.hpp>

namespace convlab::solvers {

struct PrestoOptions {
  bool penalize_first = true;  ///< penalize ψ_1 = β_1 too (the reference code's final version)
  bool standardize = true;     ///< fit on centred, unit-SD columns; results in original units
  double tolerance = 1e-8;     ///< KKT residual, > 0
  int max_newton = 100;        ///< >= 1
  int max_sweeps = 10000;      ///< coordinate sweeps per Newton model, >= 1
  void validate() const {
    detail::require(tolerance > 0, "PrestoOptions::tolerance", tolerance, "> 0");
    detail::require(max_newton >= 1, "PrestoOptions::max_newton", max_newton, ">= 1");
    detail::require(max_sweeps >= 1, "PrestoOptions::max_sweeps", max_sweeps, ">= 1");
  }
};

/// The Report (certificate: the KKT residual; iterations: Newton steps; status KktResidual when
/// it meets the tolerance, NoSolution on separation, MaxIterations otherwise) and the model.
struct PrestoFit : Report {
  double lambda = 0;
  VecX<double> theta;     ///< (α, ψ_1, …, ψ_{K−1}) on the standardized scale (what λ acts on)
  VecX<double> alpha;     ///< intercepts, original units
  MatX<double> beta;      ///< p × (K−1) weights, original units
  double objective = 0;   ///< mean NLL + penalty (standardized scale)
  /// The maximum-likelihood fit does not exist: with unpenalized weights (λ = 0, or ψ_1 with
  /// penalize_first = false, as proportional odds is) a direction that orders the training rows'
  /// classes perfectly (or all but ties) lets the weights grow without end, and the KKT test
  /// passes only because the gradient of the separated rows vanishes like e^{−margin}. Detected
  /// in two steps: some rows are fitted with probability 1 to within 1e-6 (`saturated_rows`),
  /// and solving on with a 10⁴ times tighter tolerance moves θ by more than 1 (standardized
  /// scale; a finite optimum moves by about the tolerance, a diverging one by ≈ ln 10⁴ / margin
  /// slope). The coefficients are then arbitrary large numbers: penalize them (λ > 0 with
  /// penalize_first) or remove the separating feature.
  bool separation = false;
  Eigen::Index saturated_rows = 0;
  /// Stopped on the edge of the valid region: the penalized optimum would make the cumulative
  /// curves cross on some training row (a class probability < 0), so the line search cannot
  /// move further and the objective stalls there, as with the reference code's step halving.
  /// The KKT residual is then not zero (the feasibility constraints are active).
  bool on_boundary = false;
  double min_margin = 0;     ///< min over training rows and k of η_k − η_{k−1} (0 on the boundary)
  Eigen::Index nonzero_differences = 0;  ///< nonzero entries of ψ_2 … ψ_{K−1}
  /// Class probabilities (rows × K) at new rows, in original units (may be invalid: see
  /// problems::CumulativeLogit::valid).
  MatX<double> predict(const MatX<double>& X) const { return problems::cumulative_logit_probabilities(X, alpha, beta); }
};

namespace detail_presto {

struct Standardization {
  VecX<double> mean, sd;
};

// Column means and population SDs, weighted when `w` is given (so that integer weights act as
// repeated rows and zero weights as absent ones, the penalty included).
inline Standardization standardization(const MatX<double>& X, bool on, const VecX<double>& w = VecX<double>()) {
  Standardization s{VecX<double>::Zero(X.cols()), VecX<double>::Ones(X.cols())};
  if (!on) return s;
  if (w.size() == 0) {
    s.mean = X.colwise().mean().transpose();
  } else {
    s.mean = (X.transpose() * w) / w.sum();
  }
  for (Eigen::Index j = 0; j < X.cols(); ++j) {
    const auto sq = (X.col(j).array() - s.mean[j]).square();
    const double v = w.size() == 0 ? sq.mean() : (sq * w.array()).sum() / w.sum();
    s.sd[j] = v > 0 ? std::sqrt(v) : 1.0;
  }
  return s;
}

inline MatX<double> apply(const MatX<double>& X, const Standardization& s) {
  return ((X.rowwise() - s.mean.transpose()).array().rowwise() / s.sd.transpose().array()).matrix();
}

/// Penalty factor per coordinate of θ: 0 for intercepts (and ψ_1 unless penalize_first).
inline VecX<double> penalty_factors(const problems::CumulativeLogit& m, bool penalize_first) {
  VecX<double> pf = VecX<double>::Ones(m.dim());
  pf.head(m.categories() - 1).setZero();
  if (!penalize_first) pf.segment(m.psi_offset(1), m.features()).setZero();
  return pf;
}

inline double penalty(const VecX<double>& theta, const VecX<double>& pf, double lambda) {
  if (!std::isfinite(lambda)) return 0;  // penalized coordinates are held at 0
  double s = 0;
  for (Eigen::Index j = 0; j < theta.size(); ++j) s += pf[j] * std::abs(theta[j]);
  return lambda * s;
}

/// KKT residual of mean NLL + λ·Σ pf|θ| at θ with gradient g (held coordinates ignored).
inline double kkt_residual(const VecX<double>& theta, const VecX<double>& g, const VecX<double>& pf, double lambda) {
  double r = 0;
  for (Eigen::Index j = 0; j < theta.size(); ++j) {
    if (pf[j] == 0) r = std::max(r, std::abs(g[j]));
    else if (!std::isfinite(lambda)) continue;
    else if (theta[j] == 0) r = std::max(r, std::abs(g[j]) - lambda * pf[j]);
    else r = std::max(r, std::abs(g[j] + lambda * pf[j] * (theta[j] > 0 ? 1.0 : -1.0)));
  }
  return r;
}

/// Proximal Newton on the standardized model from θ (feasible) in place.
inline PrestoFit solve(const problems::CumulativeLogit& m, double lambda, const PrestoOptions& o, VecX<double> theta,
                       bool check_separation = true) {
  const auto start = std::chrono::steady_clock::now();
  const Eigen::Index d = m.dim();
  const VecX<double> pf = penalty_factors(m, o.penalize_first);
  const bool held = !std::isfinite(lambda);
  if (held)
    for (Eigen::Index j = 0; j < d; ++j)
      if (pf[j] > 0) theta[j] = 0;
  VecX<double> g(d), step(d), Hd(d), trial(d);
  MatX<double> H(d, d);
  PrestoFit fit;
  fit.lambda = lambda;
  int stalled = 0;
  double f = m.value_and_gradient(theta, g);
  if (!std::isfinite(f)) throw InvalidArgument("presto: the starting point has crossing cumulative curves");
  for (int it = 0;; ++it) {
    fit.certificate = kkt_residual_certificate(kkt_residual(theta, g, pf, lambda), o.tolerance);
    fit.iterations = it;
    if (fit.certificate.holds() || it >= o.max_newton) break;
    m.hessian(theta, H);
    // Coordinate descent on gᵀs + ½sᵀHs + λΣpf|θ + s| (held coordinates stay 0).
    step.setZero();
    Hd.setZero();
    const double ridge = 1e-12 * (1 + H.diagonal().cwiseAbs().maxCoeff());
    for (int sweep = 0; sweep < o.max_sweeps; ++sweep) {
      double largest = 0;
      for (Eigen::Index j = 0; j < d; ++j) {
        if (held && pf[j] > 0) continue;
        const double a = H(j, j) + ridge;
        const double w = theta[j] + step[j];
        const double v = a * w - (g[j] + Hd[j]);
        const double t = held || pf[j] == 0 ? 0.0 : lambda * pf[j];
        const double next = v > t ? (v - t) / a : v < -t ? (v + t) / a : 0.0;
        const double delta = next - w;
        if (delta != 0) {
          step[j] += delta;
          Hd += delta * H.col(j);
          largest = std::max(largest, std::abs(delta) * std::sqrt(a));
        }
      }
      if (largest <= 1e-3 * o.tolerance) break;
    }
    // Backtracking on the penalized objective; infeasible points are +∞.
    const double F = f + penalty(theta, pf, lambda);
    const double decrease = g.dot(step) + penalty(VecX<double>(theta + step), pf, lambda) - penalty(theta, pf, lambda);
    if (!(decrease < 0)) break;  // no descent direction left at this precision
    double t = 1, f_trial = f;
    bool accepted = false;
    for (int ls = 0; ls < 60; ++ls, t /= 2) {
      trial = theta + t * step;
      f_trial = m.value(trial);
      if (std::isfinite(f_trial) && f_trial + penalty(trial, pf, lambda) <= F + 1e-4 * t * decrease) {
        accepted = true;
        break;
      }
    }
    if (!accepted) break;
    theta = trial;
    f = m.value_and_gradient(theta, g);
    // Stalled (the step is cut short by feasibility and F no longer moves): stop.
    const double F_new = f + penalty(theta, pf, lambda);
    stalled = F - F_new <= 1e-13 * (1 + std::abs(F)) ? stalled + 1 : 0;
    if (stalled >= 3) {
      fit.certificate = kkt_residual_certificate(kkt_residual(theta, g, pf, lambda), o.tolerance);
      fit.iterations = it + 1;
      break;
    }
  }
  fit.theta = theta;
  fit.objective = f + penalty(theta, pf, lambda);
  fit.status = certified_status(fit.certificate);
  const bool unpenalized_weights = lambda == 0 || !o.penalize_first;
  if (check_separation && unpenalized_weights) {
    const MatX<double> P = m.probabilities(m.X(), theta);
    for (Eigen::Index i = 0; i < m.rows(); ++i) fit.saturated_rows += P(i, m.labels()[i] - 1) > 1 - 1e-6;
    if (fit.saturated_rows > 0) {
      PrestoOptions tight = o;
      tight.tolerance = o.tolerance * 1e-4;
      tight.max_newton = o.max_newton + 50;
      const PrestoFit further = solve(m, lambda, tight, theta, false);
      fit.separation = (further.theta - theta).cwiseAbs().maxCoeff() > 1.0;
    }
    if (fit.separation) {
      fit.status = Status::NoSolution;
      fit.message = "separation: the maximum-likelihood fit does not exist (PrestoFit::separation)";
    }
  }
  const MatX<double> eta = m.linear_predictors(m.X(), theta);
  fit.min_margin = std::numeric_limits<double>::infinity();
  for (int k = 1; k + 1 < m.categories(); ++k) fit.min_margin = std::min(fit.min_margin, (eta.col(k) - eta.col(k - 1)).minCoeff());
  fit.on_boundary = fit.certificate.value > o.tolerance && fit.min_margin <= 1e-6;
  if (fit.on_boundary && fit.message.empty())
    fit.message = "stopped on the boundary of the valid region (PrestoFit::on_boundary)";
  for (int k = 2; k < m.categories(); ++k)
    fit.nonzero_differences += (theta.segment(m.psi_offset(k), m.features()).array() != 0).count();
  fit.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return fit;
}

/// Original-unit α and β from the standardized θ: β_k = β̃_k / sd, α_k = α̃_k − β̃_kᵀ(mean/sd)
/// (all of β̃_k = Σ_{l≤k} ψ̃_l — the reference code's defect D1 used ψ̃_k only).
inline void back_transform(const problems::CumulativeLogit& m, const Standardization& s, PrestoFit& fit) {
  const MatX<double> Bs = m.beta(fit.theta);
  fit.beta = Bs.array().colwise() / s.sd.array();
  fit.alpha = fit.theta.head(m.categories() - 1);
  const VecX<double> shift = s.mean.cwiseQuotient(s.sd);
  for (int k = 1; k < m.categories(); ++k) fit.alpha[k - 1] -= Bs.col(k - 1).dot(shift);
}

}  // namespace detail_presto

/// The largest useful λ: at the λ = +∞ fit (penalized coordinates at 0), max |∂f/∂θ_j| over the
/// penalized coordinates; for every λ ≥ λ_max that fit is the solution.
inline double presto_lambda_max(const problems::CumulativeLogit& standardized_model, const VecX<double>& held_fit_theta, bool penalize_first) {
  VecX<double> g(standardized_model.dim());
  standardized_model.value_and_gradient(held_fit_theta, g);
  const VecX<double> pf = detail_presto::penalty_factors(standardized_model, penalize_first);
  double top = 0;
  for (Eigen::Index j = 0; j < g.size(); ++j)
    if (pf[j] > 0) top = std::max(top, std::abs(g[j]) / pf[j]);
  return top;
}

/// PRESTO at one λ (λ = +∞ allowed; λ = 0 is the non-parallel MLE). y: labels 1 … K.
/// `sample_weight` (optional): see problems::CumulativeLogit; the standardization is weighted too.
inline PrestoFit presto_fit(const MatX<double>& X, const VecX<double>& y, int K, double lambda, const PrestoOptions& o = {},
                            const VecX<double>& sample_weight = VecX<double>()) {
  o.validate();
  detail::require(lambda >= 0 && !std::isnan(lambda), "presto_fit: lambda", lambda, ">= 0 (+inf allowed)");
  if (sample_weight.size()) detail::require_size(sample_weight.size(), X.rows(), "presto_fit: sample_weight (one per row of X)");
  const auto s = detail_presto::standardization(X, o.standardize, sample_weight);
  const problems::CumulativeLogit m(detail_presto::apply(X, s), y, K, sample_weight);
  // From the held (λ = ∞) fit, which is feasible and the path's first point.
  PrestoFit start = detail_presto::solve(m, std::numeric_limits<double>::infinity(), o, m.null_start());
  PrestoFit fit = std::isinf(lambda) ? start : detail_presto::solve(m, lambda, o, start.theta);
  detail_presto::back_transform(m, s, fit);
  return fit;
}

struct PrestoPathOptions {
  int n_lambdas = 50;        ///< >= 1
  double ratio = 1e-2;       ///< smallest λ / λ_max, in (0, 1)
  PrestoOptions presto;
  void validate() const {
    detail::require(n_lambdas >= 1, "PrestoPathOptions::n_lambdas", n_lambdas, ">= 1");
    detail::require(ratio > 0 && ratio < 1, "PrestoPathOptions::ratio", ratio, "0 < ratio < 1");
    presto.validate();
  }
};

/// Warm-started path over `lambdas` (decreasing), or over the geometric grid λ_max … ratio·λ_max
/// when `lambdas` is empty; `sample_weight` as in presto_fit.
inline std::vector<PrestoFit> presto_path(const MatX<double>& X, const VecX<double>& y, int K, const PrestoPathOptions& o = {},
                                          std::vector<double> lambdas = {}, const VecX<double>& sample_weight = VecX<double>()) {
  o.validate();
  if (sample_weight.size()) detail::require_size(sample_weight.size(), X.rows(), "presto_path: sample_weight (one per row of X)");
  const auto s = detail_presto::standardization(X, o.presto.standardize, sample_weight);
  const problems::CumulativeLogit m(detail_presto::apply(X, s), y, K, sample_weight);
  const PrestoFit held = detail_presto::solve(m, std::numeric_limits<double>::infinity(), o.presto, m.null_start());
  if (lambdas.empty()) {
    const double lmax = presto_lambda_max(m, held.theta, o.presto.penalize_first);
    for (int k = 0; k < o.n_lambdas; ++k)
      lambdas.push_back(o.n_lambdas == 1 ? lmax : lmax * std::pow(o.ratio, static_cast<double>(k) / (o.n_lambdas - 1)));
  }
  std::vector<PrestoFit> path;
  VecX<double> warm = held.theta;
  for (double lambda : lambdas) {
    PrestoFit fit = detail_presto::solve(m, lambda, o.presto, warm);
    warm = fit.theta;
    detail_presto::back_transform(m, s, fit);
    path.push_back(std::move(fit));
  }
  return path;
}

/// Multi-class Brier score (1/n)Σᵢ Σ_k (1{yᵢ = k} − p_ik)², or with row weights sᵢ ≥ 0 (not
/// all 0) the weighted mean (1/Σs)Σᵢ sᵢ Σ_k (…)², which integer weights make that of repeated rows.
inline double brier_score(const MatX<double>& P, const VecX<double>& y, const VecX<double>& sample_weight = VecX<double>()) {
  detail::require_size(P.rows(), y.size(), "brier_score: rows of P (one per label)");
  const bool weighted = sample_weight.size() > 0;
  if (weighted) {
    detail::require_size(sample_weight.size(), y.size(), "brier_score: sample_weight (one per label)");
    detail::require((sample_weight.array() >= 0).all() && sample_weight.allFinite() && sample_weight.sum() > 0, "brier_score: sample_weight",
                    sample_weight.sum(), "finite weights >= 0, not all 0");
  }
  double s = 0;
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    double row = 0;
    for (Eigen::Index k = 0; k < P.cols(); ++k) {
      const double e = (static_cast<int>(y[i]) == k + 1 ? 1.0 : 0.0) - P(i, k);
      row += e * e;
    }
    s += weighted ? sample_weight[i] * row : row;
  }
  return s / (weighted ? sample_weight.sum() : static_cast<double>(std::max<Eigen::Index>(P.rows(), 1)));
}

/// The CV rule: the LARGEST λ among those with the minimal mean score (exact ties → larger λ).
inline std::size_t choose_lambda(const std::vector<double>& lambdas, const std::vector<double>& mean_score) {
  detail::require(!lambdas.empty() && lambdas.size() == mean_score.size(), "choose_lambda: sizes", lambdas.size(), "equal and >= 1");
  std::size_t best = 0;
  for (std::size_t k = 1; k < lambdas.size(); ++k)
    if (mean_score[k] < mean_score[best] || (mean_score[k] == mean_score[best] && lambdas[k] > lambdas[best])) best = k;
  return best;
}

struct PrestoCvOptions {
  int folds = 5;                 ///< >= 2
  unsigned long long seed = 1;   ///< the random permutation cut into folds
  PrestoPathOptions path;
  void validate() const {
    detail::require(folds >= 2, "PrestoCvOptions::folds", folds, ">= 2");
    path.validate();
  }
};

struct PrestoCv {
  std::vector<double> lambdas, mean_brier;
  std::size_t chosen = 0;
  PrestoFit fit;  ///< all rows at the chosen λ
};

/// K-fold CV over the full-data λ path (standardization redone in every fold), scored by the
/// out-of-fold Brier score with correctly back-transformed predictions (the reference code's
/// defect D2 is not reproduced); λ chosen by `choose_lambda`, then refitted on all rows.
///
/// With `sample_weight` (grouped data: integer counts ≥ 0) the folds split observations, not
/// rows: the N = Σ counts observations (row i's in a run of cᵢ) are permuted and cut as N rows
/// would be, and row i carries its observations in the test fold as its test weight and the rest
/// as its training weight. So this is the CV of the data with each row repeated cᵢ times, folds
/// and all. Non-integer weights are refused (there is no observation to assign to a fold).
inline PrestoCv presto_cv(const MatX<double>& X, const VecX<double>& y, int K, const PrestoCvOptions& o = {},
                          const VecX<double>& sample_weight = VecX<double>()) {
  o.validate();
  const Eigen::Index n = X.rows();
  detail::require_size(y.size(), n, "presto_cv: y (one label per row of X)");
  // The observations, row i's cᵢ of them in a run (cᵢ = 1 without weights).
  const VecX<double> counts = sample_weight.size() ? sample_weight : VecX<double>::Ones(n);
  detail::require_size(counts.size(), n, "presto_cv: sample_weight (one per row of X)");
  for (Eigen::Index i = 0; i < n; ++i)
    if (!(counts[i] >= 0 && counts[i] <= 1e8 && counts[i] == std::floor(counts[i])))
      throw InvalidArgument("presto_cv: sample_weight of row " + std::to_string(i) + " is " + std::to_string(counts[i]) +
                            "; cross-validation splits observations into folds, so weights must be integer counts from 0 to 1e8");
  if (counts.sum() > 1e8) throw InvalidArgument("presto_cv: the counts add up to more than 1e8 observations");
  std::vector<Eigen::Index> owner;
  for (Eigen::Index i = 0; i < n; ++i) owner.insert(owner.end(), static_cast<std::size_t>(counts[i]), i);
  const auto N = static_cast<Eigen::Index>(owner.size());
  detail::require(N >= o.folds, "presto_cv: observations (rows, or the sum of the counts)", N, ">= folds");
  PrestoCv cv;
  for (const auto& f : presto_path(X, y, K, o.path, {}, sample_weight)) cv.lambdas.push_back(f.lambda);
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(N));
  std::iota(perm.begin(), perm.end(), Eigen::Index{0});
  Rng rng(o.seed);
  convlab::shuffle(perm.begin(), perm.end(), rng);
  std::vector<double> total(cv.lambdas.size(), 0.0);
  for (int f = 0; f < o.folds; ++f) {
    // Fold f's observations per row; the rest train. Rows of training weight 0 drop out of the fit.
    VecX<double> test = VecX<double>::Zero(n);
    for (Eigen::Index r = 0; r < N; ++r)
      if (r * o.folds / N == f) test[owner[static_cast<std::size_t>(perm[static_cast<std::size_t>(r)])]] += 1;
    const auto path = presto_path(X, y, K, o.path, cv.lambdas, VecX<double>(counts - test));
    std::vector<Eigen::Index> rows;
    for (Eigen::Index i = 0; i < n; ++i)
      if (test[i] > 0) rows.push_back(i);
    const MatX<double> Xte = X(rows, Eigen::all);
    const VecX<double> yte = y(rows), wte = test(rows);
    for (std::size_t k = 0; k < path.size(); ++k) total[k] += brier_score(path[k].predict(Xte), yte, wte);
  }
  for (double& t : total) t /= o.folds;
  cv.mean_brier = total;
  cv.chosen = choose_lambda(cv.lambdas, cv.mean_brier);
  cv.fit = presto_fit(X, y, K, cv.lambdas[cv.chosen], o.path.presto, sample_weight);
  return cv;
}

}  // namespace convlab::solvers
