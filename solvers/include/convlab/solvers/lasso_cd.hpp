#pragma once
/// \file
/// A practical lasso / elastic-net solver by coordinate descent, with what makes glmnet and
/// skglm/celer fast: residual updates, working sets grown from the dual, gap-safe screening,
/// Anderson extrapolation of the coordinate iterates, warm-started λ paths with the sequential
/// strong rule, and a duality-gap stopping test.
///
/// Objective (glmnet's and scikit-learn's ElasticNet scaling):
///     P(w) = 1/(2n)·‖y − Xw‖² + λ·(α‖w‖₁ + (1 − α)/2·‖w‖²),   0 < α ≤ 1, no intercept
/// (centre y and the columns of a dense X first to fit one). The dual is that of the lasso on the
/// augmented design [X; √(nλ(1−α))·I]; the stopping test is the relative duality gap
/// (P(w) − D(θ))/P(w) ≤ `tolerance`, evaluated on all features, so a returned solution is
/// certified by its own gap.
///
///     auto r = solvers::lasso_cd(X, y, lambda);                 // X dense or sparse
///     auto path = solvers::lasso_path(X, y, {.n_lambdas = 50}); // λ_max … ratio·λ_max

#include <Eigen/Cholesky>
#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <type_traits>
#include <vector>

#include <convlab/solvers/detail/design_columns.hpp>
#include <convlab/solvers/detail/gram_cache.hpp>
#include <convlab/solvers/detail/logistic_classes.hpp>
#include <convlab/solvers/detail/row_weights.hpp>
#include <convlab/solvers/lasso_options.hpp>
#include <convlab/solvers/report.hpp>
#include <convlab/problems/concepts.hpp>
#include <convlab/problems/detail/numerics.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::solvers {

/// What lasso_cd, lasso_cd_fit and logistic_l1 return: the Report (status DualityGap when the
/// certificate's (P − D)/P ≤ tolerance, with P(w) and D(θ) in the objective scaling above;
/// iterations: coordinate passes over the working set) and the model.
struct LassoResult : Report {
  VecX<double> w;
  double intercept = 0;          ///< b: lasso_cd_fit's, or logistic_l1's with LogisticL1Options::intercept (else 0)
  double lambda = 0;
  long long gram_epochs = 0;     ///< passes through the working set's Gram matrix (LassoOptions::gram)
  Eigen::Index working_set = 0;  ///< size of the last working set
  Eigen::Index screened = 0;     ///< features removed by gap-safe screening
  Eigen::Index pruned = 0;       ///< features set aside by the working sets' own gap-safe rule (summed over the sets)
  Eigen::Index nonzeros = 0;
  long long full_passes = 0;     ///< products x_jᵀr over every feature (the gap checks)
};

namespace detail {

/// Primal, dual and the dual point's correlations for the elastic net as an augmented lasso:
/// ½‖ỹ − X̃w‖² + λ'‖w‖₁ with λ' = nλα, c = nλ(1 − α), X̃ = [X; √c I], ỹ = [y; 0].
struct GapState {
  double primal = 0, dual = 0, scale = 1;  // objective values divided by n; θ = r̃/scale
  VecX<double> corr;                       // x̃_jᵀr̃ for the features asked for
};

}  // namespace detail

/// The solver behind lasso_cd and lasso_path, for repeated solves and certificates on one design.
/// X must outlive the solver: a `MatX<double>` or compressed `Eigen::SparseMatrix<double>` is read
/// in place (see detail::Columns), so a temporary design is refused at compile time.
template <class Design>
class LassoSolver {
 public:
  LassoSolver(Design&&, const VecX<double>&, LassoOptions = {}) = delete;
  LassoSolver(const Design& X, const VecX<double>& y, LassoOptions o = {})
      : cols_(X, checked_response(y, X.rows()), xty_), y_(y), r_(y), w_of_r_(VecX<double>::Zero(X.cols())), xtr_(xty_), xtr_fresh_(true), gram_(X.cols()), opt_(o) {
    opt_.validate();
    active_.resize(static_cast<std::size_t>(cols_.cols()));
    for (Eigen::Index j = 0; j < cols_.cols(); ++j)
      if (!std::isfinite(cols_.sq_norm(j))) throw InvalidArgument("lasso_cd: column " + std::to_string(j) + " of X is not finite");
  }

  Eigen::Index num_features() const { return cols_.cols(); }

  /// x_jᵀr for every feature, with the residual of the last solve (r = y before any): the path's
  /// strong rule. Free after a solve, whose last gap check computed them.
  const VecX<double>& residual_correlations() {
    if (!xtr_fresh_) refresh_correlations();
    return xtr_;
  }

  /// P(w), D(θ) and the relative gap of a given w at λ, with no iteration: a certificate for
  /// any solver's answer (the peer benchmarks use it).
  LassoResult certify(double lambda, const VecX<double>& w) {
    detail::require_size(w.size(), cols_.cols(), "lasso certify: w");
    const double nd = static_cast<double>(cols_.rows());
    l1_ = nd * lambda * opt_.alpha;
    c_ = nd * lambda * (1 - opt_.alpha);
    set_residual(w);
    std::fill(active_.begin(), active_.end(), char{1});
    const detail::GapState g = global_gap(w);
    LassoResult res;
    res.w = w;
    res.lambda = lambda;
    res.certificate = duality_gap(g.primal, g.dual, opt_.tolerance);
    res.status = certified_status(res.certificate);
    res.nonzeros = count_nonzeros(w);
    return res;
  }

  /// λ_max: the smallest λ with w = 0 optimal, ‖Xᵀy‖∞/(nα).
  double lambda_max() const {
    return (xty_.size() ? xty_.cwiseAbs().maxCoeff() : 0.0) / (static_cast<double>(cols_.rows()) * opt_.alpha);
  }

