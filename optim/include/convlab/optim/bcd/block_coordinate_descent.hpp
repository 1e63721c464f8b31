#pragma once
/// \file
/// Block coordinate descent (Nutini, Laradji, Schmidt 2017/2022) as one driver over three
/// policies: `BlockCoordinateDescent<Partition, Selection, Update>`.
///
///     using namespace convlab;
///     auto cp = problems::coordinate_form(problems::LeastSquares<double>(A, b));
///     optim::BlockCoordinateDescent bcd(optim::VariableBlocks{5}, optim::GaussSouthwellLipschitz{},
///                                       optim::MatrixUpdate{}, {.max_iterations = 500});
///     optim::BcdSummary s = bcd.minimize(cp, x);   // x: start in, solution out
///
/// One iteration: the selection picks a block from the current state, the problem returns the
/// block gradient, the update takes its step (measuring the decrease) and the selection
/// rescores what changed. Stopping: iteration and time budgets, a target value, the gradient
/// norm and the relative decrease, tested every `check_every` iterations with the exact
/// objective (the state is never trusted for stopping).

#include <chrono>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "../summary.hpp"
#include "context.hpp"
#include "partitions.hpp"
#include "selection.hpp"
#include "updates.hpp"

namespace convlab::optim {

struct BcdOptions {
  long long max_iterations = 1000;   ///< >= 0
  double gradient_tolerance = 0;     ///< stop when ‖∇f‖₂ <= this (0: off); f + r: its KKT residual (proximal.hpp), status KktResidual
  double relative_tolerance = 0;     ///< stop when |f_k − f_{k−check_every}| <= this·max(1, |f_k|) (0: off)
  double time_limit = std::numeric_limits<double>::infinity();  ///< seconds
  double target_value = -std::numeric_limits<double>::infinity();  ///< stop once f <= this
  long long check_every = 1;         ///< exact f and the stopping tests every this many iterations, >= 1
  long long record_every = 1;        ///< a history row every this many iterations (0: none)
  long long refresh_every = 0;       ///< rebuild the incremental state from x (0: never)
  unsigned long long seed = 0;       ///< random selection rules and partitions

  void validate() const {
    detail::require(max_iterations >= 0, "BcdOptions::max_iterations", max_iterations, ">= 0");
    detail::require(gradient_tolerance >= 0, "BcdOptions::gradient_tolerance", gradient_tolerance, ">= 0");
    detail::require(relative_tolerance >= 0, "BcdOptions::relative_tolerance", relative_tolerance, ">= 0");
    detail::require(time_limit > 0, "BcdOptions::time_limit", time_limit, "> 0");
    detail::require(check_every >= 1, "BcdOptions::check_every", check_every, ">= 1");
    detail::require(record_every >= 0, "BcdOptions::record_every", record_every, ">= 0");
    detail::require(refresh_every >= 0, "BcdOptions::refresh_every", refresh_every, ">= 0");
  }
};

/// One history row: iteration k's block and step, and f after it (exact at check points,
/// otherwise f before the run minus the measured decreases).
struct BcdRecord {
  long long iteration = 0;
  double seconds = 0;
  double value = 0;
  Eigen::Index block = -1;      ///< fixed-block index, or the first coordinate of a variable block
  Eigen::Index block_size = 0;
  double guaranteed = 0;        ///< decrease the update guaranteed (or its model predicted)
  double decrease = 0;          ///< measured f(x) − f(x⁺)
};

/// What block coordinate descent returns (the common Report; iterations: block updates).
struct BcdSummary : Report {
  double initial_value = 0, final_value = 0;
  double final_grad_norm = std::numeric_limits<double>::quiet_NaN();  ///< when computed
  long long line_search_trials = 0;  ///< objective evaluations on blocks beyond one per step
  std::vector<BcdRecord> history;    ///< row 0 is the start (iteration 0, no block)

  std::string brief_report() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s after %lld iterations: f %.6e -> %.12e, %.3f s", to_string(status), iterations,
                  initial_value, final_value, seconds);
    return buf;
  }
};

/// The default observer of `BlockCoordinateDescent::minimize`: none.
struct NoObserver {
  template <class X>
  void operator()(long long, const X&) const {}
};

template <class Partition, class Selection, class Update>
class BlockCoordinateDescent {
 public:
  BlockCoordinateDescent(Partition partition, Selection selection = {}, Update update = {}, BcdOptions options = {})
      : partition_(std::move(partition)), selection_(std::move(selection)), update_(std::move(update)),
        options_(options) {
    options_.validate();
  }

  const BcdOptions& options() const { return options_; }
  Selection& selection() { return selection_; }
  Update& update() { return update_; }

  /// Minimizes from x (in) and writes the last iterate to x (out). `observe(k, x_k)`, if given,
  /// sees the iterate after every iteration (e.g. to track the support for active-set
  /// identification); it costs nothing when omitted.
  template <problems::BlockCoordinate P, class Observer = NoObserver>
  BcdSummary minimize(const P& problem, Out<typename P::Scalar> x, Observer&& observe = {}) {
    using S = typename P::Scalar;
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };

