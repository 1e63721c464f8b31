#pragma once
// The quantile-aggregation suite (Fakoor, Kim, Mueller, Smola, Tibshirani, JMLR 2023): base
// quantile models, cross-fitted aggregators (average, median, best single, Global-Coarse/
// Medium/Fine, Local-Coarse/Medium), sorting / isotonic post-processing and split CQR, on a
// heteroscedastic synthetic design and shipped real regression data. See
// docs/experiments/quantile-aggregation.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& quantile_metrics();

void validate_quantile_suite(const toml::table& quantile, const std::string& file, const std::filesystem::path& base_dir,
                             const Origins& origins);

nlohmann::json run_quantile_suite(const toml::table& quantile, const std::string& file, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& dir, const std::string& figure_prefix,
                                  const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