  /// Solves for one λ from `w0` (warm start; empty = 0). `hint` (optional) lists features to put
  /// in the first working set (the path passes the strong-rule survivors).
  LassoResult solve(double lambda, const VecX<double>& w0 = {}, const std::vector<Eigen::Index>* hint = nullptr) {
    const auto start = std::chrono::steady_clock::now();
    detail::require(lambda > 0 && std::isfinite(lambda), "lasso_cd: lambda", lambda, "0 < lambda < inf");
    const Eigen::Index n = cols_.rows(), p = cols_.cols();
    const double nd = static_cast<double>(n);
    l1_ = nd * lambda * opt_.alpha;
    c_ = nd * lambda * (1 - opt_.alpha);
    LassoResult res;
    res.lambda = lambda;
    res.w = w0.size() == p ? w0 : VecX<double>::Zero(p);
    set_residual(res.w);
    std::fill(active_.begin(), active_.end(), char{1});  // not screened
    const long long passes_before = passes_;

    // The first working set: the warm start's support twice over, the path's strong-rule
    // survivors, or from a cold start p/kColdWorkingSetShare features (at least 10).
    Eigen::Index ws_size = std::max<Eigen::Index>(10, 2 * count_nonzeros(res.w));
    if (hint) ws_size = std::max<Eigen::Index>(ws_size, static_cast<Eigen::Index>(hint->size()));
    else ws_size = std::max<Eigen::Index>(ws_size, p / kColdWorkingSetShare);
    ws_size = std::min(ws_size, p);
    std::vector<Eigen::Index> ws;
    while (true) {
      const detail::GapState g = global_gap(res.w);
      res.certificate = duality_gap(g.primal, g.dual, opt_.tolerance);
      if (res.certificate.holds() || res.iterations >= opt_.max_epochs) break;
      if (opt_.screening) res.screened += screen(g, res.w);
      // Working set: the support, the violators, then the features closest to their constraint.
      if (!opt_.working_sets) {
        ws.clear();
        for (Eigen::Index j = 0; j < p; ++j)
          if (active_[j]) ws.push_back(j);
      } else {
        ws = choose_working_set(g, res.w, ws_size, hint);
        hint = nullptr;
        ws_size = std::min<Eigen::Index>(p, 2 * ws_size);
      }
      res.working_set = static_cast<Eigen::Index>(ws.size());
      // celer's target, a fraction of the global gap, grows the working set in few passes over X.
      // A set that holds every violator of the dual constraint (the path's strong-rule survivors,
      // usually) is likely to hold the support, so it is solved to the end and the global check
      // after it passes: one pass over X saved.
      const double target = opt_.working_sets && !holds_every_violator(g, res.w, ws) ? 0.3 * (g.primal - g.dual) : 0.0;
      if (opt_.gram && gram_pays(ws, res.w) && gram_.gather(ws, cols_, gram_ws_)) solve_subproblem_gram(ws, res, target);
      else solve_subproblem(ws, res, target);
    }
    res.status = certified_status(res.certificate);
    res.nonzeros = count_nonzeros(res.w);
    res.full_passes = passes_ - passes_before;
    w_of_r_ = res.w;
    solved_before_ = true;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  }

 private:
  /// y, once its length and values are checked (before the constructor's pass reads it).
  static const VecX<double>& checked_response(const VecX<double>& y, Eigen::Index rows) {
    detail::require_size(y.size(), rows, "lasso_cd: y (one per row of X)");
    if (!y.allFinite()) throw InvalidArgument("lasso_cd: y contains NaN or Inf");
    return y;
  }

  static Eigen::Index count_nonzeros(const VecX<double>& w) { return (w.array() != 0).count(); }

  /// r = y − Xw, kept when r already is the residual of w (a warm start from the last solve:
  /// the path), so that the correlations of the last gap check stay valid; at w = 0 they are Xᵀy.
  void set_residual(const VecX<double>& w) {
    if (w_of_r_.size() == w.size() && w_of_r_ == w) return;
    w_of_r_ = w;
    r_ = y_;
    if (w.isZero(0)) {  // Xᵀy is kept from the constructor's pass
      xtr_ = xty_;
      xtr_fresh_ = true;
      return;
    }
    for (Eigen::Index j = 0; j < w.size(); ++j)
      if (w[j] != 0) cols_.axpy(j, -w[j], r_);
    xtr_fresh_ = false;
  }

  void refresh_correlations() {
    xtr_.resize(cols_.cols());
    for (Eigen::Index j = 0; j < cols_.cols(); ++j) xtr_[j] = cols_.dot(j, r_);
    xtr_fresh_ = true;
    ++passes_;
  }

  /// The gap over every feature (screened ones too: θ must be dual feasible on every feature for
  /// D(θ) to be a bound), from the cached correlations when r has not moved since they were taken.
  detail::GapState global_gap(const VecX<double>& w) {
    if (!xtr_fresh_) refresh_correlations();
    detail::GapState g;
    g.corr = xtr_ - c_ * w;
    return finish_gap(std::move(g), w);
  }

  /// The gap of the working-set problem: θ scaled to be feasible on the features `ws` only.
  detail::GapState gap(const VecX<double>& w, const std::vector<Eigen::Index>& ws) const {
    detail::GapState g;
    g.corr.resize(static_cast<Eigen::Index>(ws.size()));
    for (std::size_t k = 0; k < ws.size(); ++k) g.corr[static_cast<Eigen::Index>(k)] = cols_.dot(ws[k], r_) - c_ * w[ws[k]];
    return finish_gap(std::move(g), w);
  }

  /// Primal/dual values (÷ n) with the dual point θ = r̃/max(λ', ‖g.corr‖∞).
  detail::GapState finish_gap(detail::GapState g, const VecX<double>& w) const {
    const double nd = static_cast<double>(cols_.rows());
    const double top = g.corr.size() ? g.corr.cwiseAbs().maxCoeff() : 0.0;
    double w_sq = 0, w_l1 = 0;
    for (Eigen::Index j = 0; j < w.size(); ++j) w_sq += w[j] * w[j], w_l1 += std::abs(w[j]);
    const double r_sq = r_.squaredNorm();
    const double rt_sq = r_sq + c_ * w_sq;  // ‖r̃‖²
    g.primal = (0.5 * r_sq + l1_ * w_l1 + 0.5 * c_ * w_sq) / nd;
    g.scale = std::max(l1_, top);
    // D(θ) = ỹᵀθ·λ' − (λ'²/2)‖θ‖²·… written out: ½‖ỹ‖² − ½‖ỹ − λ'θ‖² with θ = r̃/scale.
    const double t = l1_ / g.scale;
    const double yr = y_.dot(r_);
    const double dual = 0.5 * y_.squaredNorm() - 0.5 * (y_.squaredNorm() - 2 * t * yr + t * t * rt_sq);
    g.dual = dual / nd;
    return g;
  }

  /// The radius of the gap-safe sphere around θ: √(2·n·gap)/λ'.
  double safe_radius(const detail::GapState& g) const {
    return std::sqrt(2 * std::max(0.0, (g.primal - g.dual) * static_cast<double>(cols_.rows()))) / l1_;
  }

