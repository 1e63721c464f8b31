#pragma once
/// \file
/// An independent reference solver: Ceres' GradientProblemSolver (L-BFGS, Wolfe line
/// search) on any convlab Differentiable problem. Needs the `convlab::ceres` target.

#include <ceres/ceres.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

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

namespace convlab::optim {

/// Box-constrained least squares min (1/(2n))‖Ax − b‖² s.t. lo ≤ x ≤ hi with Ceres: an
/// independent reference for Lion. Ceres' bounded Levenberg–Marquardt projects its steps onto
/// the bounds and can stall short of the optimum (measured: f 1659.6 vs 1640.7 on diabetes),
/// so it runs inside an active-set loop: coordinates at a bound whose gradient pushes outward
/// are held fixed (ceres::SubsetManifold), the rest re-solved with bounds, until the KKT
/// conditions hold or the active set repeats. `kkt` receives the final projected-gradient norm.
inline ceres::Solver::Summary ceres_box_least_squares(const MatX<double>& A, const VecX<double>& b, double lo, double hi,
                                                      Eigen::Ref<VecX<double>> x, double* kkt = nullptr) {
  class Residuals final : public ceres::CostFunction {
   public:
    Residuals(const MatX<double>& A, const VecX<double>& b) : A_(A / std::sqrt(double(A.rows()))), b_(b / std::sqrt(double(A.rows()))) {
      set_num_residuals(static_cast<int>(A.rows()));
      mutable_parameter_block_sizes()->push_back(static_cast<int>(A.cols()));
    }
    bool Evaluate(double const* const* p, double* residuals, double** jacobians) const override {
      const Eigen::Map<const VecX<double>> xv(p[0], A_.cols());
      Eigen::Map<VecX<double>>(residuals, A_.rows()) = A_ * xv - b_;
      if (jacobians && jacobians[0])
        Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(jacobians[0], A_.rows(), A_.cols()) = A_;
      return true;
    }

   private:
    MatX<double> A_;
    VecX<double> b_;
  };
  detail::require_size(x.size(), A.cols(), "ceres_box_least_squares: x");
  const int d = static_cast<int>(x.size());
  const double n = static_cast<double>(A.rows());
  auto gradient = [&] { return VecX<double>(A.transpose() * (A * x - b) / n); };
  auto at_bound_pushing_out = [&](const VecX<double>& g, int i) {
    const double tol = 1e-12 * std::max({1.0, std::abs(lo), std::abs(hi)});
    return (x[i] <= lo + tol && g[i] > 0) || (x[i] >= hi - tol && g[i] < 0);
  };
  for (int i = 0; i < d; ++i) x[i] = std::clamp(x[i], lo, hi);
  ceres::Solver::Summary summary;
  std::vector<int> active, previous{-1};
  for (int round = 0; round < 50 && active != previous; ++round) {
    previous = active;
    ceres::Problem problem;
    problem.AddResidualBlock(new Residuals(A, b), nullptr, x.data());
    for (int i = 0; i < d; ++i) {
      problem.SetParameterLowerBound(x.data(), i, lo);
      problem.SetParameterUpperBound(x.data(), i, hi);
    }
    if (!active.empty() && static_cast<int>(active.size()) < d) problem.SetManifold(x.data(), new ceres::SubsetManifold(d, active));
    if (static_cast<int>(active.size()) == d) break;
    ceres::Solver::Options o;
    o.linear_solver_type = ceres::DENSE_QR;
    o.max_num_iterations = 1000;
    o.function_tolerance = 1e-16;
    o.gradient_tolerance = 1e-16;
    o.parameter_tolerance = 1e-16;
    o.logging_type = ceres::SILENT;
    ceres::Solve(o, &problem, &summary);
    const VecX<double> g = gradient();
    active.clear();
    for (int i = 0; i < d; ++i)
      if (at_bound_pushing_out(g, i)) active.push_back(i);
  }
  if (kkt) {  // ‖x − clip(x − ∇f)‖∞
    const VecX<double> g = gradient();
    *kkt = (x - (x - g).cwiseMax(lo).cwiseMin(hi)).lpNorm<Eigen::Infinity>();
  }
  return summary;
}

}  // namespace convlab::optim
