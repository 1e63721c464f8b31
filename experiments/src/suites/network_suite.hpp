#pragma once
// The papers' training claims on small networks (LibTorch, docs/torch.md): the refined-schedules
// comparison on a multilayer perceptron (runner network_schedules, table [network_schedules]) and
// Lion-κ's box on a network's weights with κ compared at tuned lr (runner network_lion, table
// [network_lion]). Built only with LibTorch (CONVLAB_WITH_TORCH); see
// docs/experiments/networks.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "network_schedules", table [network_schedules].
SuiteRunner network_schedules_suite();
/// Runner "network_lion", table [network_lion].
SuiteRunner network_lion_suite();

}  // namespace convlab::experiments