  /// Gap-safe rule (Fercoq, Gramfort, Salmon 2015; celer): |x̃_jᵀθ| + ‖x̃_j‖·radius < 1 ⇒ w*_j = 0.
  /// A feature it removes is set to 0 (and r mended).
  bool drop_if_safe(Eigen::Index j, double corr, const detail::GapState& g, double radius, VecX<double>& w) {
    if (std::abs(corr) / g.scale + std::sqrt(cols_.sq_norm(j) + c_) * radius >= 1) return false;
    if (w[j] != 0) cols_.axpy(j, w[j], r_), w[j] = 0, xtr_fresh_ = false;
    return true;
  }

  /// The gap-safe rule on every feature, from the global gap: screened features leave the problem.
  Eigen::Index screen(const detail::GapState& g, VecX<double>& w) {
    const double radius = safe_radius(g);
    Eigen::Index dropped = 0;
    for (Eigen::Index j = 0; j < g.corr.size(); ++j)
      if (active_[j] && drop_if_safe(j, g.corr[j], g, radius, w)) active_[j] = 0, ++dropped;
    return dropped;
  }

  /// A cold start's first working set holds 1/64 of the features. Each time a set proves too
  /// small, a pass over X follows (the global gap check), while an epoch over p/64 features costs
  /// 1/64 of one, so a set too large by far costs less than one growth step too many: one λ on the
  /// 1e5 × 1e5 sparse problem took 6 passes from 10 features (doubling to 160) and 1 from 1562.
  static constexpr Eigen::Index kColdWorkingSetShare = 64;

