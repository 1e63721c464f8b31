#pragma once
/// \file
/// The certified solvers' results derive from optim::Report, the one result type of the library
/// (status, message, iterations, seconds, certificate; docs/solvers.md). These helpers fill its
/// certificate and status the same way in every solver.

#include <algorithm>
#include <limits>

#include <convlab/optim/summary.hpp>

namespace convlab::solvers {

using optim::Certificate;
using optim::kkt_residual_certificate;
using optim::Report;
using optim::Status;

/// A duality-gap certificate: value = (P − D)/P (P > 0 for every objective here: a loss plus a
/// penalty; the floor keeps a zero P from dividing by zero).
inline Certificate duality_gap(double primal, double dual, double tolerance) {
  return {.kind = Certificate::Kind::DualityGap,
          .value = (primal - dual) / std::max(primal, std::numeric_limits<double>::min()),
          .tolerance = tolerance,
          .primal = primal,
          .dual = dual};
}

/// The status of a solver that stops on its certificate or on its iteration budget.
inline Status certified_status(const Certificate& c) {
  if (!c.holds()) return Status::MaxIterations;
  return c.kind == Certificate::Kind::DualityGap ? Status::DualityGap : Status::KktResidual;
}

}  // namespace convlab::solvers
