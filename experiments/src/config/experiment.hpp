#pragma once
// Experiments: a TOML file under experiments/configs/<paper>/<name>.toml with a base run
// config, [[run]] variants, [[claim]] checks and [profile.quick]/[profile.full] budgets.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace convlab::experiments {

struct ClaimSpec {
  std::string id, statement, source, paper_value, run, metric, op;
  std::string baseline;  // optional run: the claim then checks metric(run) / metric(baseline)
  double threshold = 0;
};

struct ExperimentSpec {
  // Move-only: `origins_` points at the nodes of `base` and `run_tables`, which a copy would not share.
  ExperimentSpec() = default;
  ExperimentSpec(ExperimentSpec&&) = default;
  ExperimentSpec& operator=(ExperimentSpec&&) = default;
  ExperimentSpec(const ExperimentSpec&) = delete;
  ExperimentSpec& operator=(const ExperimentSpec&) = delete;

  std::string name;   // <paper>/<file stem>
  std::string file;
  std::string title, paper, description, figure_metric;
  std::string runner = "fit";  // fit: [[run]] variants; otherwise one of suite_runners()
  /// The runner's own table ([suite], [lion], [bcd]); empty for fit.
  std::string runner_table() const;
  std::vector<std::string> run_names;
  std::vector<ClaimSpec> claims;
  /// The resolved config of each run (same order as run_names) under a profile.
  std::vector<RunConfig> runs(const std::string& profile) const;
  /// The runner's table ([suite] or [lion]) under a profile; `origins` receives where each of
  /// its values came from.
  toml::table suite(const std::string& profile, Origins& origins) const;

  toml::table base;
  std::vector<toml::table> run_tables;
  Origins origins_;  // file:line of every value of base and run_tables
};

/// A runner that takes one table of its own instead of [[run]] variants: the registry entry of
/// a suite (suite.hpp, suite_runner).
struct SuiteRunner {
  std::string name, table;
  std::function<const std::vector<std::string>&()> metrics;  // the metrics a claim may check
  std::function<std::string()> reference;                    // its keys and metrics for docs/configs.md
  std::function<void(const toml::table&, const std::string& file, const std::filesystem::path& base_dir, const Origins&)> validate;
  std::function<nlohmann::json(const toml::table&, const std::string& file, const std::filesystem::path& base_dir,
                               const std::filesystem::path& dir, const std::string& figure_prefix,
                               const std::function<void(std::size_t, std::size_t)>& progress)>
      run;
};
/// Every suite runner, in the order of docs/configs.md.
const std::vector<SuiteRunner>& suite_runners();
/// The runner called `name`, or null (for "fit" or an unknown name).
const SuiteRunner* find_suite_runner(const std::string& name);

/// Metrics a claim may check (keys of summary.json) for the `fit` runner.
const std::vector<std::string>& claim_metrics();

/// Parses and checks an experiment file, including every run under both profiles.
ExperimentSpec load_experiment(const std::filesystem::path& file, const std::string& name);

/// Every experiment under `configs_dir`, sorted by name.
std::vector<ExperimentSpec> discover_experiments(const std::filesystem::path& configs_dir);

/// True when a file is an experiment (has an [experiment] table) rather than a run config.
bool is_experiment_file(const toml::table& root);

}  // namespace convlab::experiments