  /// The support, then the hinted features, then the others by their distance to the dual
  /// constraint at θ = r̃/λ', (1 − |x̃_jᵀr̃|/λ')/‖x̃_j‖ (celer's, unscaled): violators, at a
  /// negative distance, come first, so a set larger than their number holds them all.
  std::vector<Eigen::Index> choose_working_set(const detail::GapState& g, const VecX<double>& w, Eigen::Index size,
                                               const std::vector<Eigen::Index>* hint) const {
    const Eigen::Index p = cols_.cols();
    std::vector<double> priority(static_cast<std::size_t>(p));
    std::vector<Eigen::Index> order;
    for (Eigen::Index j = 0; j < p; ++j) {
      if (!active_[j]) continue;
      const double norm = std::sqrt(cols_.sq_norm(j) + c_);
      priority[j] = w[j] != 0 ? -std::numeric_limits<double>::infinity()
                              : (1 - std::abs(g.corr[j]) / l1_) / std::max(norm, std::numeric_limits<double>::min());
      order.push_back(j);
    }
    if (hint)
      for (Eigen::Index j : *hint)
        if (active_[j]) priority[j] = std::min(priority[j], -1e300);
    const auto k = std::min<std::size_t>(order.size(), static_cast<std::size_t>(size));
    std::nth_element(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k) - (k > 0), order.end(),
                     [&](Eigen::Index a, Eigen::Index b) { return priority[a] < priority[b] || (priority[a] == priority[b] && a < b); });
    order.resize(k);
    std::sort(order.begin(), order.end());
    return order;
  }

  /// Whether `ws` (sorted) holds every feature whose dual constraint g.corr is violated.
  bool holds_every_violator(const detail::GapState& g, const VecX<double>& w, const std::vector<Eigen::Index>& ws) const {
    auto in_ws = ws.begin();
    for (Eigen::Index j = 0; j < g.corr.size(); ++j) {
      while (in_ws != ws.end() && *in_ws < j) ++in_ws;
      if (active_[j] && w[j] == 0 && std::abs(g.corr[j]) > l1_ && (in_ws == ws.end() || *in_ws != j)) return false;
    }
    return true;
  }

  /// Whether the working set's Gram matrix makes updates cheaper: one costs m multiply-adds
  /// instead of 2·nnz(x_j) (a dot and an axpy), so when m is at most twice the columns' mean
  /// length. The whole support must be in the set (the Gram gap test counts only its coefficients).
  /// A solver's first solve uses G only for a set of at most kGramFirstSolve features: building G
  /// costs about m/4 epochs, which a larger set's few epochs in one solve do not repay (one λ on
  /// 500 × 2000: 1.1 ms against 0.74 ms without G), while a path's solves share the products.
  static constexpr std::size_t kGramFirstSolve = 16;
  bool gram_pays(const std::vector<Eigen::Index>& ws, const VecX<double>& w) const {
    if (!solved_before_ && ws.size() > kGramFirstSolve) return false;
    double entries = 0;
    Eigen::Index support = 0;
    for (Eigen::Index j : ws) entries += static_cast<double>(cols_.nnz(j)), support += w[j] != 0;
    const auto m = static_cast<double>(ws.size());
    return m * m <= 2 * entries && support == count_nonzeros(w);
  }

  /// Whether the gap of a working set of `m` features meets the subproblem's stopping rule:
  /// `gap` ≤ `target` (both ÷ n), or, with no target, the relative gap ≤ 0.3·tolerance so the
  /// global check that follows passes. A set of every feature has the global gap itself, so the
  /// tolerance is enough there (late on a path the strong rule keeps every feature).
  bool subproblem_done(double gap, double primal, double target, Eigen::Index m) const {
    return target > 0 ? gap <= target : gap <= (m == cols_.cols() ? 1.0 : 0.3) * opt_.tolerance * primal;
  }

  /// Cyclic CD epochs on the working set until its own gap meets `target` (or the epoch budget),
  /// with Anderson extrapolation every `anderson_memory` + 1 epochs (kept only when P decreases).
  /// glmnet's active-set cycling: of five epochs, the first sweeps the whole set and the other
  /// four only its non-zeros, since a coefficient that stays 0 costs a dot product and moves
  /// nothing (late on a path the strong rule keeps every feature while half of them stay 0). The
  /// gap, checked after the fifth, is the whole set's.
  /// Each gap check also applies the gap-safe rule to the set's own problem (celer prunes its
  /// subproblems too): a feature it drops is 0 at the subproblem's answer, so the sweeps and the
  /// gap checks that follow skip it. Late on a path the set holds tens of thousands of features
  /// that stay 0, and each cost a product in every sweep and in every check.
  void solve_subproblem(const std::vector<Eigen::Index>& ws, LassoResult& res, double target) {
    const auto m = static_cast<Eigen::Index>(ws.size());
    const int K = opt_.anderson_memory;
    MatX<double> history(m, K + 1);
    int stored = 0;
    VecX<double> w_ws(m);
    std::vector<Eigen::Index> live = ws, support;  // live: the set's features not pruned
    xtr_fresh_ = false;  // the coordinate updates move r
    for (long long e = 0; res.iterations < opt_.max_epochs; ++e) {
      if (e % 5 == 0) {
        support.clear();
        for (Eigen::Index j : live) {
          update_coordinate(j, res.w);
          if (res.w[j] != 0) support.push_back(j);
        }
      } else {
        for (Eigen::Index j : support) update_coordinate(j, res.w);
      }
      ++res.iterations;
      if (opt_.anderson) {
        for (Eigen::Index k = 0; k < m; ++k) w_ws[k] = res.w[ws[static_cast<std::size_t>(k)]];
        history.col(stored++) = w_ws;
        if (stored == K + 1) {
          extrapolate(ws, history, res.w);
          stored = 0;
        }
      }
      if (e % 5 == 4) {
        const detail::GapState g = gap(res.w, live);
        if (subproblem_done(g.primal - g.dual, g.primal, target, m)) return;
        if (opt_.screening) res.pruned += prune(g, live, ws, history, res.w);
      }
    }
  }

  /// Drops from `live` the features the gap-safe rule of the subproblem's gap `g` (over `live`)
  /// removes. A pruned feature's rows of the Anderson history are zeroed, so extrapolation keeps
  /// it at 0. Returns how many it dropped.
  Eigen::Index prune(const detail::GapState& g, std::vector<Eigen::Index>& live, const std::vector<Eigen::Index>& ws,
                     MatX<double>& history, VecX<double>& w) {
    const double radius = safe_radius(g);
    std::size_t kept = 0;
    for (std::size_t k = 0; k < live.size(); ++k) {
      const Eigen::Index j = live[k];
      if (drop_if_safe(j, g.corr[static_cast<Eigen::Index>(k)], g, radius, w))
        history.row(std::lower_bound(ws.begin(), ws.end(), j) - ws.begin()).setZero();
      else
        live[kept++] = j;
    }
    const auto dropped = static_cast<Eigen::Index>(live.size() - kept);
    live.resize(kept);
    return dropped;
  }

  /// The same epochs through G = X_wsᵀX_ws (in gram_ws_): x_kᵀr is kept for the working set and
  /// an update moves it by −δ·G_k, so r itself is rebuilt once, at the end.
  void solve_subproblem_gram(const std::vector<Eigen::Index>& ws, LassoResult& res, double target) {
    const auto m = static_cast<Eigen::Index>(ws.size());
    const MatX<double>& G = gram_ws_;
    VecX<double> w0(m), grad0(m);
    for (Eigen::Index k = 0; k < m; ++k) {
      const Eigen::Index j = ws[static_cast<std::size_t>(k)];
      w0[k] = res.w[j];
      grad0[k] = xtr_fresh_ ? xtr_[j] : cols_.dot(j, r_);
    }
    VecX<double> w = w0, grad = grad0;
    const double r0_sq = r_.squaredNorm();
    const int K = opt_.anderson_memory;
    MatX<double> history(m, K + 1);
    int stored = 0;
    while (res.iterations < opt_.max_epochs) {
      for (Eigen::Index k = 0; k < m; ++k) {
        const Eigen::Index j = ws[static_cast<std::size_t>(k)];
        const double sq = cols_.sq_norm(j);
        if (sq == 0 || !active_[j]) continue;
        const double next = shrink(grad[k] + sq * w[k], sq);
        if (next != w[k]) {
          grad.noalias() -= (next - w[k]) * G.col(k);
          w[k] = next;
        }
      }
      ++res.iterations, ++res.gram_epochs;
      if (opt_.anderson) {
        history.col(stored++) = w;
        if (stored == K + 1) {
          extrapolate_gram(history, G, w, grad);
          stored = 0;
        }
      }
      // The test costs O(m) here, so a final solve (no target) stops at the first epoch that meets
      // it; a partial one checks every 5 epochs as with residual updates, to make as much progress
      // per pass over X (checking each epoch, the one-λ solve took 11 outer iterations for 5).
      if (target > 0 && res.iterations % 5 != 0) continue;
      // The working-set gap from x_kᵀr alone: with y = r + Xw,
      //   n(P − D) = ½(1 − t)²(‖r‖² + c‖w‖²) + λ'‖w‖₁ − t·wᵀX̃ᵀr̃,   t = λ'/max(λ', ‖X̃ᵀr̃‖∞),
      // and ‖r‖² = ‖r₀‖² − (w − w₀)ᵀ(g₀ + g) enters only through (1 − t)², so its cancellation
      // error fades as the iterates converge. The global check that follows uses r itself.
      double top = 0, w_sq = 0, w_l1 = 0, w_corr = 0;
      for (Eigen::Index k = 0; k < m; ++k) {
        const double corr = grad[k] - c_ * w[k];
        top = std::max(top, std::abs(corr));
        w_sq += w[k] * w[k], w_l1 += std::abs(w[k]), w_corr += w[k] * corr;
      }
      const double r_sq = r0_sq - (w - w0).dot(grad0 + grad);
      const double t = l1_ / std::max(l1_, top), nd = static_cast<double>(cols_.rows());
      const double gap = 0.5 * (1 - t) * (1 - t) * (r_sq + c_ * w_sq) + l1_ * w_l1 - t * w_corr;
      if (subproblem_done(gap / nd, (0.5 * r_sq + l1_ * w_l1 + 0.5 * c_ * w_sq) / nd, target, m)) break;
    }
    for (Eigen::Index k = 0; k < m; ++k) {
      const Eigen::Index j = ws[static_cast<std::size_t>(k)];
      if (w[k] != w0[k]) cols_.axpy(j, w0[k] - w[k], r_), res.w[j] = w[k];
    }
    xtr_fresh_ = false;
  }

  /// The coordinate minimizer from z = x_jᵀr + ‖x_j‖²·w_j (soft thresholding).
  double shrink(double z, double sq) const {
    return z > l1_ ? (z - l1_) / (sq + c_) : z < -l1_ ? (z + l1_) / (sq + c_) : 0.0;
  }

  void update_coordinate(Eigen::Index j, VecX<double>& w) {
    const double sq = cols_.sq_norm(j);
    if (sq == 0 || !active_[j]) return;
    const double old = w[j];
    const double next = shrink(cols_.dot(j, r_) + sq * old, sq);
    if (next != old) {
      cols_.axpy(j, old - next, r_);
      w[j] = next;
    }
  }

  /// Anderson extrapolation (skglm): w_e = Σ c_k w_k with c ∝ (UᵀU)⁻¹1, U the successive
  /// differences of the stored iterates; empty when the system is degenerate.
  static VecX<double> anderson_point(const MatX<double>& history) {
    const Eigen::Index K = history.cols() - 1;
    const MatX<double> U = history.rightCols(K) - history.leftCols(K);
    MatX<double> G = U.transpose() * U;
    G.diagonal().array() += 1e-12 * std::max(1.0, G.diagonal().maxCoeff());
    VecX<double> c = G.ldlt().solve(VecX<double>::Ones(K));
    if (!c.allFinite() || c.sum() == 0) return {};
    c /= c.sum();
    return history.rightCols(K) * c;
  }

  /// The Anderson point, accepted only if it lowers the primal objective.
  void extrapolate(const std::vector<Eigen::Index>& ws, const MatX<double>& history, VecX<double>& w) {
    const Eigen::Index m = history.rows();
    const VecX<double> w_e = anderson_point(history);
    if (w_e.size() == 0) return;
    // Objective change restricted to the working set (other coordinates fixed).
    VecX<double> r_e = r_;
    double before = 0, after = 0;
    for (Eigen::Index k = 0; k < m; ++k) {
      const Eigen::Index j = ws[static_cast<std::size_t>(k)];
      if (w_e[k] != w[j]) cols_.axpy(j, w[j] - w_e[k], r_e);
      before += l1_ * std::abs(w[j]) + 0.5 * c_ * w[j] * w[j];
      after += l1_ * std::abs(w_e[k]) + 0.5 * c_ * w_e[k] * w_e[k];
    }
    before += 0.5 * r_.squaredNorm();
    after += 0.5 * r_e.squaredNorm();
    if (after < before) {
      r_.swap(r_e);
      for (Eigen::Index k = 0; k < m; ++k) w[ws[static_cast<std::size_t>(k)]] = w_e[k];
    }
  }

  /// idem through the Gram matrix: ½‖r − Xe‖² − ½‖r‖² = −eᵀXᵀr + ½eᵀGe for the step e.
  void extrapolate_gram(const MatX<double>& history, const MatX<double>& G, VecX<double>& w, VecX<double>& grad) const {
    const VecX<double> w_e = anderson_point(history);
    if (w_e.size() == 0) return;
    const VecX<double> e = w_e - w;
    const VecX<double> Ge = G * e;
    const double change = -e.dot(grad) + 0.5 * e.dot(Ge) + l1_ * (w_e.lpNorm<1>() - w.lpNorm<1>()) +
                          0.5 * c_ * (w_e.squaredNorm() - w.squaredNorm());
    if (change < 0) w = w_e, grad -= Ge;
  }

  VecX<double> xty_;        // Xᵀy, from the constructor's pass (declared first: cols_ fills it)
  detail::Columns<Design> cols_;
  VecX<double> y_, r_;
  VecX<double> w_of_r_;     // the coefficients whose residual r_ is
  VecX<double> xtr_;        // x_jᵀr for every feature, valid while xtr_fresh_
  bool xtr_fresh_ = false;
  long long passes_ = 0;    // refresh_correlations calls, for LassoResult::full_passes
  detail::GramCache gram_;
  bool solved_before_ = false;  // Gram updates only from the second solve on
  MatX<double> gram_ws_;    // G restricted to the current working set
  LassoOptions opt_;
  double l1_ = 0, c_ = 0;
  std::vector<char> active_;
};

