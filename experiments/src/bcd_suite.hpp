#pragma once
// The block coordinate descent suite (Nutini, Laradji, Schmidt 2017/2022): f − f* against
// iterations for the rule/update grids of the paper's figures 4, 5, 8, 9, 10, 11, 12 on the
// regenerated data sets A, B, C, E and shipped real data, with the paper's orderings checked.
// See docs/experiments/bcd.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& bcd_metrics();

void validate_bcd_suite(const toml::table& bcd, const std::string& file, const std::filesystem::path& base_dir,
                        const Origins& origins);

nlohmann::json run_bcd_suite(const toml::table& bcd, const std::string& file, const std::filesystem::path& base_dir,
                             const std::filesystem::path& dir, const std::string& figure_prefix,
                             const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
