#include "fit/fit.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <type_traits>
#include <unistd.h>

#include <Eigen/SparseCholesky>

#include <convlab/optim/adamw.hpp>
#include <convlab/optim/bcd.hpp>
#include <convlab/optim/ceres_lbfgs.hpp>
#include <convlab/optim/gradient_descent.hpp>
#include <convlab/solvers/lasso_fit.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/solvers/logistic_ridge.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/newton.hpp>
#include <convlab/solvers/presto.hpp>
#include <convlab/optim/proximal_gradient.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/two_pass_refinement.hpp>
#include <convlab/problems/blocked_problem.hpp>
#include <convlab/problems/coordinate_linear_model.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/graph_quadratic.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/quantile_loss.hpp>
#include <convlab/problems/regularizers.hpp>
#include <convlab/quantile/quantile_regression.hpp>
#include <convlab/schedules/cosine.hpp>
#include <convlab/schedules/exponential.hpp>
#include <convlab/schedules/inverse_sqrt.hpp>
#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/one_cycle.hpp>
#include <convlab/schedules/piecewise.hpp>
#include <convlab/schedules/polynomial.hpp>
#include <convlab/schedules/warmup.hpp>
#include <convlab/schedules/wsd.hpp>
#ifdef CONVLAB_EXPERIMENTS_MPI
#include <convlab/problems/mpi/csv_shard.hpp>
#include <convlab/problems/mpi/libsvm_shard.hpp>
#include <convlab/problems/mpi/mpi_exchange.hpp>
#endif

#include "cli/mpi_session.hpp"
#include "fit/run_folder.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;
namespace co = convlab::optim;
namespace cs = convlab::solvers;

/// Row weights (empty: none; the reader checked each is finite and >= 0) must not all be 0, on
/// any rank.
void require_positive_weight(const ProblemConfig& pc, const VecX<double>& w, const cp::BlockExchange& ex) {
  if (!pc.weights.empty() && !ex.any((w.array() > 0).any()))
    throw ConfigError(fmt::format("[problem] weights: column '{}' of '{}' is 0 in every row", pc.weights, pc.data));
}

/// Builds the configured problem over `X` and returns fit(problem) (gap solvers, bcd: they need the whole
/// design), with the standardization the run applied (predict applies it to new rows).
template <class Design, class Fit>
FitResult with_problem(const ProblemConfig& pc, Design X, const VecX<double>& y, const VecX<double>& w, Fit&& fit) {
  require_positive_weight(pc, w, cp::LocalExchange{});
  std::optional<cp::Standardization> t;
  if (pc.standardize) t = cp::standardize(X);
  const cp::LinearModelOptions opt{.l1 = pc.l1, .l2 = pc.l2, .intercept = pc.intercept};
  FitResult r = pc.type == "least_squares" ? fit(cp::LeastSquares<double, Design>(std::move(X), y, opt, w))
                : pc.type == "logistic"    ? fit(cp::Logistic<double, Design>(std::move(X), y, opt, w))
                                           : fit(cp::Multinomial<double, Design>(std::move(X), y, pc.num_classes, opt, w));
  r.standardization = std::move(t);
  return r;
}

/// A class without rows (of positive weight, with row weights `w`) leaves its unpenalized
/// intercept without a minimizer (1-based labels make an empty class 0). Counted over the rows of
/// every rank; labels outside 0..K-1 are the problem constructor's to report (with their row).
inline void require_every_class_has_rows(const ProblemConfig& pc, const VecX<double>& y, const VecX<double>& w, long long K,
                                         Eigen::Index rows, const cp::BlockExchange& ex) {
  const std::string where = "[problem] data '" + pc.data + "'";
  if (K > rows)  // also bounds what a stray label like 2e9 makes us allocate
    throw ConfigError(fmt::format("{}: labels go up to class {} but the data has {} rows; every class needs rows{}", where,
                                  K - 1, rows, pc.num_classes > 0 ? " (or lower [problem] num_classes)" : ""));
  std::vector<double> count(static_cast<std::size_t>(K), 0.0);
  ex.chain(count, [&](std::vector<double>& acc) {
    for (Eigen::Index i = 0; i < y.size(); ++i)
      if (y[i] >= 0 && y[i] < static_cast<double>(K) && y[i] == std::floor(y[i])) acc[static_cast<std::size_t>(y[i])] += w.size() ? w[i] : 1.0;
  });
  for (long long k = 0; k < K; ++k)
    if (count[static_cast<std::size_t>(k)] == 0)
      throw ConfigError(fmt::format("{}: class {} of 0..{} has no rows{}{}; every class needs rows", where, k, K - 1, w.size() ? " of positive weight" : "",
                                    k == 0 ? " (labels 1..K? class ids start at 0: subtract 1)"
                                           : pc.num_classes > 0 ? " (check [problem] num_classes)" : ""));
}

/// Logistic labels are 0/1 or −1/+1, and both classes have rows (of positive weight, with row
/// weights `w`; with one class the weights grow without end: no minimizer). Checked here, over
/// the rows of every rank, so the message names the data file and the row counted over the whole
/// file, not a row of one block.
inline void require_binary_labels(const ProblemConfig& pc, const VecX<double>& y, const VecX<double>& w, const cp::BlockLayout& layout,
                                  const cp::BlockExchange& ex) {
  const std::string where = "[problem] data '" + pc.data + "'";
  const long long first = layout.first_row(ex.rank()), none = std::numeric_limits<long long>::min();
  std::vector<double> count(3, 0.0);  // rows labelled −1, 0, 1
  long long bad = none;               // −(the first row with another label), for ex.max
  ex.chain(count, [&](std::vector<double>& acc) {
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (y[i] == -1 || y[i] == 0 || y[i] == 1) acc[static_cast<std::size_t>(y[i] + 1)] += w.size() ? w[i] : 1.0;
      else if (bad == none) bad = -(first + i + 1);
    }
  });
  if (const long long b = ex.max(bad); b != none)
    throw ConfigError(fmt::format("{}: row {} (counting data rows from 1) has a label other than 0, 1 or -1; binary labels are 0/1 or -1/+1", where, -b));
  if (count[0] > 0 && count[1] > 0)
    throw ConfigError(where + ": labels 0 and -1 both appear, which would make them one class; binary labels are 0/1 or -1/+1");
  if (count[2] == 0 || count[0] + count[1] == 0)
    throw ConfigError(fmt::format("{}: every row{} has label {}; logistic regression needs rows of both classes (with one class the fit has no minimizer)",
                                  where, w.size() ? " of positive weight" : "", count[2] == 0 ? (count[0] > 0 ? "-1" : "0") : "1"));
}

/// Builds the configured problem over this rank's rows `X` (global rows layout.first_row(rank) …)
/// and sample weights `w` (empty: none) cut into row blocks, and returns fit(problem) with the
/// standardization it applied.
/// Standardization, the Lipschitz bound and every evaluation are sums over blocks in block order,
/// so one process and any number of MPI ranks compute the same bits (docs/distributed.md).
template <class Design, class Fit>
FitResult with_blocked_problem(const ProblemConfig& pc, Design X, const VecX<double>& y, const VecX<double>& w, const cp::BlockLayout& layout,
                               std::shared_ptr<const cp::BlockExchange> ex, Fit&& fit) {
  require_positive_weight(pc, w, *ex);
  std::optional<cp::Standardization> t;
  if (pc.standardize) t = cp::standardize_blocks(X, layout, *ex);
  const cp::LinearModelOptions opt{.l1 = pc.l1, .l2 = pc.l2, .intercept = pc.intercept};
  const auto run = [&](auto make) {
    FitResult r = fit(cp::BlockedProblem(cp::split_into_blocks(X, y, w, layout, ex->rank(), make), layout, ex));
    r.standardization = t;
    return r;
  };
  using W = const VecX<double>&;
  if (pc.type == "least_squares") return run([&](Design A, W b, W s) { return cp::LeastSquares<double, Design>(std::move(A), b, opt, s); });
  if (pc.type == "logistic") {
    require_binary_labels(pc, y, w, layout, *ex);
    return run([&](Design A, W b, W s) { return cp::Logistic<double, Design>(std::move(A), b, opt, s); });
  }
  // Every block needs the number of classes of the whole data set.
  const long long K = pc.num_classes > 0 ? pc.num_classes : std::max(2LL, ex->max(y.size() ? std::llround(y.maxCoeff()) : 0) + 1);
  require_every_class_has_rows(pc, y, w, K, layout.rows(), *ex);
  return run([&](Design A, W b, W s) { return cp::Multinomial<double, Design>(std::move(A), b, K, opt, s); });
}

