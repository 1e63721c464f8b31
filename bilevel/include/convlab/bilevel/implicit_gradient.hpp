#pragma once
/// \file
/// The implicit-gradient baseline for constrained bilevel problems (GAM, Xu & Zhu 2023, and the
/// AiPOD family compare this way): every iteration
///
///   1. solves the lower level accurately at xᵏ: y*(xᵏ) with multipliers μ*;
///   2. differentiates its KKT system on the active set A = {i : μᵢ* > τ} (all equalities):
///          [ H   J_Aᵀ ] [dy/dx]     [ H_yx  ]
///          [ J_A  0   ] [dμ/dx] = − [ Jx_A  ]     H = ∇²ᵧᵧL, H_yx = ∂ₓ∇ᵧL, J_A = ∇ᵧg_A, Jx_A = ∇ₓg_A
///      and forms the hypergradient by one adjoint solve:
///          K [p; q] = [∇ᵧF; 0],   ∇Φ = ∇ₓF − H_yxᵀ p − Jx_Aᵀ q;
///   3. takes the projected upper step xᵏ⁺¹ = Proj_X(xᵏ − s ∇Φ).
///
/// Unlike LV-HBA it needs second-order information and an inner solver; the KKT matrix is
/// factorized by sparse LU (dense LU when it is mostly non-zeros), so the baseline is not
/// handicapped by the wrong algebra. Strict complementarity is
/// assumed (weakly active constraints, μᵢ ≤ τ with gᵢ = 0, are treated as inactive — GAM's rule).

#include <algorithm>
#include <concepts>
#include <stdexcept>
#include <string>
#include <vector>

#include <Eigen/SparseCore>
#include <Eigen/LU>
#include <Eigen/SparseLU>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "constrained_bilevel.hpp"

namespace convlab::bilevel {

/// A ConstrainedBilevel problem that also solves its lower level and exposes the second-order
/// pieces of its KKT system (sparse).
template <class P>
concept ImplicitDifferentiable =
    ConstrainedBilevel<P> && requires(const P& p, In<double> x, In<double> y, In<double> mu, VecX<double>& vy, VecX<double>& vmu) {
      { p.solve_lower(x, vy, vmu) } -> std::convertible_to<long long>;
      { p.lower_hessian_yy(x, y, mu) } -> std::convertible_to<Eigen::SparseMatrix<double>>;
      { p.lower_hessian_yx(x, y, mu) } -> std::convertible_to<Eigen::SparseMatrix<double>>;
      { p.constraint_jacobian_y(x, y) } -> std::convertible_to<Eigen::SparseMatrix<double>>;
      { p.constraint_jacobian_x(x, y) } -> std::convertible_to<Eigen::SparseMatrix<double>>;
      p.project_upper(vy);
    };

struct ImplicitGradientOptions {
  double step = 0.03;               ///< upper step s (GAM's default), > 0
  double active_tolerance = 1e-8;   ///< τ relative to max(1, max μ)
  void validate() const {
    detail::require(step > 0, "ImplicitGradientOptions::step", step, "> 0");
    detail::require(active_tolerance >= 0, "ImplicitGradientOptions::active_tolerance", active_tolerance, ">= 0");
  }
};

struct ImplicitGradientState {
  VecX<double> x, y, mu;  ///< y, μ: the lower-level solution at the x of the last step (warm start)
  long long k = 0;
};

struct ImplicitGradientStep {
  long long lower_iterations = 0;  ///< iterations of the lower-level solver
  Eigen::Index active = 0;         ///< |A|
  Eigen::Index kkt_size = 0;       ///< m + |A|
  double hypergradient_norm = 0;
};

template <ImplicitDifferentiable P>
class ImplicitGradient {
 public:
  explicit ImplicitGradient(const ImplicitGradientOptions& o = {}) : o_(o) { o_.validate(); }

