#pragma once
// One run: problem + data + optimizer + schedule + stopping rule, from a RunConfig.
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <convlab/optim/summary.hpp>
#include <convlab/problems/concepts.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/schedules/bound.hpp>

#include "config/config.hpp"

namespace convlab::experiments {

/// The optimum a run is compared to, computed by an independent method.
struct Reference {
  std::string method;  // newton | lbfgs
  double value = 0;
  VecX<double> x;
  double grad_norm = 0;
};

struct FitResult {
  optim::Summary summary;
  VecX<double> x;
  double lipschitz = 0;  // global bound of the smooth part
  double lr0 = 0;        // the learning rate the schedule starts from (after per_lipschitz)
  Eigen::Index samples = 0, features = 0, dim = 0;
  Eigen::Index outputs = 1;  // columns of the coefficient matrix: classes (multinomial) or 1
  std::optional<problems::Standardization> standardization;  // applied to the features before the fit
  std::map<std::string, double> solver;  // facts of a model-specific solver (summary.json "solver")
  std::string warning;                   // why the answer may not be the optimum (summary.json "warning")
  std::vector<std::string> feature_names;  // CSV data: the feature columns, in the order of x
  int ranks = 1;                 // MPI ranks the rows were spread over
  Eigen::Index row_blocks = 0;   // blocks of rows the sums run over (0: lasso_cd, unblocked)
  std::optional<Reference> reference;
  std::optional<optim::Summary> first_pass;  // schedule "refined": the linear-decay pass
  std::vector<double> refined_shape;          // ... and the shape it gave (max 1)
  std::string refined_from;                   // ... or the earlier run folder whose norms it refined
  std::vector<double> step_norms;             // schedule "linear_decay": every step's gradient norm,
  std::string step_norm;                      // "l2", or "l1" for adamw and lion (refine's q = 1)
  /// Runs of plain steps x − η·g on full batches (gd; sgd without momentum or weight decay): the
  /// refined-schedules paper's bound on the returned iterate, f(x_T) − f* ≤ a + b·D² with
  /// D = ‖x0 − x*‖; the distance and the suboptimality when a reference gives x* (else NaN).
  struct LastIterateBound {
    schedules::FinalIterateBound form;
    double distance = std::numeric_limits<double>::quiet_NaN();
    double suboptimality = std::numeric_limits<double>::quiet_NaN();
  };
  std::optional<LastIterateBound> last_iterate_bound;
  std::vector<double> node_values;  // label_propagation: every node's value (propagated.csv)
  std::vector<char> node_labelled;  // ... and whether it was a labelled node
};

/// Loads the data, builds everything, runs minimize and (if asked) the reference solver.
/// With `dry_run`, stops after the checks that need the data (sizes, labels, x0).
/// Throws ConfigError / DataError / InvalidArgument for bad input.
FitResult run_fit(const RunConfig& config, bool show_progress, bool dry_run = false);

}  // namespace convlab::experiments
