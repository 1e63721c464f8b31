#pragma once
// Variants of a run config: the runs that `--set` overrides and `[[sweep]]` grids make of one
// file, each with a run folder of its own named from the keys it sets (docs/configs.md).
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config/config.hpp"

namespace convlab::experiments {

/// One key a variant sets on top of the file.
struct Setting {
  std::string key;     // dotted, e.g. "schedule.lr"
  toml::table value;   // {v = the value}
  std::string origin;  // "--set schedule.lr" or the file:line of a [[sweep]] value
  bool swept = false;  // from a [[sweep]] grid (a column of sweep.csv)
};

struct Variant {
  std::vector<Setting> settings;  // in the order they apply: sweep values, then --set
  std::string folder;             // "fit" when nothing but [output] keys is set
  RunConfig config;
};

/// The run folder name of `settings`: "fit" when they set nothing but [output] keys (which do
/// not change a run's numbers); else `key=value` of each other key, sorted by key and joined by
/// ','. A value is shown as TOML shows it (strings without quotes); characters other than
/// letters, digits and `._+-` become '_', and a value that lost characters gets 8 hex digits of
/// its hash, so two different variants never share a folder.
std::string variant_folder(const std::vector<Setting>& settings);

/// The settings of --set overrides (the last value of a key given twice wins).
std::vector<Setting> settings_of(const Overrides& overrides);

/// Calls fn(settings, folder, table, origins) for every variant of the config file `path` (a run
/// config or a federated one): the product of the values of each `[[sweep]]` table (all tables
/// together; none = one variant), each with the --set overrides on top. `table` is the file
/// without its sweeps and with the variant's settings applied; `origins` says where each set
/// value came from. Bad sweeps throw ConfigError naming file:line or the --set.
void for_each_variant(const std::string& path, const Overrides& overrides,
                      const std::function<void(const std::vector<Setting>&, const std::string& folder, const toml::table&,
                                               const Origins&)>& fn);

/// Every variant of the run config `path` (for_each_variant), parsed and checked. Bad input
/// throws ConfigError naming file:line or the --set before anything runs.
std::vector<Variant> load_run_variants(const std::string& path, const Overrides& overrides);

/// The sweep.csv of finished variants: one row per variant with its swept values and the
/// summary.json facts `columns` (a number, a string, or empty when the summary lacks it).
std::string sweep_table(const std::vector<Variant>& variants, const std::vector<nlohmann::json>& summaries,
                        const std::vector<std::string>& columns);

}  // namespace convlab::experiments
