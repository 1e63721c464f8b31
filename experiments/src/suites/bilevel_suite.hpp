#pragma once
// The LV-HBA suite (Yao, Yu, Zeng, Zhang, ICLR 2024): the LLC toy with its closed-form solution
// under a converging configuration and under the released script's defaults. See
// docs/experiments/bilevel-lvhba.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "bilevel", table [bilevel].
SuiteRunner bilevel_suite();

}  // namespace convlab::experiments