/// Reference optima are shared by the runs of an experiment that solve the same problem.
std::map<std::string, Reference>& reference_cache() {
  static std::map<std::string, Reference> cache;
  return cache;
}

std::string problem_key(const RunConfig& c) {
  std::string key = c.reference;
  for (const auto& r : c.explain)
    if (r.key.rfind("problem.", 0) == 0) key += "|" + r.key + "=" + r.value;
  return key;
}

template <class P>
Reference compute_reference(const P& p, const RunConfig& c) {
  if (c.problem.l1 > 0)
    throw ConfigError("reference = \"" + c.reference + "\" needs a smooth problem (problem.l1 = 0)");
  Reference ref;
  ref.method = c.reference;
  VecX<double> x = VecX<double>::Zero(p.dim());
  if (c.reference == "newton") {
    if constexpr (cp::TwiceDifferentiable<P>) {
      co::newton(p, x, {.max_iterations = 200, .gradient_tolerance = 1e-13});
    } else {
      throw ConfigError("reference = \"newton\" is not available for problem type '" + c.problem.type +
                        "' (no Hessian); use reference = \"lbfgs\"");
    }
  } else {
    co::ceres_lbfgs(p, x);
  }
  VecX<double> g(p.dim());
  ref.value = cp::value_and_gradient(p, x, g);
  ref.grad_norm = g.norm();
  ref.x = std::move(x);
  return ref;
}

template <class P, class Opt, class Sched>
co::Summary run_minimize(const P& p, const Opt& opt, VecX<double>& x, const co::MinimizeOptions& mo, Sched sched,
                         bool progress) {
  if (progress) return co::minimize(p, opt, x, mo, sched, co::ProgressBar{.total = mo.max_iterations});
  return co::minimize(p, opt, x, mo, sched);
}

/// `lasso_cd`: least squares with l1 > 0 is an elastic net, λ = l1 + l2, α = l1/λ; solved by the
/// coordinate-descent solver to a relative duality gap (its own stopping rule, not [stop]'s), with
/// row weights and the intercept by lasso_cd_fit's exact reduction (a dense copy of the design).
template <class P>
void check_lasso_cd(const P& p) {
  if constexpr (requires { p.response(); }) {
    const auto& o = p.options();
    if (o.l1 <= 0) throw ConfigError("[optimizer] type = \"lasso_cd\" needs [problem] l1 > 0 (it solves the lasso / elastic net)");
    if (o.intercept && std::is_base_of_v<Eigen::SparseMatrixBase<std::decay_t<decltype(p.design())>>, std::decay_t<decltype(p.design())>>)
      throw ConfigError("[optimizer] type = \"lasso_cd\" with an intercept needs dense (CSV) data: centring a sparse (LIBSVM) design "
                        "would fill it; set [problem] intercept = false (centre the data), or use type = \"fista\"");
  } else {
    throw ConfigError("[optimizer] type = \"lasso_cd\" is for [problem] type = \"least_squares\"");
  }
}

template <class P>
co::Summary run_lasso_cd(const P& p, const OptimizerConfig& oc, VecX<double>& x, const co::MinimizeOptions& mo) {
  if constexpr (requires { p.response(); }) {
    const auto& o = p.options();
    const double lambda = o.l1 + o.l2;
    const Eigen::Index d = p.num_features();
    cs::LassoOptions lasso = oc.lasso;
    lasso.alpha = o.l1 / lambda, lasso.tolerance = oc.gap_tolerance, lasso.max_epochs = mo.max_iterations;
    const cs::LassoResult r = cs::lasso_cd_fit(p.design(), p.response(), lambda, p.sample_weights(), o.intercept, lasso, VecX<double>(x.head(d)));
    co::Summary s;
    s.initial_value = p.value(x);
    x.head(d) = r.w;
    if (o.intercept) x[d] = r.intercept;
    static_cast<co::Report&>(s) = r;  // status, iterations (coordinate passes), seconds, certificate
    s.message = fmt::format("lasso_cd: relative duality gap {:.3e} (tolerance {:.1e}), {} non-zeros, {} screened, last working set {}",
                            r.certificate.value, oc.gap_tolerance, r.nonzeros, r.screened, r.working_set);
    s.final_value = r.certificate.primal;
    s.value_evaluations = 1;
    s.final_grad_norm = std::numeric_limits<double>::quiet_NaN();  // non-smooth: the gap is the measure
    return s;
  } else {
    return {};  // unreachable: fit_problem's check_lasso_cd refused it
  }
}

template <class P>
constexpr bool is_logistic = false;
template <class Design>
constexpr bool is_logistic<cp::Logistic<double, Design>> = true;

/// `logistic_l1` / `logistic_ridge`: binary logistic regression with an l1 (l2) penalty alone,
/// with or without an intercept and row weights, solved by the certified solvers to a relative duality gap (docs/solvers.md); their
/// objective, mean log-loss + the penalty, is the problem's value.
template <class P>
void check_logistic_solver(const P& p, const std::string& type) {
  const std::string what = "[optimizer] type = \"" + type + "\"";
  if constexpr (is_logistic<P>) {
    const auto& o = p.options();
    const bool l1 = type == "logistic_l1";
    if (l1 && (o.l1 <= 0 || o.l2 != 0))
      throw ConfigError(what + " solves l1-penalized logistic regression: it needs [problem] l1 > 0 and l2 = 0 (with both, use type = \"fista\")");
    if (!l1 && (o.l2 <= 0 || o.l1 != 0))
      throw ConfigError(what + " solves l2-penalized logistic regression: it needs [problem] l2 > 0 and l1 = 0 (with both, use type = \"fista\")");
  } else {
    throw ConfigError(what + " is for [problem] type = \"logistic\"");
  }
}

