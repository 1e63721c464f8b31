#pragma once
// The Lion-κ suite (Chen, Liu, Liang, Liu 2024): Lion and Lion-κ on least squares and L2-free
// logistic regression with decoupled weight decay λ, against the optimum of
// f + (1/λ)κ*(λx) computed independently; entry into the feasible set, distance and gap,
// the discrete Lyapunov function. See docs/experiments/lion-kappa.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "lion_kappa", table [lion].
SuiteRunner lion_kappa_suite();

}  // namespace convlab::experiments