/// One λ.
template <class Design>
LassoResult lasso_cd(const Design& X, const VecX<double>& y, double lambda, const LassoOptions& o = {},
                     const VecX<double>& w0 = {}) {
  return LassoSolver<Design>(X, y, o).solve(lambda, w0);
}

struct LassoPathOptions {
  Eigen::Index n_lambdas = 50;  ///< >= 1
  double ratio = 0;             ///< λ_min/λ_max; 0 = glmnet's default (1e-4 if n > p else 1e-2)
  LassoOptions lasso;
};

namespace detail {

/// The k-th of n λs of a path: λ_max·ratio^(k/(n−1)), geometric; ratio 0 means glmnet's default
/// (1e-4 if n > p, else 1e-2).
inline double path_lambda(double lambda_max, double ratio, Eigen::Index rows, Eigen::Index cols, Eigen::Index k, Eigen::Index n) {
  if (ratio == 0) ratio = rows > cols ? 1e-4 : 1e-2;
  return n == 1 ? lambda_max : lambda_max * std::pow(ratio, static_cast<double>(k) / static_cast<double>(n - 1));
}

inline void require_path(Eigen::Index n_lambdas, double ratio, const char* options) {
  detail::require(n_lambdas >= 1, std::string(options) + "::n_lambdas", n_lambdas, ">= 1");
  detail::require(ratio >= 0 && ratio < 1, std::string(options) + "::ratio", ratio, "0 <= ratio < 1");
}

}  // namespace detail

/// A warm-started path from λ_max down a geometric grid; each λ's first working set holds the
/// previous support and the survivors of the sequential strong rule |x_jᵀr|/n ≥ α(2λ_k − λ_{k−1})
/// (glmnet), and the gap check over all features makes the rule safe.
template <class Design>
std::vector<LassoResult> lasso_path(const Design& X, const VecX<double>& y, const LassoPathOptions& o = {}) {
  detail::require_path(o.n_lambdas, o.ratio, "LassoPathOptions");
  LassoSolver<Design> solver(X, y, o.lasso);
  const double lmax = solver.lambda_max();
  std::vector<LassoResult> path;
  VecX<double> w = VecX<double>::Zero(X.cols());
  double prev = lmax;
  for (Eigen::Index k = 0; k < o.n_lambdas; ++k) {
    const double lambda = detail::path_lambda(lmax, o.ratio, X.rows(), X.cols(), k, o.n_lambdas);
    std::vector<Eigen::Index> strong;
    const double cut = o.lasso.alpha * (2 * lambda - prev) * static_cast<double>(X.rows());
    const VecX<double>& xtr = solver.residual_correlations();
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      if (w[j] != 0 || std::abs(xtr[j]) >= cut) strong.push_back(j);
    path.push_back(solver.solve(lambda, w, &strong));
    w = path.back().w;
    prev = lambda;
  }
  return path;
}

struct LogisticL1Options {
  bool intercept = false;         ///< fit an unpenalized intercept b: margins xᵢᵀw + b
  double tolerance = 1e-8;        ///< relative duality gap, > 0
  long long max_newton = 200;     ///< outer proximal-Newton steps, >= 1
  long long max_sweeps = 100000;  ///< inner coordinate sweeps in total, >= 1
  void validate() const {
    detail::require(tolerance > 0, "LogisticL1Options::tolerance", tolerance, "> 0");
    detail::require(max_newton >= 1, "LogisticL1Options::max_newton", max_newton, ">= 1");
    detail::require(max_sweeps >= 1, "LogisticL1Options::max_sweeps", max_sweeps, ">= 1");
  }
};

