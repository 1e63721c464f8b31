#pragma once
/// \file
/// `minimize(problem, optimizer, x, options, schedule, callbacks...)`: the training loop
/// with stopping rules, a NaN/Inf guard, callbacks and a Summary.

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/schedules/schedule.hpp>

#include "callbacks.hpp"
#include "optimizer.hpp"
#include "summary.hpp"

namespace convlab::optim {

/// Which norm of each step's gradient to log: L2 for SGD-like methods, L1 for Adam-like ones.
enum class StepNorm { None, L2, L1 };

struct MinimizeOptions {
  long long max_iterations = 1000;  ///< steps, >= 0
  double gradient_tolerance = 0;    ///< stop when ‖∇f‖₂ <= this; 0 disables; >= 0
  double relative_tolerance = 0;    ///< stop when |Δf| <= this·max(1, |f|) (full batch only); >= 0
  double time_limit = std::numeric_limits<double>::infinity();  ///< seconds, > 0
  long long batch_size = 0;         ///< 0 = full batch; else minibatches of this size, >= 0
  long long evaluate_every = 0;     ///< full evaluations every k steps; 0 = 1 (full) or one epoch (minibatch)
  unsigned long long seed = 0;      ///< minibatch sampling seed
  bool record_history = true;       ///< keep every evaluation in Summary::history
  StepNorm record_step_norms = StepNorm::None;  ///< log ‖g‖ of the gradient each step uses (for refinement)

  void validate() const {
    detail::require(max_iterations >= 0, "MinimizeOptions::max_iterations", max_iterations, ">= 0");
    detail::require(gradient_tolerance >= 0, "MinimizeOptions::gradient_tolerance", gradient_tolerance, ">= 0");
    detail::require(relative_tolerance >= 0, "MinimizeOptions::relative_tolerance", relative_tolerance, ">= 0");
    detail::require(time_limit > 0, "MinimizeOptions::time_limit", time_limit, "> 0");
    detail::require(batch_size >= 0, "MinimizeOptions::batch_size", batch_size, ">= 0");
    detail::require(evaluate_every >= 0, "MinimizeOptions::evaluate_every", evaluate_every, ">= 0");
  }
};

namespace detail {

/// Random reshuffling: each epoch visits every sample once in a fresh seeded order.
/// Boost's mt19937_64 and uniform_int_distribution give the same stream on every platform.
class MinibatchSampler {
 public:
  MinibatchSampler(Eigen::Index n, Eigen::Index batch, unsigned long long seed)
      : order_(static_cast<std::size_t>(n)), batch_(batch), rng_(seed) {
    std::iota(order_.begin(), order_.end(), Eigen::Index(0));
    shuffle();
  }
  Batch next() {
    if (pos_ + static_cast<std::size_t>(batch_) > order_.size()) {
      shuffle();
      pos_ = 0;
    }
    Batch b(order_.data() + pos_, static_cast<std::size_t>(batch_));
    pos_ += static_cast<std::size_t>(batch_);
    return b;
  }

