#pragma once
// FedAU (Wang & Ji, ICLR 2024) against its baselines under Bernoulli, Markov and cyclic
// participation, on the spec's small heterogeneous logistic federation and on digits split
// non-iid over 250 clients. See docs/experiments/fedau.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "fedau", table [fedau].
SuiteRunner fedau_suite();

}  // namespace convlab::experiments