namespace detail {

/// Labels 0/1 or ±1 as ±1; anything else is an error naming the row.
inline VecX<double> signed_labels(const VecX<double>& labels, const char* who) {
  VecX<double> y(labels.size());
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    if (labels[i] == 1) y[i] = 1;
    else if (labels[i] == 0 || labels[i] == -1) y[i] = -1;
    else throw InvalidArgument(std::string(who) + ": labels must be 0/1 or -1/+1; row " + std::to_string(i) + " has " + std::to_string(labels[i]));
  }
  return y;
}

}  // namespace detail

/// L1-regularized logistic regression, P(w) = (1/n)Σ log(1 + exp(−yᵢxᵢᵀw)) + λ‖w‖₁ (labels ±1 or
/// 0/1; with row weights sᵢ the loss is the weighted mean (1/Σs)Σ sᵢ·log(…), as LogisticRidge's
/// and scikit-learn's `sample_weight`, and integer weights fit repeated rows; with
/// `intercept` the margins are xᵢᵀw + b, b unpenalized and one more coordinate of each model), by
/// proximal Newton with coordinate descent on each quadratic model (glmnet's and liblinear's
/// newGLMNET scheme): the model is solved on the active set (non-zeros
/// and the largest KKT violators, growing geometrically) until a sweep's progress Σ a_j·δ² is
/// below (0.1·gap)²/P, then an Armijo search on P. Stops on the relative duality gap with the dual
/// point s = σ(−m)·min(1, λ/‖Xᵀ(r∘y∘σ(−m))/n‖∞), D(s) = −(1/n)Σ rᵢ[s log s + (1 − s) log(1 − s)],
/// rᵢ = sᵢ·n/Σs the row weights normalized to mean 1 (all 1 without weights). With an intercept
/// the dual point must also satisfy Σ rᵢyᵢsᵢ = 0: the larger class's s is scaled down by the ratio
/// of the two classes' sums, and the correlations' change, at most that scale's complement times
/// max|x_ij|·(the class's sum)/n, is added to ‖·‖∞ before s is scaled into the feasible set.
/// The solver keeps the margins and the gradient of its last answer, so a solve warm-started
/// there (the next λ of a path) starts without a pass over X. X must outlive it (read in place).
template <class Design>
class LogisticL1Solver {
 public:
  LogisticL1Solver(Design&&, const VecX<double>&, LogisticL1Options = {}, const VecX<double>& = {}) = delete;
  /// `sample_weights`: empty (every row weighs 1) or one finite weight >= 0 per row, not all 0.
  LogisticL1Solver(const Design& X, const VecX<double>& labels, LogisticL1Options o = {}, const VecX<double>& sample_weights = {})
      : cols_(X), opt_(o) {
    opt_.validate();
    detail::require_size(labels.size(), X.rows(), "logistic_l1: labels (one per row of X)");
    y_ = detail::signed_labels(labels, "logistic_l1");
    r_ = detail::normalized_row_weights(sample_weights, X.rows(), "logistic_l1");
    if (opt_.intercept) {
      b_zero_ = detail::log_odds_intercept(y_, r_, "logistic_l1");
      x_max_ = cols_.max_abs();
    }
  }

  /// λ_max: the smallest λ at which w = 0 is optimal, ‖Xᵀ(r∘y∘σ(−y·b₀))/n‖∞ with b₀ the best
  /// intercept at w = 0 (the log-odds of the weighted labels; 0 without an intercept, where this
  /// is ‖Xᵀ(r∘y)‖∞/(2n)); a solve from w = 0 then reuses that gradient.
  double lambda_max() {
    const Eigen::Index p = cols_.cols();
    set_point(VecX<double>::Zero(p), b_zero_);
    return g_.cwiseAbs().maxCoeff();
  }