template <class P>
co::Summary run_logistic_solver(const P& p, const OptimizerConfig& oc, VecX<double>& x, const co::MinimizeOptions& mo) {
  if constexpr (is_logistic<P>) {
    const auto& o = p.options();
    co::Summary s;
    s.initial_value = p.value(x);
    const Eigen::Index features = p.design().cols();  // x = (w, b) with an intercept
    auto take = [&](const auto& r) {  // either solver's answer into x, and its report with the certificate
      x.head(features) = r.w;
      if (o.intercept) x[features] = r.intercept;
      static_cast<co::Report&>(s) = r;
      s.final_value = r.certificate.primal;
    };
    if (oc.type == "logistic_l1") {
      using Design = std::decay_t<decltype(p.design())>;
      cs::LogisticL1Solver<Design> solver(p.design(), p.labels(), {.intercept = o.intercept, .tolerance = oc.gap_tolerance, .max_newton = mo.max_iterations},
                                          p.sample_weights());
      const auto r = solver.solve(o.l1, x.head(features), o.intercept ? std::optional<double>(x[features]) : std::nullopt);
      take(r);
      s.message = fmt::format("logistic_l1: relative duality gap {:.3e} (tolerance {:.1e}), {} non-zeros, last active set {}", r.certificate.value,
                              oc.gap_tolerance, r.nonzeros, r.working_set);
    } else {
      const cs::RidgeMethod method = oc.method == "newton_cholesky" ? cs::RidgeMethod::NewtonCholesky
                                     : oc.method == "newton_cg"     ? cs::RidgeMethod::NewtonCG
                                     : oc.method == "lbfgs"         ? cs::RidgeMethod::Lbfgs
                                                                    : cs::RidgeMethod::Auto;
      const auto r = cs::logistic_ridge(p.design(), p.labels(), o.l2,
                                        {.intercept = o.intercept, .tolerance = oc.gap_tolerance, .max_iterations = mo.max_iterations, .method = method},
                                        x, p.sample_weights());
      take(r);
      const char* used = r.method == cs::RidgeMethod::NewtonCholesky ? "newton_cholesky" : r.method == cs::RidgeMethod::NewtonCG ? "newton_cg" : "lbfgs";
      s.message = fmt::format("logistic_ridge ({}): relative duality gap {:.3e} (tolerance {:.1e})", used, r.certificate.value,
                              oc.gap_tolerance);
    }
    s.value_evaluations = 1;
    s.final_grad_norm = std::numeric_limits<double>::quiet_NaN();  // the gap is the measure
    return s;
  } else {
    return {};  // unreachable: fit_problem's check_logistic_solver refused it
  }
}

/// The coordinates a regularizer of `[problem]` acts on: every weight, no intercept.
template <class P>
Eigen::Array<bool, Eigen::Dynamic, 1> weight_coordinates(const P& p, const ProblemConfig& pc) {
  const Eigen::Index per = p.dim() / p.num_outputs();  // one column per output: weights, then the intercept
  Eigen::Array<bool, Eigen::Dynamic, 1> weights(p.dim());
  for (Eigen::Index a = 0; a < p.dim(); ++a) weights[a] = !(pc.intercept && a % per == per - 1);
  return weights;
}

/// The l1 term of `[problem] l1` as the regularizer of bcd (whose problem `p` is the smooth part).
template <class P>
cp::Restricted<cp::L1<double>> l1_term(const P& p, const ProblemConfig& pc) {
  return {{pc.l1}, weight_coordinates(p, pc)};
}

/// How far x is from a minimizer of f + r: ‖x − prox_r(x − ∇f(x))‖₂, 0 exactly at one and
/// ‖∇f(x)‖₂ without an l1 term (bcd's stationarity, the measure its [stop] tolerance tests).
template <class P>
double proximal_residual(const P& p, const cp::Restricted<cp::L1<double>>& r, const VecX<double>& x) {
  VecX<double> g(p.dim()), z(p.dim());
  cp::gradient(p, x, g);
  r.prox(VecX<double>(x - g), 1.0, z);
  return (x - z).norm();
}

/// `fista`: accelerated proximal gradient on the smooth part with the l1 term and the box
/// lower <= w <= upper on the weights (intercepts free; prox = clip ∘ soft-threshold, exact for
/// this pair, and without a box the clip changes no bit), step 1/L, until its gradient mapping is
/// at most [stop] tolerance (0: never), for [stop] max_iterations steps, or until [stop] time_limit.
template <class P>
co::Summary run_fista(const P& p, const RunConfig& c, VecX<double>& x) {
  const co::ProximalGradientOptions o{.max_iterations = c.stop.max_iterations,
                                      .kkt_tolerance = c.stop.tolerance > 0 ? c.stop.tolerance : std::numeric_limits<double>::denorm_min(),
                                      .time_limit = c.stop.time_limit};
  const cp::Restricted<cp::Sum<cp::L1<double>, cp::Box<double>>> term{
      cp::compose(cp::L1<double>{c.problem.l1}, cp::Box<double>{c.problem.lower, c.problem.upper}), weight_coordinates(p, c.problem)};
  auto res = co::proximal_gradient(p, term, x, static_cast<double>(p.lipschitz()), o);
  res.final_grad_norm = res.certificate.value;
  res.message = fmt::format("fista: gradient mapping L·|x - prox(x - g/L)| = {:.3e} ([stop] tolerance {:.1e})", res.certificate.value,
                            c.stop.tolerance);
  return res;
}

/// `bcd`: block coordinate descent (docs/bcd.md) on the coordinate form of the smooth part, with
/// the l1 term as a separable regularizer (proximal BCD, intercepts free) when l1 > 0. [stop] max_iterations
/// counts block updates; the exact f, the stopping tests and a history row come every
/// `evaluate_every` updates (0: every ⌈dim/τ⌉, about one pass over the coordinates).
/// The bcd driver for problem type Q, built from the config's names: refuses (naming the config
/// key) rules and updates Q cannot take. `what` says which problem it was.
template <class Q>
auto bcd_driver(const RunConfig& c, const co::BcdOptions& bo, const std::string& what) {
  try {
    return co::make_block_coordinate_descent<Q>(c.optimizer.bcd, bo);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(fmt::format("[optimizer] type = \"bcd\" on {}: {}", what, e.what()));
  }
}

/// bcd's options from [stop]: the exact f, the stopping tests and a history row come every
/// `evaluate_every` block updates (0: ⌈dim/τ⌉, about one pass over the coordinates).
co::BcdOptions bcd_options(const RunConfig& c, Eigen::Index dim) {
  if (c.optimizer.bcd.block_size > dim)
    throw ConfigError(fmt::format("[optimizer] key 'block_size' = {} is larger than the problem's {} coordinates", c.optimizer.bcd.block_size,
                                  dim));
  const long long every = c.stop.evaluate_every > 0 ? c.stop.evaluate_every : (dim + c.optimizer.bcd.block_size - 1) / c.optimizer.bcd.block_size;
  return {.max_iterations = c.stop.max_iterations, .gradient_tolerance = c.stop.tolerance,
          .relative_tolerance = c.stop.relative_tolerance, .time_limit = c.stop.time_limit,
          .check_every = every, .record_every = every, .seed = static_cast<unsigned long long>(c.seed)};
}

/// Runs `bcd` on F from x and returns its Summary; `residual(x)` is the stationarity measure of
/// the history and of grad_norm (the driver records f at its check points only).
template <class F, class Driver, class Residual>
co::Summary run_bcd_on(const F& problem, Driver bcd, const RunConfig& c, const co::BcdOptions& bo, VecX<double>& x, Residual&& residual) {
  co::Summary s;
  std::vector<double> residuals{residual(x)};
  const auto b = bcd.minimize(problem, x, [&](long long k, const VecX<double>& xk) {
    if (k % bo.check_every == 0) residuals.push_back(residual(xk));
  });
  for (std::size_t i = 0; i < b.history.size() && i < residuals.size(); ++i)
    s.history.push_back({b.history[i].iteration, b.history[i].seconds, b.history[i].value, residuals[i],
                         std::numeric_limits<double>::quiet_NaN()});
  const auto used = c.optimizer.bcd.resolved(co::CompositeProblem<F>);
  static_cast<co::Report&>(s) = b;  // status, iterations, seconds, certificate (proximal: the KKT residual)
  s.message = fmt::format("bcd ({} partition, blocks of {}, rule {}, update {}): {}", used.partition, used.block_size, used.rule,
                          used.update, b.message);
  s.initial_value = b.initial_value;
  s.final_value = b.final_value;
  s.initial_grad_norm = residuals.front();
  s.final_grad_norm = residual(x);
  s.value_evaluations = static_cast<long long>(b.history.size());
  s.gradient_evaluations = static_cast<long long>(residuals.size());
  return s;
}

