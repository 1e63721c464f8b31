#pragma once
// The schedule suite (refined-schedules paper): logistic-regression problems × optimizers ×
// schedules, each schedule's peak lr tuned on a grid, over several seeds; final
// suboptimality against each problem's Newton optimum. See docs/experiments/refined-schedules.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "schedule_suite", table [suite].
SuiteRunner schedule_suite();

}  // namespace convlab::experiments