  /// From w0 (0 if empty) and the intercept b0; without b0, a warm start from the last answer
  /// keeps its intercept and any other start takes b₀ (λ_max's).
  LassoResult solve(double lambda, const VecX<double>& w0 = {}, std::optional<double> b0 = {}) {
    const auto start = std::chrono::steady_clock::now();
    detail::require(lambda > 0 && std::isfinite(lambda), "logistic_l1: lambda", lambda, "0 < lambda < inf");
    const Eigen::Index n = cols_.rows(), p = cols_.cols();
    const double nd = static_cast<double>(n);
    using problems::detail::softplus;  // the objectives' stable kernel
    auto objective = [&](const VecX<double>& z, const VecX<double>& w) {
      double f = 0;
      for (Eigen::Index i = 0; i < n; ++i) f += r_[i] * softplus(-y_[i] * z[i]);
      return f / nd + lambda * w.lpNorm<1>();
    };
    LassoResult res;
    res.lambda = lambda;
    res.w = w0.size() == p ? w0 : VecX<double>::Zero(p);
    if (b0 && !opt_.intercept) throw InvalidArgument("logistic_l1: an intercept b0 was given, but LogisticL1Options::intercept is false");
    if (b0) detail::require(std::isfinite(*b0), "logistic_l1: b0", *b0, "finite");
    set_point(res.w, b0 ? *b0 : w_.size() == p && res.w == w_ ? b_ : b_zero_);
    VecX<double> h(n), u(n), d(p), a(p), c(opt_.intercept ? p : 0), zt(n);
    long long sweeps = 0;
    std::vector<Eigen::Index> active, watch;
    bool growing = false;  // the active set has left out violators of a full gradient
    double full_gap = 0;  // the gap at the last full gradient
    for (long long k = 0;; ++k) {
      // Curvature and the duality gap at w (s_ is w's; g_ too on every feature when full_, else
      // on the watched features only, and the gap over them is the restricted problem's).
      for (Eigen::Index i = 0; i < n; ++i) h[i] = r_[i] * s_[i] * (1 - s_[i]) / nd;
      double top = 0;
      if (full_) {
        top = g_.cwiseAbs().maxCoeff();
      } else {
        std::size_t entered = 0;  // watched features outside the active set that crossed λ join it
        for (Eigen::Index j : watch) {
          top = std::max(top, std::abs(g_[j]));
          if (std::abs(g_[j]) > lambda && !std::binary_search(active.begin(), active.end() - static_cast<std::ptrdiff_t>(entered), j)) active.push_back(j), ++entered;
        }
        if (entered) std::sort(active.begin(), active.end());
      }
      // With an intercept, the dual point is balanced: Σ rᵢyᵢtᵢ = 0 (class doc).
      double scale_pos = 1, scale_neg = 1;
      if (opt_.intercept) {
        const auto [pos, neg] = detail::class_sums(y_, r_.cwiseProduct(s_));
        if (pos > neg) scale_pos = neg / pos, top += (1 - scale_pos) * pos / nd * x_max_;
        else if (neg > pos) scale_neg = pos / neg, top += (1 - scale_neg) * neg / nd * x_max_;
      }
      const double gamma = std::min(1.0, lambda / std::max(top, std::numeric_limits<double>::min()));
      double dual = 0;
      for (Eigen::Index i = 0; i < n; ++i) {
        const double t = gamma * (y_[i] > 0 ? scale_pos : scale_neg) * s_[i];
        dual += r_[i] * detail::binary_entropy(t);
      }
      res.certificate = duality_gap(objective(z_, res.w), dual / nd, opt_.tolerance);
      res.iterations = sweeps;
      const double gap = res.certificate.primal - res.certificate.dual;
      if (full_) full_gap = gap;
      // A restricted problem is solved to the tolerance while its set holds every violator of
      // the full gradients (a warm-started λ of a path, usually: one full pass certifies it).
      // Once the cap left violators out, or a full pass found new ones, it is solved to 0.3 of
      // the last full gap, as celer's working sets, so the set grows before much is spent on a
      // wrong one (1e5 × 1e5 sparse, one λ: 5.7 s solving each set to the tolerance, 2.0 s so).
      const bool stop = res.certificate.holds() || k >= opt_.max_newton || sweeps >= opt_.max_sweeps ||
                        (!full_ && growing && gap <= 0.3 * full_gap);
      if (stop && full_) break;
      if (stop) {  // the certificate needs every feature: one pass, then the gap again
        take_gradient();
        for (Eigen::Index j = 0; j < p && !growing; ++j)
          growing = res.w[j] == 0 && std::abs(g_[j]) > lambda && !std::binary_search(active.begin(), active.end(), j);
        --k;
        continue;
      }
      if (full_) {
        growing = choose_active(res.w, lambda, active) || growing;
        // Watched too: the features within 10% of their constraint (|g_j| ≥ 0.9·λ), whose
        // gradient the restricted steps keep, so one that crosses λ joins the active set at once
        // rather than after a restricted solve to the tolerance and a full pass (1e5 × 1e5
        // sparse, 50-λ path: 28 s unwatched, 17 s so; 1000 × 1e5 dense: 2.0–2.6 s and 3.0 s).
        watch = active;
        for (Eigen::Index j = 0; j < p; ++j)
          if (res.w[j] == 0 && std::abs(g_[j]) >= 0.9 * lambda && !std::binary_search(active.begin(), active.end(), j)) watch.push_back(j);
        std::sort(watch.begin(), watch.end());
      }
      // With an intercept the model is minimized over d_b exactly after every coordinate step
      // (d_b = −(g_b + hᵀXd)/Σh), which leaves CD on the columns centred by their h-weighted
      // means: a_j = x_jᵀHx_j − (hᵀx_j)²/Σh and ∂_j = g_j + x_jᵀH(Xd + d_b). Stepping b as one
      // more coordinate instead crawled (200 sweeps for a 1e-9 gap on uncentred columns): it is
      // strongly coupled to every column with a non-zero mean.
      const double sum_h = opt_.intercept ? h.sum() : 0.0;
      const bool intercept = sum_h > 0;
      for (Eigen::Index j : active) {
        a[j] = cols_.wsq(j, h);
        if (intercept) {
          c[j] = cols_.dot(j, h);
          const double centred = a[j] - c[j] * c[j] / sum_h;
          a[j] = centred > 1e-12 * a[j] ? centred : 0.0;  // a column ∝ 1 is the intercept itself
        }
      }
      res.working_set = static_cast<Eigen::Index>(active.size());
      // Coordinate descent on q(d) = gᵀd + g_b·d_b + ½(Xd + d_b)ᵀH(Xd + d_b) + λ‖w + d‖₁, u = Xd.
      d.setZero();
      u.setZero();
      double hu = 0;                                 // hᵀu
      double d_b = intercept ? -g_b_ / sum_h : 0.0;  // the intercept's step, optimal for d
      // Stop the model when a sweep's progress Σ a_j·δ² is below (0.1·gap)²/P: δ then shrinks in
      // proportion to the gap (the gap is first order in w − w*), so Newton steps stay accurate.
      // The sum, not the largest term: over 44 000 active features every single term fell below
      // the target after one sweep, and Newton gained only 0.8× in the gap per step (70 steps).
      const double target = 0.01 * gap * gap / std::max(res.certificate.primal, std::numeric_limits<double>::min());
      while (sweeps < opt_.max_sweeps) {
        double progress = 0;
        for (Eigen::Index j : active) {
          if (a[j] <= 0) continue;
          const double wj = res.w[j] + d[j];
          double b = g_[j] + cols_.wdot(j, h, u);
          if (intercept) b += d_b * c[j];
          const double v = a[j] * wj - b;
          const double next = v > lambda ? (v - lambda) / a[j] : v < -lambda ? (v + lambda) / a[j] : 0.0;
          const double delta = next - wj;
          if (delta != 0) {
            d[j] += delta;
            cols_.axpy(j, delta, u);
            progress += a[j] * delta * delta;
            if (intercept) {
              hu += delta * c[j];
              d_b = -(g_b_ + hu) / sum_h;
            }
          }
        }
        ++sweeps;
        if (progress <= target) break;
      }
      if (intercept) u.array() += d_b;  // u = Xd + d_b: the margins' change
      // Armijo search on P along w + t·d with the proximal-Newton decrease measure.
      double l1_change = 0;  // per coordinate, so a tiny step is not lost in the difference of two sums
      for (Eigen::Index j = 0; j < p; ++j)
        if (d[j] != 0) l1_change += std::abs(res.w[j] + d[j]) - std::abs(res.w[j]);
      const double delta_model = g_.dot(d) + g_b_ * d_b + lambda * l1_change;  // d ≠ 0 on `active` only
      if (!(delta_model < 0)) {  // no descent left: the gap test above decides convergence
        if (full_) break;
        take_gradient();
        continue;
      }
      const double resolution = 64 * std::numeric_limits<double>::epsilon() * (1 + std::abs(res.certificate.primal));
      double t = 1;
      for (int ls = 0; ls < 60; ++ls, t /= 2) {
        zt = z_ + t * u;
        const VecX<double> wt = res.w + t * d;
        // Armijo, or a step whose predicted change is below f's resolution (Armijo cannot judge it).
        if (objective(zt, wt) <= res.certificate.primal + 1e-4 * t * delta_model || -t * delta_model <= resolution) {
          res.w = wt;
          b_ += t * d_b;
          z_.swap(zt);
          // The watched features' gradient alone, unless they are half of all (a full gradient
          // then costs little more, and each full one re-chooses the active set).
          take_gradient(2 * watch.size() <= static_cast<std::size_t>(p) ? &watch : nullptr);
          break;
        }
      }
    }
    w_ = res.w;
    res.intercept = b_;
    res.status = certified_status(res.certificate);
    res.nonzeros = (res.w.array() != 0).count();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return res;
  }

