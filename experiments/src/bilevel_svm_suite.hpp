#pragma once
// LV-HBA against the implicit-gradient baseline on SVM hyperparameter optimization with per-sample
// weights (spec bilevel-lvhba.md c.3) and data hyper-cleaning (c.4). See
// docs/experiments/bilevel-lvhba.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& bilevel_svm_metrics();

void validate_bilevel_svm_suite(const toml::table& svm, const std::string& file, const std::filesystem::path& base_dir,
                                const Origins& origins);

nlohmann::json run_bilevel_svm_suite(const toml::table& svm, const std::string& file, const std::filesystem::path& base_dir,
                                     const std::filesystem::path& dir, const std::string& figure_prefix,
                                     const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
