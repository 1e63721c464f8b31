#pragma once
/// \file
/// What every run reports: `Report` (why it stopped, iterations, seconds, a certificate) is the
/// one result type that `minimize`'s `Summary`, block coordinate descent and every certified
/// solver (docs/solvers.md) derive from; each adds only what its model needs.

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace convlab::optim {

enum class Status {
  GradientTolerance,  ///< ‖∇f‖₂ <= gradient_tolerance
  RelativeDecrease,   ///< |f_k − f_{k−1}| <= relative_tolerance·max(1, |f_k|) (full batch only)
  MaxIterations,      ///< the iteration budget is spent
  TimeLimit,          ///< the wall-clock budget is spent
  CallbackStop,       ///< a callback asked to stop (e.g. early stopping)
  NonFinite,          ///< f or ∇f became NaN/Inf; x holds the last finite iterate
  TargetValue,        ///< f <= the requested target value (block coordinate descent)
  DualityGap,         ///< the relative duality gap is below its tolerance (the certified solvers)
  KktResidual,        ///< the KKT residual is below its tolerance (PRESTO, proximal gradient)
  NoSolution,         ///< the problem has no finite minimizer (PRESTO's separation; see the message)
};

inline const char* to_string(Status s) {
  switch (s) {
    case Status::GradientTolerance: return "gradient_tolerance";
    case Status::RelativeDecrease: return "relative_decrease";
    case Status::MaxIterations: return "max_iterations";
    case Status::TimeLimit: return "time_limit";
    case Status::CallbackStop: return "callback_stop";
    case Status::NonFinite: return "non_finite";
    case Status::TargetValue: return "target_value";
    case Status::DualityGap: return "duality_gap";
    case Status::KktResidual: return "kkt_residual";
    case Status::NoSolution: return "no_solution";
  }
  return "unknown";
}

/// A bound on how far an answer is from optimal, computed from the answer itself.
struct Certificate {
  enum class Kind {
    None,         ///< the run is not certified (minimize's step optimizers)
    DualityGap,   ///< value = (P − D)/P from a feasible dual point: P − min P ≤ value·P
                  ///< (the interior-point LP: |P − D|/(1 + |P|), docs/solvers.md)
    KktResidual,  ///< value = the optimality conditions' residual (PRESTO, proximal gradient)
  };
  Kind kind = Kind::None;
  double value = std::numeric_limits<double>::quiet_NaN();      ///< the relative gap or the residual
  double tolerance = std::numeric_limits<double>::quiet_NaN();  ///< what the run was asked for
  double primal = std::numeric_limits<double>::quiet_NaN();     ///< P (DualityGap)
  double dual = std::numeric_limits<double>::quiet_NaN();       ///< D (DualityGap)

  bool certified() const { return kind != Kind::None; }
  /// The certificate meets its tolerance.
  bool holds() const { return certified() && value <= tolerance; }
};

/// A KKT-residual certificate (proximal gradient, proximal BCD, PRESTO, quantile vertices).
inline Certificate kkt_residual_certificate(double residual, double tolerance) {
  return {.kind = Certificate::Kind::KktResidual, .value = residual, .tolerance = tolerance};
}

inline const char* to_string(Certificate::Kind k) {
  switch (k) {
    case Certificate::Kind::None: return "none";
    case Certificate::Kind::DualityGap: return "duality_gap";
    case Certificate::Kind::KktResidual: return "kkt_residual";
  }
  return "unknown";
}

/// The part of a result every solver and driver has. A solver's own result type derives from it
/// and adds its model (coefficients, thresholds, …) and its own counters.
struct Report {
  Status status = Status::MaxIterations;
  std::string message;      ///< why it stopped, in words (empty when the status says it all)
  long long iterations = 0; ///< the solver's unit of work: steps, coordinate passes, Newton steps
  double seconds = 0;
  Certificate certificate;  ///< Kind::None unless the solver certifies its answer

  /// Stopped because a convergence test passed (a tolerance, a target value or the certificate),
  /// not because a budget ran out, a callback stopped it or the values became NaN/Inf.
  bool converged() const {
    return status == Status::GradientTolerance || status == Status::RelativeDecrease || status == Status::TargetValue ||
           status == Status::DualityGap || status == Status::KktResidual;
  }
};

/// One row of the history: the state at the start of iteration `iteration`, before its step.
struct IterationRecord {
  long long iteration = 0;
  double seconds = 0;    ///< since the start of the run
  double value = 0;      ///< f(x) over all samples
  double grad_norm = 0;  ///< ‖∇f(x)‖₂ over all samples
  double lr = 0;         ///< the learning rate this iteration's step uses
};

/// What `minimize` returns (iterations: steps taken).
struct Summary : Report {
  long long value_evaluations = 0;     ///< full-objective evaluations
  long long gradient_evaluations = 0;  ///< full or minibatch gradients
  double initial_value = 0, final_value = 0;
  double initial_grad_norm = 0, final_grad_norm = 0;
  std::vector<IterationRecord> history;
  /// ‖g‖ of the (minibatch) gradient each step used, one per step, when
  /// MinimizeOptions::record_step_norms asks for it (input to schedule refinement).
  std::vector<double> step_gradient_norms;

  /// True unless the run ended in NaN/Inf.
  bool is_solution_usable() const { return status != Status::NonFinite; }

  /// One line: status, iterations, f0 -> f*, |g|, seconds.
  std::string brief_report() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s after %lld iterations: f %.6e -> %.12e, |g| %.3e, %.3f s", to_string(status),
                  iterations, initial_value, final_value, final_grad_norm, seconds);
    return buf;
  }

  /// Several lines: everything above plus counts and the message.
  std::string full_report() const {
    char buf[768];
    std::snprintf(buf, sizeof buf,
                  "convlab::optim::minimize summary\n"
                  "  status               %s\n"
                  "  message              %s\n"
                  "  iterations           %lld\n"
                  "  value evaluations    %lld\n"
                  "  gradient evaluations %lld\n"
                  "  initial value        %.16e\n"
                  "  final value          %.16e\n"
                  "  initial |grad|       %.6e\n"
                  "  final |grad|         %.6e\n"
                  "  seconds              %.6f\n"
                  "  history rows         %zu\n",
                  to_string(status), message.c_str(), iterations, value_evaluations, gradient_evaluations,
                  initial_value, final_value, initial_grad_norm, final_grad_norm, seconds, history.size());
    return buf;
  }
};

}  // namespace convlab::optim
