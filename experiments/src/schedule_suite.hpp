#pragma once
// The schedule suite (refined-schedules paper): logistic-regression problems × optimizers ×
// schedules, each schedule's peak lr tuned on a grid, over several seeds; final
// suboptimality against each problem's Newton optimum. See docs/experiments/refined-schedules.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

/// Metrics the suite's summary.json provides to claims.
const std::vector<std::string>& suite_metrics();

/// Checks a [suite] table (keys, types, ranges); throws ConfigError naming file:line.
void validate_suite(const toml::table& suite, const std::string& file, const std::filesystem::path& base_dir,
                    const Origins& origins);

/// Runs the suite and writes <dir>/{results.csv, best.csv, refined_shapes.csv, schedules.csv,
/// *.png, summary.json}. `figure_prefix` makes the figure paths relative to the report.
/// `progress(done, total)` is called after every run.
nlohmann::json run_schedule_suite(const toml::table& suite, const std::string& file, const std::filesystem::path& base_dir,
                                  const std::filesystem::path& dir, const std::string& figure_prefix,
                                  const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