  /// ∇Φ(x) at the lower-level solution (y, μ) of x; fills `info`.
  VecX<double> hypergradient(const P& p, In<double> x, In<double> y, In<double> mu, ImplicitGradientStep& info) const {
    const Eigen::Index n = p.upper_dim(), m = p.lower_dim(), l = p.constraints();
    detail::require_size(mu.size(), l, "ImplicitGradient: multipliers");
    VecX<double> gFx(n), gFy(m);
    p.upper_gradient(x, y, gFx, gFy);
    // Active rows.
    const double scale = std::max(1.0, l > 0 ? mu.cwiseAbs().maxCoeff() : 0.0);
    std::vector<Eigen::Index> active;
    for (Eigen::Index i = 0; i < l; ++i)
      if (p.equality_constraints() || mu[i] > o_.active_tolerance * scale) active.push_back(i);
    const auto a = static_cast<Eigen::Index>(active.size());
    std::vector<Eigen::Index> position(static_cast<std::size_t>(l), -1);
    for (Eigen::Index r = 0; r < a; ++r) position[static_cast<std::size_t>(active[static_cast<std::size_t>(r)])] = r;
    const Eigen::SparseMatrix<double> H = p.lower_hessian_yy(x, y, mu);
    const Eigen::SparseMatrix<double> Jy = p.constraint_jacobian_y(x, y);
    detail::require_size(H.rows(), m, "ImplicitGradient: lower_hessian_yy rows");
    detail::require_size(Jy.rows(), l, "ImplicitGradient: constraint_jacobian_y rows");
    std::vector<Eigen::Triplet<double>> t;
    t.reserve(static_cast<std::size_t>(H.nonZeros() + 2 * Jy.nonZeros()));
    for (Eigen::Index col = 0; col < H.outerSize(); ++col)
      for (Eigen::SparseMatrix<double>::InnerIterator it(H, col); it; ++it) t.emplace_back(it.row(), it.col(), it.value());
    for (Eigen::Index col = 0; col < Jy.outerSize(); ++col)
      for (Eigen::SparseMatrix<double>::InnerIterator it(Jy, col); it; ++it) {
        const Eigen::Index r = position[static_cast<std::size_t>(it.row())];
        if (r < 0) continue;
        t.emplace_back(m + r, it.col(), it.value());
        t.emplace_back(it.col(), m + r, it.value());
      }
    Eigen::SparseMatrix<double> K(m + a, m + a);
    K.setFromTriplets(t.begin(), t.end());
    K.makeCompressed();
    VecX<double> rhs = VecX<double>::Zero(m + a);
    rhs.head(m) = gFy;
    const VecX<double> pq = solve_kkt(K, rhs);
    VecX<double> grad = gFx - p.lower_hessian_yx(x, y, mu).transpose() * pq.head(m);
    const Eigen::SparseMatrix<double> Jx = p.constraint_jacobian_x(x, y);
    for (Eigen::Index col = 0; col < Jx.outerSize(); ++col)
      for (Eigen::SparseMatrix<double>::InnerIterator it(Jx, col); it; ++it) {
        const Eigen::Index r = position[static_cast<std::size_t>(it.row())];
        if (r >= 0) grad[it.col()] -= it.value() * pq[m + r];
      }
    info.active = a;
    info.kkt_size = m + a;
    info.hypergradient_norm = grad.norm();
    return grad;
  }

  /// One iteration: lower solve at xᵏ, hypergradient, projected upper step. Afterwards (y, μ) is
  /// the lower-level solution at xᵏ (the x before the step).
  ImplicitGradientStep step(const P& p, ImplicitGradientState& s) const {
    detail::require_size(s.x.size(), p.upper_dim(), "ImplicitGradient::step: x");
    ImplicitGradientStep info;
    info.lower_iterations = p.solve_lower(s.x, s.y, s.mu);
    const VecX<double> g = hypergradient(p, s.x, s.y, s.mu, info);
    s.x -= o_.step * g;
    p.project_upper(s.x);
    ++s.k;
    return info;
  }

 private:
  // Sparse LU, or dense LU when K is more than 5% non-zeros (dense coupling blocks, as in the
  // LLSC toy, where sparse LU is ~10× slower). Singular K: the lower-level solution is not
  // locally unique and the implicit gradient does not exist.
  static VecX<double> solve_kkt(const Eigen::SparseMatrix<double>& K, const VecX<double>& rhs) {
    const auto size = K.rows();
    auto singular = [&](const std::string& why) {
      return std::runtime_error("ImplicitGradient: the active-set KKT matrix (size " + std::to_string(size) +
                                ") is singular; the lower-level solution is not locally unique (" + why + ")");
    };
    if (static_cast<double>(K.nonZeros()) > 0.05 * static_cast<double>(size) * static_cast<double>(size)) {
      const MatX<double> Kd(K);
      const Eigen::PartialPivLU<MatX<double>> lu(Kd);
      VecX<double> x = lu.solve(rhs);
      const double residual = (Kd * x - rhs).norm(), scale = 1 + Kd.norm() * x.norm() + rhs.norm();
      if (!x.allFinite() || residual > 1e-8 * scale) throw singular("dense LU residual " + std::to_string(residual));
      return x;
    }
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(K);
    if (lu.info() != Eigen::Success) throw singular(lu.lastErrorMessage());
    return lu.solve(rhs);
  }

  ImplicitGradientOptions o_;
};

}  // namespace convlab::bilevel