/// `bcd`: block coordinate descent (docs/bcd.md) on the coordinate form of the smooth part, with
/// the l1 term as a separable regularizer (proximal BCD, intercepts free) when l1 > 0. [stop] max_iterations
/// counts block updates; `grad_norm` is ‖x − prox(x − ∇f)‖₂.
template <class P>
co::Summary run_bcd(const P& p, const RunConfig& c, VecX<double>& x, bool dry_run) {
  if constexpr (requires { cp::coordinate_form(p); }) {
    const bool composite = c.problem.l1 > 0;
    const co::BcdOptions bo = bcd_options(c, p.dim());
    using Smooth = decltype(cp::coordinate_form(p));
    using Proximal = co::Composite<Smooth, co::L1Penalty>;
    const std::string what = composite ? "a problem with an l1 term ([problem] l1 > 0)" : "a smooth problem ([problem] l1 = 0)";
    if (dry_run) {  // the checks without the coordinate form's copy of the data
      if (composite) bcd_driver<Proximal>(c, bo, what);
      else bcd_driver<Smooth>(c, bo, what);
      return {};
    }
    const auto reg = l1_term(p, c.problem);
    const auto residual = [&](const VecX<double>& xk) { return proximal_residual(p, reg, xk); };
    if (composite) {  // the intercepts are free of the l1 term
      std::vector<char> free(static_cast<std::size_t>(p.dim()));
      for (Eigen::Index a = 0; a < p.dim(); ++a) free[static_cast<std::size_t>(a)] = !reg.mask[a];
      const Proximal F(cp::coordinate_form(p), co::L1Penalty{c.problem.l1}, std::move(free));
      return run_bcd_on(F, bcd_driver<Proximal>(c, bo, what), c, bo, x, residual);
    }
    const auto F = cp::coordinate_form(p);
    return run_bcd_on(F, bcd_driver<Smooth>(c, bo, what), c, bo, x, residual);
  } else {
    throw ConfigError("[optimizer] type = \"bcd\" runs on one process (it needs every row); run it without mpirun");
  }
}

/// Calls fn(optimizer) with the configured step optimizer (every type but the gap solvers, bcd, fista).
template <class P, class Fn>
void with_optimizer(const P& p, const OptimizerConfig& oc, Fn&& fn) {
  if (oc.type == "gd") return fn(co::GradientDescent<double>{});
  if (oc.type == "adamw") return fn(co::AdamW<double>(oc.adamw));
  if (oc.type == "lion") {
    co::AnyKappa kappa = oc.kappa_object;
    kappa.reshape(p.dim() / p.num_outputs(), p.num_outputs());  // the nuclear κ sees W: (d [+1]) × outputs
    return fn(co::LionK<double, co::AnyKappa>(oc.lion, kappa));
  }
  return fn(co::Sgd<double>(oc.sgd));
}

/// The configured schedule; lr and end are multiplied by `unit` (1/L with per_lipschitz).
schedules::AnySchedule make_schedule(const ScheduleConfig& h, double unit, long long max_iterations) {
  namespace sc = convlab::schedules;
  const double lr = h.lr * unit, end = h.end * unit;
  const long long total = std::max<long long>(1, h.steps > 0 ? h.steps : max_iterations);
  const long long W = h.warmup_steps, inner = total - W;
  sc::AnySchedule s;
  if (h.type == "inverse_sqrt") return sc::inverse_sqrt(lr, W);
  if (h.type == "wsd")
    return sc::wsd(lr, total, W, h.cooldown_fraction, h.cooldown == "sqrt" ? sc::CooldownShape::Sqrt : sc::CooldownShape::Linear);
  if (h.type == "constant") s = sc::constant(lr);
  else if (h.type == "linear_decay") s = sc::linear_decay(lr, inner, end);
  else if (h.type == "cosine") s = sc::cosine(lr, inner, end, h.exponent);
  else if (h.type == "polynomial") s = sc::polynomial(lr, end, h.exponent, inner);
  else if (h.type == "step") s = sc::step(lr, h.step_size > 0 ? h.step_size : std::max<long long>(1, inner / 3), h.gamma);
  else if (h.type == "exponential") s = sc::exponential(lr, h.gamma, h.step_size > 0 ? h.step_size : std::max<long long>(1, inner / 3));
  else
    s = sc::one_cycle(lr, inner, h.shape == "linear" ? sc::OneCycleShape::Linear : sc::OneCycleShape::Cosine, h.pct_start,
                      h.div, h.final_div);
  if (W > 0) return sc::warmup(std::move(s), W);
  return s;
}

/// The step sizes η_0..η_{steps−1} a schedule gave.
std::vector<double> steps_of(const schedules::AnySchedule& sched, std::size_t steps) {
  std::vector<double> eta(steps);
  for (std::size_t t = 0; t < steps; ++t) eta[t] = sched(static_cast<std::int64_t>(t));
  return eta;
}

/// final_iterate_bound for a run of plain steps: G at the returned x is one more full gradient.
/// With a reference x*, the bound is at D = ‖x0 − x*‖ next to the suboptimality f(x) − f(x*);
/// without, the free last step is chosen at D = ‖x0 − x‖ (any choice is valid) and only the
/// form a + b·D² is reported.
template <class P>
FitResult::LastIterateBound bound_on_the_returned_iterate(const P& p, const std::pair<std::vector<double>, std::vector<double>>& run,
                                                          const FitResult& r, const VecX<double>& x0) {
  VecX<double> g(p.dim());
  const double f = static_cast<double>(cp::value_and_gradient(p, r.x, g));
  FitResult::LastIterateBound b;
  if (r.reference) {
    b.distance = (x0 - r.reference->x).norm();
    b.suboptimality = f - r.reference->value;
  }
  b.form = schedules::final_iterate_bound(run.first, run.second, g.norm(), r.reference ? b.distance : (x0 - r.x).norm());
  return b;
}

