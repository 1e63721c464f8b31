#pragma once
// LV-HBA against the implicit-gradient baseline on SVM hyperparameter optimization with per-sample
// weights (spec bilevel-lvhba.md c.3) and data hyper-cleaning (c.4). See
// docs/experiments/bilevel-lvhba.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "bilevel_svm", table [svm].
SuiteRunner bilevel_svm_suite();

}  // namespace convlab::experiments
