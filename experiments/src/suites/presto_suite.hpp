#pragma once
// The PRESTO suite (Faletto & Bien, ICML 2023): rare-class probabilities of PRESTO (CV-tuned),
// proportional odds and rare-class logistic regression on the spec's synthetic designs, and
// held-out Brier score / rare-class log loss on the soup tasting data. See
// docs/experiments/presto.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "presto", table [presto].
SuiteRunner presto_suite();

}  // namespace convlab::experiments
