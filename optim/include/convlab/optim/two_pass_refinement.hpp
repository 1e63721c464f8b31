#pragma once
/// \file
/// The two-pass recipe of the refined-schedules paper: run once with linear decay while
/// logging the norm of every step's gradient, refine that record into a schedule, run again
/// from the same start with the refined schedule.

#include <convlab/schedules/linear.hpp>
#include <convlab/schedules/refined.hpp>

#include "minimize.hpp"

namespace convlab::optim {

struct TwoPassResult {
  Summary first, second;            ///< the linear-decay run and the refined run
  std::vector<double> shape;        ///< the refined shape (max 1), see schedules/refined.hpp
};

/// Pass 1: linear decay from `peak_first` over options.max_iterations steps, logging L2 norms
/// (q = 2) or L1 norms (q = 1) per `refine.q`. Pass 2: the refined schedule with peak
/// `peak_second`, from the same x0, same options and seed. On return x holds pass 2's result.
template <problems::Differentiable P, Optimizer<typename P::Scalar> O>
TwoPassResult two_pass_refinement(const P& problem, const O& optimizer, Out<typename P::Scalar> x,
                                  MinimizeOptions options, double peak_first, double peak_second,
                                  const schedules::RefineOptions& refine = {}) {
  refine.validate();
  detail::require(options.max_iterations >= 1, "two_pass_refinement: max_iterations", options.max_iterations, ">= 1");
  const VecX<typename P::Scalar> x0 = x;
  options.record_step_norms = refine.q == 1 ? StepNorm::L1 : StepNorm::L2;
  TwoPassResult r;
  r.first = minimize(problem, optimizer, x, options, schedules::linear_decay(peak_first, options.max_iterations));
  r.shape = schedules::refine(r.first.step_gradient_norms, refine);
  x = x0;
  r.second = minimize(problem, optimizer, x, options, schedules::refined(r.shape, peak_second, options.max_iterations));
  return r;
}

}  // namespace convlab::optim