    bool track = Selection::needs_gradient;
    if constexpr (requires { selection_.tracks(); }) track = selection_.tracks();  // run-time rules
    auto state = problem.make_state(x, track);
    BcdContext<P> ctx(problem, partition_.blocks(problem.coordinate_lipschitz()), partition_.tau, partition_.variable,
                      options_.seed);
    update_.init(ctx, state);
    selection_.init(ctx, state);

    BcdSummary sum;
    double f = static_cast<double>(problem.value(state));
    sum.initial_value = sum.final_value = f;
    if (!std::isfinite(f)) return finish(sum, Status::NonFinite, "f(x0) is not finite", state, x, elapsed());
    if (options_.record_every > 0) sum.history.push_back({0, elapsed(), f, -1, 0, 0, 0});
    double f_checked = f;
    VecX<S> g, full;
    for (long long k = 0; k < options_.max_iterations; ++k) {
      ctx.iteration = k;
      ctx.value = f;
      const SelectedBlock b = selection_.select(ctx, state);
      g.resize(static_cast<Eigen::Index>(b.indices.size()));
      problem.block_gradient(state, b.indices, g);
      if (!g.allFinite())
        return finish(sum, Status::NonFinite, "the block gradient is NaN/Inf at iteration " + std::to_string(k), state, x,
                      elapsed());
      const BlockStep<S> step = update_.apply(ctx, state, b, g);
      sum.line_search_trials += std::max(0, step.trials - 1);
      selection_.updated(ctx, state, b);
      sum.iterations = k + 1;
      if constexpr (!std::is_same_v<std::remove_cvref_t<Observer>, NoObserver>) observe(k + 1, std::as_const(state.x));
      f -= static_cast<double>(step.decrease);
      if (options_.refresh_every > 0 && (k + 1) % options_.refresh_every == 0) {
        problem.refresh(state);
        selection_.init(ctx, state);
      }
      const bool check = (k + 1) % options_.check_every == 0 || k + 1 == options_.max_iterations;
      if (check) f = static_cast<double>(problem.value(state));
      if (options_.record_every > 0 && (k + 1) % options_.record_every == 0)
        sum.history.push_back({k + 1, elapsed(), f, b.id >= 0 ? b.id : (b.indices.empty() ? -1 : b.indices[0]),
                               static_cast<Eigen::Index>(b.indices.size()), static_cast<double>(step.guaranteed),
                               static_cast<double>(step.decrease)});
      if (!check) continue;
      if (!std::isfinite(f)) return finish(sum, Status::NonFinite, "f is not finite at iteration " + std::to_string(k + 1), state, x, elapsed());
      if (f <= options_.target_value) return finish(sum, Status::TargetValue, "target value reached", state, x, elapsed(), f);
      if (options_.gradient_tolerance > 0) {
        // f + r (proximal BCD): ∇f does not vanish at a minimizer; its KKT residual does, and is
        // the run's certificate, as for proximal_gradient.
        if constexpr (requires { problem.kkt_residual(state); }) {
          sum.final_grad_norm = static_cast<double>(problem.kkt_residual(state));
          if (sum.final_grad_norm <= options_.gradient_tolerance) {
            sum.certificate = kkt_residual_certificate(sum.final_grad_norm, options_.gradient_tolerance);
            return finish(sum, Status::KktResidual, "KKT residual below tolerance", state, x, elapsed(), f);
          }
        } else {
          full.resize(problem.dim());
          problem.gradient(state, full);
          sum.final_grad_norm = static_cast<double>(full.norm());
        }
        if (sum.final_grad_norm <= options_.gradient_tolerance)
          return finish(sum, Status::GradientTolerance, "gradient norm below tolerance", state, x, elapsed(), f);
      }
      if (options_.relative_tolerance > 0 &&
          std::abs(f_checked - f) <= options_.relative_tolerance * std::max(1.0, std::abs(f)))
        return finish(sum, Status::RelativeDecrease, "relative decrease below tolerance", state, x, elapsed(), f);
      f_checked = f;
      bool out_of_time = elapsed() >= options_.time_limit;
      // Rows spread over processes (problems::BlockedCoordinate): every process stops together.
      if constexpr (requires { problem.any_rank(out_of_time); })
        if (std::isfinite(options_.time_limit)) out_of_time = problem.any_rank(out_of_time);
      if (out_of_time) return finish(sum, Status::TimeLimit, "time limit", state, x, elapsed(), f);
    }
    return finish(sum, Status::MaxIterations, "iteration budget spent", state, x, elapsed(),
                  static_cast<double>(problem.value(state)));
  }

 private:
  template <class State, class X>
  static BcdSummary finish(BcdSummary& sum, Status status, std::string message, const State& state, X& x, double seconds,
                           double f = std::numeric_limits<double>::quiet_NaN()) {
    sum.status = status;
    sum.message = std::move(message);
    sum.seconds = seconds;
    if (!std::isnan(f)) sum.final_value = f;
    x = state.x;
    return std::move(sum);
  }

  Partition partition_;
  Selection selection_;
  Update update_;
  BcdOptions options_;
};

}  // namespace convlab::optim
