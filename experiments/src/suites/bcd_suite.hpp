#pragma once
// The block coordinate descent suite (Nutini, Laradji, Schmidt 2017/2022): f − f* against
// iterations for the rule/update grids of the paper's figures 4, 5, 8, 9, 10, 11, 12 on the
// regenerated data sets A, B, C, E and shipped real data, with the paper's orderings checked.
// See docs/experiments/bcd.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "bcd", table [bcd].
SuiteRunner bcd_suite();

}  // namespace convlab::experiments
