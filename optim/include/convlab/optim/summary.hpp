#pragma once
/// \file
/// What a run of `minimize` returns: why it stopped, counts, values and the history.

#include <cstdio>
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
  DualityGap,         ///< the relative duality gap is below its tolerance (lasso_cd)
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
  }
  return "unknown";
}

/// One row of the history: the state at the start of iteration `iteration`, before its step.
struct IterationRecord {
  long long iteration = 0;
  double seconds = 0;    ///< since the start of the run
  double value = 0;      ///< f(x) over all samples
  double grad_norm = 0;  ///< ‖∇f(x)‖₂ over all samples
  double lr = 0;         ///< the learning rate this iteration's step uses
};

struct Summary {
  Status status = Status::MaxIterations;
  std::string message;
  long long iterations = 0;            ///< steps taken
  long long value_evaluations = 0;     ///< full-objective evaluations
  long long gradient_evaluations = 0;  ///< full or minibatch gradients
  double initial_value = 0, final_value = 0;
  double initial_grad_norm = 0, final_grad_norm = 0;
  double seconds = 0;
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
