#pragma once
// `convlab predict RUN_DIR DATA`: applies the model of a `convlab fit` run folder to new rows
// (docs/predict.md).
#include <string>

namespace convlab::experiments {

struct PredictArgs {
  std::string run_dir;
  std::string data;
  std::string out;  // empty = <run_dir>/predictions.csv
  // Quantile models: how each row's quantiles are made non-decreasing across levels (a name of
  // quantile::parse_monotonize); empty = "sort", which never increases the pinball loss or WIS.
  std::string monotonize;
  // CSV: a column of row weights (counts of grouped rows); every metric becomes the weighted mean
  // over rows. Empty = every row weighs 1.
  std::string weights;
};

/// Writes the predictions CSV and, when the data has the response, a metrics JSON beside it
/// (same name, .json); prints the metrics. Returns 0; bad input throws (exit 2).
int command_predict(const PredictArgs& args);

}  // namespace convlab::experiments
