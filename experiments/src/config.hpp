#pragma once
// Run configurations: TOML → typed structs, with every key checked (type, range, allowed
// values, unknown keys) and errors that name file:line and key. The schema is in
// docs/configs.md.
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

namespace convlab::experiments {

/// Bad input in a config or on the command line (exit code 2). One line, file:line: key: what.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One key of a resolved config, for `validate --explain` and the saved config.toml.
struct ExplainRow {
  std::string key, value, default_value, rule;
};

struct ProblemConfig {
  std::string type = "logistic";  // least_squares | logistic | multinomial
  std::string data;               // resolved path
  std::string format;             // csv | libsvm (from the extension when empty)
  std::string response = "y";     // CSV response column
  double l1 = 0, l2 = 0;
  bool intercept = false, standardize = false, zero_based = false;
  long long num_classes = 0;      // multinomial; 0 = infer
};

struct OptimizerConfig {
  std::string type = "gd";  // gd | sgd | momentum | nesterov | adamw | lasso_cd
  long long batch_size = 0;
  double momentum = 0.9, dampening = 0, weight_decay = 0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  bool amsgrad = false;
  // lasso_cd (least squares with l1 > 0): relative duality gap and the accelerations
  double gap_tolerance = 1e-8;
  bool working_sets = true, screening = true, anderson = true;
};

struct ScheduleConfig {
  // constant | linear_decay | cosine | step | exponential | polynomial | inverse_sqrt | wsd | one_cycle
  std::string type = "constant";
  double lr = 1e-2;
  bool per_lipschitz = false;     // lr (and end) in units of 1/L
  long long steps = 0;            // length incl. warmup; 0 = stop.max_iterations
  long long warmup_steps = 0;     // linear warmup from 0 in front (inner schedule on its own clock)
  double end = 0;                 // linear_decay, cosine, polynomial: final lr (units of lr)
  double exponent = 1;            // cosine exponent, polynomial power
  long long step_size = 0;        // step: decay every step_size steps (0 = steps/3)
  double gamma = 0.1;             // step: factor; exponential: rate per `step_size` steps
  std::string cooldown = "linear";  // wsd: linear | sqrt
  double cooldown_fraction = 0.2;   // wsd
  double pct_start = 0.3, div = 25, final_div = 1e4;  // one_cycle
  std::string shape = "cosine";     // one_cycle: cosine | linear
};

struct StopConfig {
  long long max_iterations = 1000;
  double tolerance = 0;           // gradient-norm tolerance; 0 = off
  double relative_tolerance = 0;  // relative decrease; 0 = off
  double time_limit = 3600;       // seconds
  long long evaluate_every = 0;
};

struct RunConfig {
  std::string file;               // the config file it was read from (named in errors; not hashed)
  long long seed = 1;
  ProblemConfig problem;
  OptimizerConfig optimizer;
  ScheduleConfig schedule;
  StopConfig stop;
  std::vector<double> x0;         // [init] x0; empty = zeros
  std::string x0_origin;          // where x0 was set (file:line or --set), for the size check
  std::string output_dir = "results";
  bool plots = true;
  std::string reference = "none"; // none | newton | lbfgs: the optimum the run is compared to
  std::vector<ExplainRow> explain;
  /// Resolved config as TOML, defaults filled in (saved beside each run; its hash keys resume).
  std::string to_toml() const;
  std::string hash() const;
};

/// `key=value` overrides from --set (value in TOML syntax; a bare word is a string).
using Overrides = std::vector<std::string>;

/// Where each value of a copied, merged or overridden table came from ("file:line" or
/// "--set key"): toml++ drops source positions when it copies nodes.
using Origins = std::map<const toml::node*, std::string>;

/// A deep copy of `src` that remembers where its values came from.
toml::table copy_table(const toml::table& src, Origins& origins);

/// Applies --set overrides to a parsed table; errors name the override.
void apply_overrides(toml::table& root, const Overrides& overrides, Origins& origins);

/// Parses and checks a run config from an already-parsed table. `file` and `base_dir` are
/// for messages and for resolving relative paths (base_dir first, then the current dir).
RunConfig parse_run_config(const toml::table& root, const std::string& file, const std::filesystem::path& base_dir,
                           const Origins& origins = {});

/// Loads a run config file with overrides. Throws ConfigError.
RunConfig load_run_config(const std::string& path, const Overrides& overrides = {});

/// Parses a TOML file, turning syntax errors into ConfigError("file:line:col: ...").
toml::table parse_toml_file(const std::string& path);

/// A relative data path resolved against `base_dir` first, then the current directory; empty
/// when the file exists in neither.
std::string resolve_data_path(const std::string& path, const std::filesystem::path& base_dir);

/// FNV-1a (64 bit) of `text` as 16 hex digits: stable across runs, platforms and versions.
std::string stable_hash(std::string_view text);

/// Deep-merges `over` into `base` (tables merge key by key, anything else replaces).
void deep_merge(toml::table& base, const toml::table& over, Origins& origins);

/// Text that changes whenever a suite runner's resolved table changes (its config hash input).
std::string suite_fingerprint(const toml::table& suite);

}  // namespace convlab::experiments
