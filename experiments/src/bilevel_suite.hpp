#pragma once
// The LV-HBA suite (Yao, Yu, Zeng, Zhang, ICLR 2024): the LLC toy with its closed-form solution
// under a converging configuration and under the released script's defaults. See
// docs/experiments/bilevel-lvhba.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& bilevel_metrics();

void validate_bilevel_suite(const toml::table& bilevel, const std::string& file, const std::filesystem::path& base_dir,
                             const Origins& origins);

nlohmann::json run_bilevel_suite(const toml::table& bilevel, const std::string& file, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& dir, const std::string& figure_prefix,
                                  const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
