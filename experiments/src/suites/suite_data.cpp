#include "suites/suite_data.hpp"

#include <algorithm>
#include <filesystem>

#include <convlab/problems/data_io.hpp>
#include <convlab/problems/preprocessing.hpp>

namespace convlab::experiments {

SuiteData load_suite_data(const std::string& path, const std::string& response, const std::vector<double>& positive_labels,
                          bool standardize) {
  SuiteData d;
  if (std::filesystem::path(path).extension() == ".csv") {
    auto ds = problems::load_csv(path, {.response = response});
    d.X = std::move(ds.X);
    d.y = std::move(ds.y);
  } else {
    auto ds = problems::load_libsvm(path);
    d.X = MatX<double>(ds.X);
    d.y = std::move(ds.y);
  }
  if (!positive_labels.empty())
    for (auto& v : d.y) v = std::find(positive_labels.begin(), positive_labels.end(), v) != positive_labels.end() ? 1 : 0;
  if (standardize) problems::standardize(d.X);
  return d;
}

}  // namespace convlab::experiments
