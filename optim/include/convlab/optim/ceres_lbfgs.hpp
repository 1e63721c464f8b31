#pragma once
/// \file
/// An independent reference solver: Ceres' GradientProblemSolver (L-BFGS, Wolfe line
/// search) on any convlab Differentiable problem. Needs the `convlab::ceres` target.

#include <ceres/ceres.h>

#include <convlab/problems/concepts.hpp>

#include "summary.hpp"

namespace convlab::optim {

namespace detail {
template <class P>
class CeresFunction final : public ceres::FirstOrderFunction {
 public:
  explicit CeresFunction(const P& p) : p_(p) {}
  bool Evaluate(const double* x, double* cost, double* gradient) const override {
    using S = typename P::Scalar;
    const VecX<S> xs = Eigen::Map<const VecX<double>>(x, p_.dim()).template cast<S>();
    VecX<S> g(p_.dim());
    const S f = problems::value_and_gradient(p_, xs, g);
    *cost = static_cast<double>(f);
    if (gradient) Eigen::Map<VecX<double>>(gradient, p_.dim()) = g.template cast<double>();
    return std::isfinite(*cost) && g.allFinite();  // false tells Ceres the evaluation failed
  }
  int NumParameters() const override { return static_cast<int>(p_.dim()); }

 private:
  const P& p_;
};
}  // namespace detail

/// L-BFGS with function/gradient/parameter tolerances near machine precision.
inline ceres::GradientProblemSolver::Options default_lbfgs_options() {
  ceres::GradientProblemSolver::Options o;
  o.line_search_direction_type = ceres::LBFGS;
  o.max_num_iterations = 10000;
  o.function_tolerance = 1e-16;
  o.gradient_tolerance = 1e-14;
  o.parameter_tolerance = 1e-16;
  o.logging_type = ceres::SILENT;
  return o;
}


/// Runs Ceres L-BFGS from x (in place) with tight tolerances; returns Ceres' summary.
template <problems::Differentiable P>
ceres::GradientProblemSolver::Summary ceres_lbfgs(const P& problem, Eigen::Ref<VecX<double>> x,
                                                  ceres::GradientProblemSolver::Options options = default_lbfgs_options()) {
  ceres::GradientProblem gp(new detail::CeresFunction<P>(problem));
  ceres::GradientProblemSolver::Summary summary;
  ceres::Solve(options, gp, x.data(), &summary);
  return summary;
}

}  // namespace convlab::optim
