#pragma once
// The quantile-aggregation suite (Fakoor, Kim, Mueller, Smola, Tibshirani, JMLR 2023): base
// quantile models, cross-fitted aggregators (average, median, best single, Global-Coarse/
// Medium/Fine, Local-Coarse/Medium), sorting / isotonic post-processing and split CQR, on a
// heteroscedastic synthetic design and shipped real regression data. See
// docs/experiments/quantile-aggregation.md.
#include "config/experiment.hpp"

namespace convlab::experiments {

/// Runner "quantile", table [quantile].
SuiteRunner quantile_suite();

}  // namespace convlab::experiments
