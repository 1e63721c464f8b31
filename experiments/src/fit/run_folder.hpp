#pragma once
// Run folders: <out>/<experiment>/<run>/{config.toml, metrics.csv, summary.json, *.png},
// every file written atomically (temporary file + rename), and the resume check.
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "fit/fit.hpp"
#include "fit/model_description.hpp"

namespace convlab::experiments {

namespace fs = std::filesystem;

/// Writes `content` to `path` through a temporary file of its own (unique per process and
/// call) + rename, so readers never see half a file and two writers never share a temporary.
void write_atomic(const fs::path& path, const std::string& content);

/// Creates the output folder `dir` (and its parents) and checks that it is writable, before
/// any work is done: a bad `--out` or `[output] dir` is bad input (ConfigError, exit 2) that
/// names the path.
void prepare_output_dir(const fs::path& dir);

/// An exclusive lock on one run folder (`<dir>/.lock`, flock), held while a run writes it.
/// A second process that writes the same folder waits for the first to finish (with a note
/// on stderr) and then writes the whole folder itself, so a folder never mixes two runs.
class RunFolderLock {
 public:
  explicit RunFolderLock(const fs::path& dir);
  ~RunFolderLock();
  RunFolderLock(const RunFolderLock&) = delete;
  RunFolderLock& operator=(const RunFolderLock&) = delete;

 private:
  int fd_ = -1;
};

/// One line for a run that ended on its budget (max_iterations or time_limit) rather than a
/// tolerance, with the relative suboptimality when a reference ran; empty otherwise. Written
/// to summary.json ("warning") and printed by `convlab fit`.
std::string stop_warning(const FitResult& result);

/// What `convlab predict` needs to apply a fit's x to new rows (summary.json's "model").
ModelDescription describe_model(const RunConfig& config, const FitResult& result);

/// Writes the folder of one finished run and returns its summary.json content.
nlohmann::json write_run_folder(const fs::path& dir, const RunConfig& config, const FitResult& result,
                                const std::string& experiment, const std::string& run);

/// Writes summary.json with a "checksum" key (CRC-32 of the rest), which completed_run checks.
void write_summary(const fs::path& path, nlohmann::json summary);

/// A summary.json, parsed, with its checksum verified (ConfigError naming the file otherwise).
nlohmann::json read_summary(const fs::path& file);

/// The summary of a finished run in `dir` whose config hash equals `hash`, if any. A summary
/// whose checksum does not match (damaged or edited) is not trusted: a warning, and the run
/// runs again.
std::optional<nlohmann::json> completed_run(const fs::path& dir, const std::string& hash);

/// The per-step gradient norms a linear-decay run recorded in its folder `dir` (step_norms.csv,
/// checked against the CRC-32 and count in its summary.json), which must be of kind `norm`
/// ("l2" or "l1"). ConfigError naming the folder or file otherwise.
std::vector<double> read_step_norms(const fs::path& dir, const std::string& norm);

/// Column of metrics.csv (1-based, for gnuplot) by name; 0 when absent.
int metrics_column(const std::string& name, bool with_reference);

}  // namespace convlab::experiments