 private:
  void shuffle() {
    for (std::size_t i = order_.size(); i > 1; --i) {
      boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
      std::swap(order_[i - 1], order_[pick(rng_)]);
    }
  }
  std::vector<Eigen::Index> order_;
  Eigen::Index batch_;
  std::size_t pos_ = 0;
  boost::random::mt19937_64 rng_;
};

}  // namespace detail

/// Minimizes `problem` from `x` (updated in place; on return it holds the last iterate,
/// or the last finite one when the run hit NaN/Inf) with `optimizer` and the learning-rate
/// `schedule` (a number or a callable lr(step)). Throws InvalidArgument for bad options
/// or sizes; never throws for a diverging run (status NonFinite instead).
template <problems::Differentiable P, Optimizer<typename P::Scalar> O, class Sched, class... Callbacks>
Summary minimize(const P& problem, const O& optimizer, Out<typename P::Scalar> x, const MinimizeOptions& options,
                 Sched schedule, Callbacks&&... callbacks) {
  using S = typename P::Scalar;
  using Clock = std::chrono::steady_clock;
  options.validate();
  const auto lr_of = schedules::as_schedule(schedule);
  if (x.size() != problem.dim())
    throw InvalidArgument("minimize: x has size " + std::to_string(x.size()) + ", the problem has dimension " +
                          std::to_string(problem.dim()));

  const bool minibatch = options.batch_size > 0;
  long long every = options.evaluate_every;
  std::optional<detail::MinibatchSampler> sampler;
  if (minibatch) {
    if constexpr (problems::FiniteSum<P>) {
      const Eigen::Index n = problem.num_samples();
      if (options.batch_size > n)
        throw InvalidArgument("MinimizeOptions::batch_size = " + std::to_string(options.batch_size) +
                              " violates batch_size <= number of samples (" + std::to_string(n) + ")");
      sampler.emplace(n, static_cast<Eigen::Index>(options.batch_size), options.seed);
      if (every == 0) every = (n + options.batch_size - 1) / options.batch_size;
    } else {
      throw InvalidArgument("MinimizeOptions::batch_size > 0 needs a FiniteSum problem (minibatch gradients)");
    }
  }
  if (every == 0) every = 1;

  Summary summary;
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  VecX<S> g(x.size()), last_good(x);
  auto state = optimizer.init(x);
  double previous_value = std::numeric_limits<double>::quiet_NaN();

  auto finish_nonfinite = [&](long long k, const std::string& what) {
    x = last_good;
    summary.status = Status::NonFinite;
    summary.message = what + " at iteration " + std::to_string(k) + "; x restored to the last finite iterate";
  };

  for (long long k = 0;; ++k) {
    if (k % every == 0 || k == options.max_iterations) {
      const double f = static_cast<double>(problems::value_and_gradient(problem, x, g));
      const double gnorm = static_cast<double>(g.norm());
      ++summary.value_evaluations;
      ++summary.gradient_evaluations;
      if (!std::isfinite(f) || !std::isfinite(gnorm)) {
        finish_nonfinite(k, std::isfinite(f) ? "non-finite gradient" : "non-finite objective value");
        break;
      }
      last_good = x;
      const IterationRecord rec{k, elapsed(), f, gnorm, static_cast<double>(lr_of(k))};
      if (k == 0) {
        summary.initial_value = f;
        summary.initial_grad_norm = gnorm;
      }
      summary.final_value = f;
      summary.final_grad_norm = gnorm;
      summary.iterations = k;
      if (options.record_history) summary.history.push_back(rec);
      bool callback_stop = false;
      const In<S> xin(x);
      ((callback_stop |= detail::call_iteration(callbacks, rec, xin, state) == CallbackAction::Stop), ...);
      if (callback_stop) {
        summary.status = Status::CallbackStop;
        summary.message = "a callback stopped the run at iteration " + std::to_string(k);
        break;
      }
      if (options.gradient_tolerance > 0 && gnorm <= options.gradient_tolerance) {
        summary.status = Status::GradientTolerance;
        summary.message = "|grad| = " + std::to_string(gnorm) + " <= gradient_tolerance";
        break;
      }
      if (!minibatch && options.relative_tolerance > 0 && k > 0 &&
          std::abs(previous_value - f) <= options.relative_tolerance * std::max(1.0, std::abs(f))) {
        summary.status = Status::RelativeDecrease;
        summary.message = "relative decrease of f below relative_tolerance";
        break;
      }
      previous_value = f;
    }
    if (k == options.max_iterations) {
      summary.status = Status::MaxIterations;
      summary.message = "reached max_iterations";
      break;
    }
    bool out_of_time = elapsed() > options.time_limit;
    // A problem spread over processes (problems::BlockedProblem) stops them all at one iteration.
    if constexpr (requires { problem.any_rank(out_of_time); })
      if (std::isfinite(options.time_limit)) out_of_time = problem.any_rank(out_of_time);
    if (out_of_time) {
      summary.status = Status::TimeLimit;
      summary.message = "reached time_limit after " + std::to_string(k) + " iterations";
      summary.iterations = k;
      break;
    }
    if (minibatch) {
      if constexpr (problems::FiniteSum<P>) {
        problem.gradient(x, sampler->next(), g);
        ++summary.gradient_evaluations;
        if (!g.allFinite()) {
          finish_nonfinite(k, "non-finite minibatch gradient");
          break;
        }
      }
    } else if (k % every != 0) {
      // Full batch between evaluations: the step still needs the gradient at this x (only
      // the value, the history and the stopping tests are skipped). Without this the step
      // would reuse the gradient of the last evaluation.
      problems::gradient(problem, x, g);
      ++summary.gradient_evaluations;
      if (!g.allFinite()) {
        finish_nonfinite(k, "non-finite gradient");
        break;
      }
    }
    if (options.record_step_norms == StepNorm::L2) summary.step_gradient_norms.push_back(static_cast<double>(g.norm()));
    if (options.record_step_norms == StepNorm::L1)
      summary.step_gradient_norms.push_back(static_cast<double>(g.template lpNorm<1>()));
    const double lr = static_cast<double>(lr_of(k));
    if (!std::isfinite(lr)) {
      finish_nonfinite(k, "non-finite learning rate");
      break;
    }
    optimizer.step(x, g, state, static_cast<S>(lr));
  }
  summary.seconds = elapsed();
  (detail::call_end(callbacks, summary), ...);
  return summary;
}

}  // namespace convlab::optim
