#pragma once
// Run folders: <out>/<experiment>/<run>/{config.toml, metrics.csv, summary.json, *.png},
// every file written atomically (temporary file + rename), and the resume check.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "fit.hpp"

namespace convlab::experiments {

namespace fs = std::filesystem;

/// Writes `content` to `path` through `path.tmp` + rename, so readers never see half a file.
void write_atomic(const fs::path& path, const std::string& content);

/// Writes the folder of one finished run and returns its summary.json content.
nlohmann::json write_run_folder(const fs::path& dir, const RunConfig& config, const FitResult& result,
                                const std::string& experiment, const std::string& run);

/// The summary of a finished run in `dir` whose config hash equals `hash`, if any.
std::optional<nlohmann::json> completed_run(const fs::path& dir, const std::string& hash);

/// Column of metrics.csv (1-based, for gnuplot) by name; 0 when absent.
int metrics_column(const std::string& name, bool with_reference);

}  // namespace convlab::experiments