 private:
  /// Makes z_, s_ and g_ those of (w, b), unless they already are (the last answer).
  void set_point(const VecX<double>& w, double b) {
    if (w_.size() == w.size() && w_ == w && b_ == b) {
      if (!full_) take_gradient();
      return;
    }
    z_.setConstant(cols_.rows(), b);
    for (Eigen::Index j = 0; j < w.size(); ++j)
      if (w[j] != 0) cols_.axpy(j, w[j], z_);
    w_ = w;
    b_ = b;
    take_gradient();
  }

  /// s = σ(−y∘z) and the loss gradient g = −Xᵀ(r∘y∘s)/n at the margins z_, on every feature (one
  /// pass over X) or only on `only`. Newton steps within an active set need only its gradient;
  /// every feature's is taken to certify an answer and to choose the next active set, so a
  /// warm-started λ of a path costs about one pass over X (it cost one per Newton step).
  void take_gradient(const std::vector<Eigen::Index>* only = nullptr) {
    const Eigen::Index n = cols_.rows();
    s_.resize(n);
    VecX<double> ys(n);
    for (Eigen::Index i = 0; i < n; ++i) {
      s_[i] = problems::detail::sigmoid(-y_[i] * z_[i]);
      ys[i] = r_[i] * y_[i] * s_[i];
    }
    g_.resize(cols_.cols());
    const double nd = static_cast<double>(n);
    g_b_ = opt_.intercept ? -ys.sum() / nd : 0.0;
    if (only) {
      for (Eigen::Index j : *only) g_[j] = -cols_.dot(j, ys) / nd;
    } else {
      for (Eigen::Index j = 0; j < cols_.cols(); ++j) g_[j] = -cols_.dot(j, ys) / nd;
    }
    full_ = only == nullptr;
  }

  /// The active set from a full gradient: the non-zeros and the KKT violators (|g_j| > λ at
  /// w_j = 0), at most 2·max(nnz, 32) of them, the largest |g_j| first: the set grows
  /// geometrically from w = 0 rather than taking every violator of the first gradient (on
  /// 1000 × 1e5, 69 591 of them for a support of 482, and two Newton steps of 11 sweeps over
  /// them were half the solve).
  /// Returns whether the cap left violators out.
  bool choose_active(const VecX<double>& w, double lambda, std::vector<Eigen::Index>& active) const {
    std::vector<Eigen::Index> violators;
    active.clear();
    for (Eigen::Index j = 0; j < w.size(); ++j) {
      if (w[j] != 0) active.push_back(j);
      else if (std::abs(g_[j]) > lambda) violators.push_back(j);
    }
    const std::size_t cap = 2 * std::max<std::size_t>(active.size(), 32);
    const bool capped = violators.size() > cap;
    if (capped) {
      std::nth_element(violators.begin(), violators.begin() + static_cast<std::ptrdiff_t>(cap), violators.end(),
                       [&](Eigen::Index i, Eigen::Index j) { return std::abs(g_[i]) > std::abs(g_[j]) || (std::abs(g_[i]) == std::abs(g_[j]) && i < j); });
      violators.resize(cap);
    }
    active.insert(active.end(), violators.begin(), violators.end());
    std::sort(active.begin(), active.end());
    return capped;
  }

  detail::Columns<Design> cols_;
  LogisticL1Options opt_;
  VecX<double> y_;                // labels as ±1
  VecX<double> r_;                // row weights, mean 1 (exactly 1 each without weights: the same bits)
  VecX<double> w_, z_, s_, g_;    // a point, its margins Xw + b, σ(−y∘z) and the loss gradient
  double b_ = 0, g_b_ = 0;        // the point's intercept and the loss's derivative in it
  double b_zero_ = 0;             // the best intercept at w = 0 (0 without one)
  double x_max_ = 0;              // max |x_ij| (intercept only: the balanced dual's bound)
  bool full_ = false;             // g_ holds every feature's gradient (else only the active set's)
};

/// One λ (`sample_weights` as LogisticL1Solver's).
template <class Design>
LassoResult logistic_l1(const Design& X, const VecX<double>& labels, double lambda, const LogisticL1Options& o = {},
                        const VecX<double>& w0 = {}, const VecX<double>& sample_weights = {}) {
  return LogisticL1Solver<Design>(X, labels, o, sample_weights).solve(lambda, w0);
}

/// λ_max of logistic_l1 (LogisticL1Solver::lambda_max).
template <class Design>
double logistic_l1_lambda_max(const Design& X, const VecX<double>& labels, const VecX<double>& sample_weights = {}, bool intercept = false) {
  return LogisticL1Solver<Design>(X, labels, {.intercept = intercept}, sample_weights).lambda_max();
}

struct LogisticL1PathOptions {
  Eigen::Index n_lambdas = 50;  ///< >= 1
  double ratio = 0;             ///< λ_min/λ_max; 0 = glmnet's default (1e-4 if n > p else 1e-2)
  LogisticL1Options logistic;
};

/// logistic_l1 down the geometric grid of lasso_path (λ_max … ratio·λ_max), each λ warm-started
/// from the previous answer on one solver, whose cached gradient chooses the λ's first active set;
/// Newton steps then take the active set's gradient only, and one pass over every feature
/// certifies the answer (or finds new violators).
template <class Design>
std::vector<LassoResult> logistic_l1_path(const Design& X, const VecX<double>& labels, const LogisticL1PathOptions& o = {},
                                          const VecX<double>& sample_weights = {}) {
  detail::require_path(o.n_lambdas, o.ratio, "LogisticL1PathOptions");
  LogisticL1Solver<Design> solver(X, labels, o.logistic, sample_weights);
  const double lmax = solver.lambda_max();
  if (!(lmax > 0)) throw InvalidArgument("logistic_l1_path: λ_max = 0 (every column of X is orthogonal to the labels)");
  std::vector<LassoResult> path;
  VecX<double> w = VecX<double>::Zero(X.cols());
  for (Eigen::Index k = 0; k < o.n_lambdas; ++k) {
    path.push_back(solver.solve(detail::path_lambda(lmax, o.ratio, X.rows(), X.cols(), k, o.n_lambdas), w));
    w = path.back().w;
  }
  return path;
}

}  // namespace convlab::solvers
