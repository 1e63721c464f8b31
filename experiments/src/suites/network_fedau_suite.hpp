#pragma once
// FedAU on a network (runner network_fedau, table [network_fedau]): a fully connected network
// over the shipped digits, split non-iid over clients whose participation rates follow their
// labels and are unknown to the server; FedAU against averaging over the participants and against
// weighting by the known rates, over seeds, with paired confidence intervals. Built only with
// LibTorch (the clients are NetworkProblem); see docs/experiments/networks.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "network_fedau", table [network_fedau].
SuiteRunner network_fedau_suite();

}  // namespace convlab::experiments
