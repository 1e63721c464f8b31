#pragma once
// A suite's data file as a dense design, read the same way by every suite that takes one
// (Lion-κ, schedule, BCD, quantile, PRESTO): CSV (the `response` column) or LIBSVM, chosen by
// the extension.
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>

namespace convlab::experiments {

struct SuiteData {
  MatX<double> X;
  VecX<double> y;
};

/// Reads `path`; labels listed in `positive_labels` (when any) become 1 and the others 0, and
/// the columns are standardized when `standardize` is set.
SuiteData load_suite_data(const std::string& path, const std::string& response, const std::vector<double>& positive_labels,
                          bool standardize);

}  // namespace convlab::experiments