template <class P>
FitResult fit_problem(const P& p, const RunConfig& c, bool progress, bool dry_run) {
  constexpr bool network = std::is_same_v<P, cp::BlockedProblem<NetworkProblem>>;  // non-convex, step optimizers only (config.cpp)
  FitResult r;
  r.samples = p.num_samples();
  r.features = p.num_features();
  r.dim = p.dim();
  r.outputs = p.num_outputs();
  if constexpr (requires { p.layout(); }) {
    r.ranks = p.layout().ranks();
    r.row_blocks = p.layout().blocks();
  }
  if constexpr (network) r.lipschitz = std::numeric_limits<double>::quiet_NaN();
  else r.lipschitz = static_cast<double>(p.lipschitz());
  if (!c.x0.empty() && static_cast<Eigen::Index>(c.x0.size()) != p.dim())
    throw ConfigError(c.x0_origin + ": [init] key 'x0' has " + std::to_string(c.x0.size()) + " entries, but the problem has dimension " +
                      std::to_string(p.dim()) + " (" +
                      (network ? "the network's parameters" : std::to_string(p.num_features()) + " features" +
                                                                 (c.problem.intercept ? " + intercept" : "") +
                                                                 (p.num_outputs() > 1 ? ", x " + std::to_string(p.num_outputs()) + " outputs" : "")) +
                      ")");
  if (!c.x0.empty()) r.x = Eigen::Map<const VecX<double>>(c.x0.data(), p.dim());
  else if constexpr (network) r.x = p.blocks().front().initial_parameters(static_cast<std::uint64_t>(c.seed));  // x = 0 is a saddle point
  else r.x = VecX<double>::Zero(p.dim());
  // Every check a run makes, made before `validate` returns (dry_run) too.
  if (c.optimizer.batch_size > r.samples)
    throw ConfigError(fmt::format("[optimizer] key 'batch_size' = {} is larger than the number of samples ({}) in '{}'",
                                  c.optimizer.batch_size, r.samples, c.problem.data));
  if constexpr (!network) {
    if (c.optimizer.type == "lasso_cd") check_lasso_cd(p);
    if (c.optimizer.type == "logistic_l1" || c.optimizer.type == "logistic_ridge") check_logistic_solver(p, c.optimizer.type);
    if (c.optimizer.type == "bcd") run_bcd(p, c, r.x, true);  // its rule, update and problem agree
  }
  if (c.optimizer.type == "fista" && c.stop.max_iterations < 1)
    throw ConfigError("[optimizer] type = \"fista\" needs [stop] max_iterations >= 1");
  if (c.schedule.type == "refined" && !c.schedule.from.empty()) {
    const auto norms = read_step_norms(c.schedule.from, c.schedule.refine.q == 1 ? "l1" : "l2");
    try {
      r.refined_shape = schedules::refine(norms, c.schedule.refine);
    } catch (const std::invalid_argument& e) {
      throw ConfigError("[schedule] from = '" + c.schedule.from + "': its gradient norms cannot be refined: " + e.what());
    }
    r.refined_from = c.schedule.from;
  }
  if (dry_run) return r;
  const double unit = c.schedule.per_lipschitz ? 1.0 / r.lipschitz : 1.0;
  r.lr0 = c.schedule.lr * unit;
  const co::MinimizeOptions mo{.max_iterations = c.stop.max_iterations,
                               .gradient_tolerance = c.stop.tolerance,
                               .relative_tolerance = c.stop.relative_tolerance,
                               .time_limit = c.stop.time_limit,
                               .batch_size = c.optimizer.batch_size,
                               .evaluate_every = c.stop.evaluate_every,
                               .seed = static_cast<unsigned long long>(c.seed)};
  // The bound of the refined-schedules paper covers plain steps x − η·g with full gradients (of a
  // convex problem: all of fit's step-optimizer problems are); their ‖g‖ are recorded for it.
  const bool plain_steps = !network && c.optimizer.batch_size == 0 &&
                           (c.optimizer.type == "gd" || (c.optimizer.type == "sgd" && c.optimizer.sgd.momentum == 0 &&
                                                         c.optimizer.sgd.weight_decay == 0));
  co::MinimizeOptions recording = mo;
  if (plain_steps) recording.record_step_norms = co::StepNorm::L2;
  std::optional<std::pair<std::vector<double>, std::vector<double>>> plain_run;  // η_t and ‖g_t‖ of every step
  const VecX<double> x0 = r.x;
  const auto& type = c.optimizer.type;
  if (is_gap_solver(type) || type == "bcd" || type == "fista") {  // solvers of the linear models
    if constexpr (!network) {
      if (type == "lasso_cd") r.summary = run_lasso_cd(p, c.optimizer, r.x, mo);
      else if (type == "bcd") r.summary = run_bcd(p, c, r.x, false);
      else if (type == "fista") r.summary = run_fista(p, c, r.x);
      else r.summary = run_logistic_solver(p, c.optimizer, r.x, mo);
    }
  } else if (c.schedule.type == "refined" && !c.schedule.from.empty()) {  // refine an earlier run's norms
    const schedules::AnySchedule sched = schedules::refined(r.refined_shape, c.schedule.lr * unit, c.stop.max_iterations);
    with_optimizer(p, c.optimizer, [&](const auto& opt) {
      r.summary = run_minimize(p, opt, r.x, recording, sched, progress);
    });
    if (plain_steps) plain_run = {steps_of(sched, r.summary.step_gradient_norms.size()), r.summary.step_gradient_norms};
  } else if (c.schedule.type == "refined") {  // two passes: linear decay recording ‖g‖, then refined
    const auto& h = c.schedule;
    with_optimizer(p, c.optimizer, [&](const auto& opt) {
      auto two = co::two_pass_refinement(p, opt, r.x, mo, (h.first_lr > 0 ? h.first_lr : h.lr) * unit, h.lr * unit, h.refine);
      r.summary = std::move(two.second);
      r.first_pass = std::move(two.first);
      r.first_pass->step_gradient_norms.clear();  // the shape is what the second pass used
      r.refined_shape = std::move(two.shape);
    });
    if (plain_steps && h.refine.q == 2) {  // the second pass recorded its steps' ‖g‖₂ (q = 1 records ‖g‖₁)
      const schedules::AnySchedule sched = schedules::refined(r.refined_shape, h.lr * unit, c.stop.max_iterations);
      plain_run = {steps_of(sched, r.summary.step_gradient_norms.size()), r.summary.step_gradient_norms};
    }
  } else {
    // A linear-decay run records every step's gradient norm, so that a later run can refine
    // them (`[schedule] from`); the norm is the one refine's q expects of this optimizer.
    if (c.schedule.type == "linear_decay") {
      const bool l1 = c.optimizer.type == "adamw" || c.optimizer.type == "lion";
      recording.record_step_norms = l1 ? co::StepNorm::L1 : co::StepNorm::L2;
      r.step_norm = l1 ? "l1" : "l2";
    }
    const schedules::AnySchedule sched = make_schedule(c.schedule, unit, c.stop.max_iterations);
    with_optimizer(p, c.optimizer, [&](const auto& opt) { r.summary = run_minimize(p, opt, r.x, recording, sched, progress); });
    if (plain_steps) plain_run = {steps_of(sched, r.summary.step_gradient_norms.size()), r.summary.step_gradient_norms};
    if (c.schedule.type == "linear_decay") r.step_norms = std::move(r.summary.step_gradient_norms);
  }
  if constexpr (!network) {
    if (c.reference != "none") {
      auto& cache = reference_cache();
      const std::string key = problem_key(c);
      if (!cache.count(key)) cache.emplace(key, compute_reference(p, c));
      r.reference = cache.at(key);
    }
  }
  if (plain_run && !plain_run->first.empty() && r.summary.status != co::Status::NonFinite)
    r.last_iterate_bound = bound_on_the_returned_iterate(p, *plain_run, r, x0);
  return r;
}

}  // namespace

