#pragma once
// The PRESTO suite (Faletto & Bien, ICML 2023): rare-class probabilities of PRESTO (CV-tuned),
// proportional odds and rare-class logistic regression on the spec's synthetic designs, and
// held-out Brier score / rare-class log loss on the soup tasting data. See
// docs/experiments/presto.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& presto_metrics();

void validate_presto_suite(const toml::table& presto, const std::string& file, const std::filesystem::path& base_dir,
                             const Origins& origins);

nlohmann::json run_presto_suite(const toml::table& presto, const std::string& file, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& dir, const std::string& figure_prefix,
                                  const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