namespace {
/// `quantile_lp`: one exact LP per level (quantile/quantile_regression.hpp), each certified optimal
/// by Koenker's subgradient condition. The objective per level is the mean pinball loss +
/// l1·‖w‖₁ (the scale of the other problems), so the LP gets the penalty n·l1; the intercept
/// is not penalized. x holds one (d [+1]) column per level, the layout of a multinomial model.
/// With row weights sᵢ the mean is Σ sᵢρ_τ(rᵢ)/Σs: since sᵢρ_τ(r) = ρ_τ(sᵢr), the LP gets the rows
/// of positive weight scaled by sᵢ (intercept column included) and the penalty Σs·l1.
FitResult fit_quantile(const RunConfig& c, MatX<double> X, const VecX<double>& y, const VecX<double>& w, bool dry_run) {
  const auto& pc = c.problem;
  FitResult r;
  const Eigen::Index n = X.rows(), d = X.cols(), p = d + (pc.intercept ? 1 : 0), T = static_cast<Eigen::Index>(pc.taus.size());
  r.samples = n, r.features = d, r.outputs = T, r.dim = p * T;
  if (dry_run) return r;
  if (pc.standardize) r.standardization = cp::standardize(X);
  std::vector<Eigen::Index> rows;  // the rows the LP sees: those of positive weight
  for (Eigen::Index i = 0; i < n; ++i)
    if (!w.size() || w[i] > 0) rows.push_back(i);
  const Eigen::Index m = static_cast<Eigen::Index>(rows.size());
  MatX<double> A(m, p);  // the LP's design: the unpenalized intercept column first
  VecX<double> b(m);
  for (Eigen::Index k = 0; k < m; ++k) {
    const Eigen::Index i = rows[static_cast<std::size_t>(k)];
    const double s = w.size() ? w[i] : 1.0;
    if (pc.intercept) A(k, 0) = s;
    A.row(k).tail(d) = s * X.row(i);
    b[k] = s * y[i];
  }
  const double total = w.size() ? w.sum() : static_cast<double>(n);
  const auto start = std::chrono::steady_clock::now();
  r.x.resize(r.dim);
  auto& s = r.summary;
  s.status = co::Status::KktResidual;  // each level at a vertex certified by its subgradient condition
  s.certificate = co::kkt_residual_certificate(0, quantile::QuantileRegressionResult::kVertexTolerance);
  s.initial_value = s.final_value = 0;
  std::string levels;
  for (Eigen::Index k = 0; k < T; ++k) {
    const double tau = pc.taus[static_cast<std::size_t>(k)];
    const auto q = quantile::quantile_regression(A, b, tau, {}, pc.l1 * total, pc.intercept ? 1 : 0);
    r.x.segment(k * p, d) = q.beta.tail(d);
    if (pc.intercept) r.x[k * p + d] = q.beta[0];
    s.initial_value += quantile::quantile_objective(A, b, VecX<double>::Zero(p), tau) / total;
    s.final_value += quantile::quantile_objective(A, b, q.beta, tau) / total + pc.l1 * q.beta.tail(d).lpNorm<1>();
    s.iterations += q.iterations;
    if (q.at_vertex()) s.certificate.value = std::max(s.certificate.value, q.certificate.value);
    else s.status = co::Status::MaxIterations, s.certificate = {};  // a level certified only by the LP's gap
    levels += fmt::format("{}τ = {}: {}", levels.empty() ? "" : "; ", tau,
                          q.at_vertex() ? "certified vertex" : fmt::format("not certified, LP gap {:.1e}", q.certificate.value));
  }
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.value_evaluations = 1;
  s.final_grad_norm = std::numeric_limits<double>::quiet_NaN();  // non-smooth: the certificate is the measure
  s.message = "quantile_lp (sum over levels of mean pinball loss + l1·|w|): " + levels;
  return r;
}

/// `presto`: the cumulative-logit model (docs/presto.md) as proportional odds (λ = ∞, ψ_1
/// unpenalized), the non-parallel MLE (λ = 0) or PRESTO at λ or with λ by K-fold CV. x holds one
/// column per threshold k — its weights β_k, then α_k — so a model's linear predictors η_k are
/// predict's columns, with the layout of a multinomial model with intercepts.
FitResult fit_ordinal(const RunConfig& c, MatX<double> X, const VecX<double>& y, const VecX<double>& w, bool dry_run) {
  const auto& pc = c.problem;
  FitResult r;
  const long long K = pc.num_classes > 0 ? pc.num_classes : std::max(2LL, y.size() ? std::llround(y.maxCoeff()) : 0);
  if (K > X.rows())  // also bounds what a stray label like 2e9 makes us allocate
    throw ConfigError(fmt::format("[problem] data '{}': labels go up to class {} but the data has {} rows", pc.data, K, X.rows()));
  const Eigen::Index d = X.cols();
  r.samples = X.rows(), r.features = d, r.outputs = K - 1, r.dim = (d + 1) * (K - 1);
  const cp::CumulativeLogit labels_checked(X, y, static_cast<int>(K), w);  // labels 1 … K, or a clear error
  if (w.size() && pc.model == "presto" && !(pc.lambda > 0))  // CV splits the counted observations into folds
    for (Eigen::Index i = 0; i < w.size(); ++i)
      if (w[i] != std::floor(w[i]) || w[i] > 1e8)
        throw ConfigError(fmt::format("[problem] weights: λ by cross-validation splits observations into folds, so the weights must be "
                                      "integer counts up to 1e8, but column '{}' of '{}' holds {} in row {} (counting data rows from 1); "
                                      "set lambda > 0, or model = \"proportional_odds\" or \"non_parallel\"",
                                      pc.weights, pc.data, w[i], i + 1));
  if (dry_run) return r;
  if (pc.standardize) r.standardization = cp::standardize(X);
  const auto start = std::chrono::steady_clock::now();
  cs::PrestoFit fit;
  std::string how;
  if (pc.model == "proportional_odds") {
    fit = cs::presto_fit(X, y, static_cast<int>(K), std::numeric_limits<double>::infinity(), {.penalize_first = false}, w);
    how = "proportional odds";
  } else if (pc.model == "non_parallel") {
    fit = cs::presto_fit(X, y, static_cast<int>(K), 0.0, {}, w);
    how = "non-parallel MLE";
  } else if (pc.lambda > 0) {
    fit = cs::presto_fit(X, y, static_cast<int>(K), pc.lambda, {}, w);
    how = fmt::format("PRESTO at λ = {}", pc.lambda);
  } else {
    const auto cv = cs::presto_cv(X, y, static_cast<int>(K), {.folds = static_cast<int>(pc.folds), .seed = static_cast<unsigned long long>(c.seed),
                                                             .path = {.n_lambdas = static_cast<int>(pc.n_lambdas), .ratio = pc.lambda_ratio, .presto = {}}},
                                  w);
    fit = cv.fit;
    how = fmt::format("PRESTO at λ = {:.6g}, chosen by {}-fold CV over {} values (mean Brier {:.6g})", fit.lambda, pc.folds,
                      cv.lambdas.size(), cv.mean_brier[cv.chosen]);
    r.solver["cv_mean_brier"] = cv.mean_brier[cv.chosen];
  }
  r.x.resize(r.dim);
  for (Eigen::Index k = 0; k + 1 < K; ++k) r.x.segment(k * (d + 1), d) = fit.beta.col(k), r.x[k * (d + 1) + d] = fit.alpha[k];
  auto& s = r.summary;
  static_cast<co::Report&>(s) = fit;  // status, Newton steps, certificate (the KKT residual)
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  s.final_value = fit.objective;
  s.initial_value = labels_checked.value(labels_checked.null_start());  // the intercept-only model
  s.final_grad_norm = fit.certificate.value;
  s.message = fmt::format("presto: {}; KKT residual {:.2e}, {} Newton steps", how, fit.certificate.value, fit.iterations);
  r.solver["classes"] = static_cast<double>(K);
  r.solver["kkt_residual"] = fit.certificate.value;
  r.solver["nonzero_differences"] = static_cast<double>(fit.nonzero_differences);
  if (std::isfinite(fit.lambda)) r.solver["lambda"] = fit.lambda;  // proportional odds: λ = ∞
  if (fit.separation)
    r.warning = fmt::format("the maximum-likelihood fit does not exist: {} training rows are fitted with probability 1 and the "
                            "weights grow without end (separation); penalize (model = \"presto\" with lambda > 0) or drop the separating feature",
                            fit.saturated_rows);
  else if (fit.on_boundary)
    r.warning = "stopped on the edge of the valid region: a larger step would make the cumulative curves cross on a training row";
  return r;
}

/// A node id of a column of an edge or label file: an integer in [0, 2^31).
Eigen::Index node_id(double v, const std::string& file, const std::string& column, Eigen::Index row) {
  if (!(v >= 0 && v < 2147483648.0 && v == std::floor(v)))
    throw convlab::DataError(file, 0, "column '" + column + "'",
                             fmt::format("row {} (counting data rows from 1) = {} is not a node id (an integer >= 0)", row + 1, v));
  return static_cast<Eigen::Index>(v);
}

/// `label_propagation` (docs/configs.md): the edge list (source, target[, weight]) and the
/// labelled nodes (node, label) become problems::label_propagation's quadratic over the
/// unlabelled nodes, solved by bcd; reference = "newton" is one sparse LDLT solve of it.
FitResult fit_label_propagation(const RunConfig& c, bool dry_run) {
  const auto& pc = c.problem;
  const auto edges = cp::load_csv(pc.data, {.response = "target", .features = {"source"}, .weights = pc.weights});
  const auto labels = cp::load_csv(pc.labels, {.response = "label", .features = {"node"}});
  Eigen::Index n = 0;
  std::vector<Eigen::Triplet<double>> w;
  for (Eigen::Index e = 0; e < edges.y.size(); ++e) {
    const Eigen::Index a = node_id(edges.X(e, 0), pc.data, "source", e), b = node_id(edges.y[e], pc.data, "target", e);
    n = std::max({n, a + 1, b + 1});
    const double we = edges.weights.size() ? edges.weights[e] : 1.0;
    if (a == b || we == 0) continue;  // a loop or a zero weight couples nothing
    w.emplace_back(a, b, we);
    w.emplace_back(b, a, we);
  }
  std::vector<Eigen::Index> labelled;
  for (Eigen::Index i = 0; i < labels.y.size(); ++i) {
    labelled.push_back(node_id(labels.X(i, 0), pc.labels, "node", i));
    n = std::max(n, labelled.back() + 1);
  }
  if (labelled.empty()) throw ConfigError("[problem] labels = '" + pc.labels + "': no labelled node");
  Eigen::SparseMatrix<double> W(n, n);
  W.setFromTriplets(w.begin(), w.end());  // an edge listed twice (either direction) adds its weights
  // Every node must reach a labelled one, or its value is undetermined (M singular).
  std::vector<char> reached(static_cast<std::size_t>(n), 0);
  std::vector<Eigen::Index> queue;
  for (Eigen::Index v : labelled)
    if (!reached[v]) reached[v] = 1, queue.push_back(v);
  for (std::size_t q = 0; q < queue.size(); ++q)
    for (Eigen::SparseMatrix<double>::InnerIterator it(W, queue[q]); it; ++it)
      if (!reached[it.row()]) reached[it.row()] = 1, queue.push_back(it.row());
  if (const auto lost = std::find(reached.begin(), reached.end(), 0); lost != reached.end())
    throw ConfigError(fmt::format("[problem] data = '{}': node {} is not connected to any labelled node of '{}', so its value is "
                                  "undetermined; label a node of its component or drop it",
                                  pc.data, lost - reached.begin(), pc.labels));
  cp::LabelPropagation<double> lp = [&] {
    try {
      return cp::label_propagation(W, labelled, labels.y);
    } catch (const std::invalid_argument& e) {
      throw ConfigError("[problem] labels = '" + pc.labels + "': " + e.what());
    }
  }();
  const auto& f = lp.problem;
  FitResult r;
  r.samples = n, r.features = 0, r.dim = f.dim(), r.outputs = 1;
  r.solver["nodes"] = static_cast<double>(n);
  r.solver["edges"] = static_cast<double>(W.nonZeros() / 2);
  r.solver["labelled"] = static_cast<double>(labelled.size());
  const co::BcdOptions bo = bcd_options(c, f.dim());
  auto bcd = bcd_driver<cp::GraphQuadratic<double>>(c, bo, "label_propagation");
  if (dry_run) return r;
  if (!c.x0.empty() && static_cast<Eigen::Index>(c.x0.size()) != f.dim())
    throw ConfigError(c.x0_origin + ": [init] key 'x0' has " + std::to_string(c.x0.size()) + " entries, but the graph has " +
                      std::to_string(f.dim()) + " unlabelled nodes");
  r.x = c.x0.empty() ? VecX<double>::Zero(f.dim()) : VecX<double>(Eigen::Map<const VecX<double>>(c.x0.data(), f.dim()));
  const auto gradient_norm = [&](const VecX<double>& x) {
    VecX<double> g(x.size());
    f.gradient(x, g);
    return g.norm();
  };
  r.summary = run_bcd_on(f, std::move(bcd), c, bo, r.x, gradient_norm);
  if (c.reference != "none") {
    Eigen::SimplicialLDLT<Eigen::SparseMatrix<double>> ldlt(f.matrix());
    VecX<double> xs = ldlt.solve(f.linear_term());
    if (ldlt.info() != Eigen::Success) throw ConfigError("[problem] label_propagation: the sparse LDLT solve failed");
    r.reference = Reference{.method = "newton", .value = f.value(xs), .x = xs, .grad_norm = gradient_norm(xs)};
  }
  // every node's value, for propagated.csv: the labels, and x on the unlabelled nodes
  r.node_values.assign(static_cast<std::size_t>(n), 0.0);
  r.node_labelled.assign(static_cast<std::size_t>(n), 1);
  for (std::size_t t = 0; t < labelled.size(); ++t) r.node_values[labelled[t]] = labels.y[static_cast<Eigen::Index>(t)];
  for (std::size_t u = 0; u < lp.unlabelled.size(); ++u) {
    r.node_values[lp.unlabelled[u]] = r.x[static_cast<Eigen::Index>(u)];
    r.node_labelled[lp.unlabelled[u]] = 0;
  }
  return r;
}

cp::CsvOptions csv_options(const ProblemConfig& pc) {
  return {.response = pc.response, .features = pc.features, .exclude = pc.exclude, .weights = pc.weights};
}

/// `mlp` / `cnn` (docs/configs.md, "Networks"): the network of network_model.hpp over the rows,
/// standardized if asked, trained by the configured step optimizer and schedule from a seeded
/// initialization. Classes: num_classes, or the largest label + 1. The rows are cut into
/// `row_blocks` blocks whatever the rank count (mpirun: every rank reads its blocks' rows), so
/// one process and any number of ranks up to row_blocks compute the same bits, as for the
/// linear models (docs/distributed.md).
FitResult fit_network(const RunConfig& c, bool progress, bool dry_run) {
#ifdef CONVLAB_EXPERIMENTS_TORCH
  const auto& pc = c.problem;
  const bool csv = pc.format == "csv";
  const auto rows_per_block = [&](long long rows) { return static_cast<Eigen::Index>((rows + pc.row_blocks - 1) / pc.row_blocks); };
  std::shared_ptr<const cp::BlockExchange> ex = std::make_shared<cp::LocalExchange>();
  cp::DenseDataset ds;
  std::optional<cp::BlockLayout> layout;
#ifdef CONVLAB_EXPERIMENTS_MPI
  if (mpi_session::size() > 1) {  // every rank reads only its rows
    namespace cm = convlab::mpi;
    const long long rows = cm::count_data_rows(pc.data, MPI_COMM_WORLD, csv ? cm::detail::RowSyntax::Csv : cm::detail::RowSyntax::Libsvm);
    const Eigen::Index blocks = cp::BlockLayout(rows, 1, rows_per_block(rows)).blocks();
    if (blocks < mpi_session::size())
      throw ConfigError(fmt::format("[problem] row_blocks = {}: the {} rows of '{}' make {} row block{}, fewer than the {} ranks; set row_blocks "
                                    ">= {} (any rank count up to row_blocks gives the same bits)",
                                    pc.row_blocks, rows, pc.data, blocks, blocks == 1 ? "" : "s", mpi_session::size(), mpi_session::size()));
    ex = std::make_shared<cm::MpiExchange>(MPI_COMM_WORLD);
    if (csv) {
      auto shard = cm::read_csv_shard(pc.data, MPI_COMM_WORLD, csv_options(pc), rows_per_block(rows));
      ds = std::move(shard.data), layout = shard.layout;
    } else {
      auto shard = cm::read_libsvm_shard(pc.data, MPI_COMM_WORLD, {.zero_based = pc.zero_based}, rows_per_block(rows));
      ds.X = shard.data.X.toDense(), ds.y = std::move(shard.data.y), layout = shard.layout;
    }
  }
#endif
  if (!layout) {
    if (csv) {
      ds = cp::load_csv(pc.data, csv_options(pc));
    } else {
      auto sparse = cp::load_libsvm(pc.data, {.zero_based = pc.zero_based});
      ds.X = sparse.X.toDense(), ds.y = std::move(sparse.y);
    }
    layout = cp::BlockLayout(ds.X.rows(), 1, rows_per_block(ds.X.rows()));
  }
  require_positive_weight(pc, ds.weights, *ex);
  const bool classes = pc.network.loss == "cross_entropy";
  const long long K = !classes ? 1 : pc.num_classes > 0 ? pc.num_classes : std::max(2LL, ex->max(ds.y.size() ? std::llround(ds.y.maxCoeff()) : 0) + 1);
  if (K > layout->rows() + 1)  // also bounds what a stray label like 2e9 makes us allocate
    throw ConfigError(fmt::format("[problem] data '{}': labels go up to class {} but the data has {} rows", pc.data, K - 1, layout->rows()));
  if (classes) {  // the first row, over every rank, whose label is not a class
    const long long none = std::numeric_limits<long long>::min();
    long long bad = none;  // −(the row), for ex.max
    for (Eigen::Index i = 0; i < ds.y.size() && bad == none; ++i)
      if (!(ds.y[i] >= 0 && ds.y[i] < static_cast<double>(K) && ds.y[i] == std::floor(ds.y[i]))) bad = -(layout->first_row(ex->rank()) + i + 1);
    if (const long long b = ex->max(bad); b != none)
      throw ConfigError(fmt::format("[problem] data '{}': row {} (counting data rows from 1) has a label other than the classes 0 … {} "
                                    "cross_entropy takes",
                                    pc.data, -b, K - 1));
  }
  std::optional<cp::Standardization> standardization;
  if (pc.standardize) standardization = cp::standardize_blocks(ds.X, *layout, *ex);
  auto blocks = [&] {
    try {
      return cp::split_into_blocks(ds.X, ds.y, ds.weights, *layout, ex->rank(), [&](MatX<double> X, const VecX<double>& y, const VecX<double>& w) {
        return NetworkProblem(pc.network, X, y, K, w);
      });
    } catch (const std::invalid_argument& e) {
      throw ConfigError("[problem] data '" + pc.data + "': " + e.what());
    }
  }();
  auto r = fit_problem(cp::BlockedProblem<NetworkProblem>(std::move(blocks), *layout, ex), c, progress, dry_run);
  r.standardization = std::move(standardization);
  r.feature_names = std::move(ds.feature_names);
  return r;
#else
  (void)progress, (void)dry_run;
  throw ConfigError("[problem] type = \"" + c.problem.type + "\" needs LibTorch, and this convlab was built without it "
                    "(install libtorch-dev and configure with CONVLAB_WITH_TORCH=ON)");
#endif
}

FitResult run_fit_unnamed(const RunConfig& c, bool show_progress, bool dry_run) {
  const auto fit = [&](const auto& p) { return fit_problem(p, c, show_progress, dry_run); };
  const bool csv = c.problem.format == "csv", gap_solver = is_gap_solver(c.optimizer.type), solver = !solver_for(c.problem.type).empty();
  const bool bcd = c.optimizer.type == "bcd";
  if (c.problem.is_network()) return fit_network(c, show_progress, dry_run);
  if (c.problem.type == "label_propagation") {
    if (mpi_session::size() > 1) throw ConfigError("[problem] type = \"label_propagation\" runs on one process; run it without mpirun");
    return fit_label_propagation(c, dry_run);
  }
  // bcd and fista take [problem] l1 as a regularizer of their own: their problem is the smooth part.
  ProblemConfig pc = c.problem;
  if (bcd || c.optimizer.type == "fista") pc.l1 = 0;
  if ((gap_solver || bcd || solver) && mpi_session::size() > 1)
    throw ConfigError("[optimizer] type = \"" + c.optimizer.type + "\" runs on one process (it needs every row); run it without mpirun");
  if (solver) {  // dense, one process: quantile_lp or presto
    const auto fit_dense = [&](MatX<double> X, const VecX<double>& y, const VecX<double>& w) {
      return c.problem.type == "quantile" ? fit_quantile(c, std::move(X), y, w, dry_run) : fit_ordinal(c, std::move(X), y, w, dry_run);
    };
    if (csv) {
      auto ds = cp::load_csv(c.problem.data, csv_options(c.problem));
      require_positive_weight(c.problem, ds.weights, cp::LocalExchange{});
      auto r = fit_dense(std::move(ds.X), ds.y, ds.weights);
      r.feature_names = std::move(ds.feature_names);
      return r;
    }
    const auto ds = cp::load_libsvm(c.problem.data, {.zero_based = c.problem.zero_based});
    return fit_dense(ds.X.toDense(), ds.y, {});
  }
#ifdef CONVLAB_EXPERIMENTS_MPI
  if (mpi_session::size() > 1) {  // every rank reads only its rows
    const auto ex = std::make_shared<convlab::mpi::MpiExchange>(MPI_COMM_WORLD);
    if (csv) {
      auto shard = convlab::mpi::read_csv_shard(c.problem.data, MPI_COMM_WORLD, csv_options(c.problem));
      auto names = std::move(shard.data.feature_names);
      auto r = with_blocked_problem(pc, std::move(shard.data.X), shard.data.y, shard.data.weights, shard.layout, ex, fit);
      r.feature_names = std::move(names);
      return r;
    }
    auto shard = convlab::mpi::read_libsvm_shard(c.problem.data, MPI_COMM_WORLD, {.zero_based = c.problem.zero_based});
    return with_blocked_problem(pc, std::move(shard.data.X), shard.data.y, {}, shard.layout, ex, fit);
  }
#endif
  // One process: the whole file, blocked like an MPI run (the gap solvers and bcd need the plain design).
  const auto on_data = [&](auto X, const VecX<double>& y, const VecX<double>& w) {
    if (gap_solver || bcd) return with_problem(pc, std::move(X), y, w, fit);
    const cp::BlockLayout layout(X.rows(), 1);
    return with_blocked_problem(pc, std::move(X), y, w, layout, std::make_shared<cp::LocalExchange>(), fit);
  };
  if (csv) {
    auto ds = cp::load_csv(c.problem.data, csv_options(c.problem));
    auto r = on_data(std::move(ds.X), ds.y, ds.weights);
    r.feature_names = std::move(ds.feature_names);
    return r;
  }
  auto ds = cp::load_libsvm(c.problem.data, {.zero_based = c.problem.zero_based});
  return on_data(std::move(ds.X), ds.y, {});
}
}  // namespace

FitResult run_fit(const RunConfig& c, bool show_progress, bool dry_run) {
  // Errors found while building and checking the problem name the config they come from
  // (DataError names the data file and line already).
  const auto named = [&](const std::string& what) { return what.rfind(c.file, 0) == 0 ? what : c.file + ": " + what; };
  try {
    return run_fit_unnamed(c, show_progress, dry_run);
  } catch (const ConfigError& e) {
    throw ConfigError(named(e.what()));
  } catch (const std::invalid_argument& e) {  // convlab::InvalidArgument from the library
    throw ConfigError(named(e.what()));
  }
}

}  // namespace convlab::experiments
