#pragma once
// The subcommands of the convlab CLI. Each returns the process exit code
// (0 ok, 1 a claim failed or a run diverged); bad input throws.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace convlab::experiments {

struct FitArgs {
  std::string config;
  Overrides overrides;
  std::string out;  // empty = [output] dir
};
int command_fit(const FitArgs& args);

struct ReproduceArgs {
  bool full = false;
  std::vector<std::string> only;
  std::string out = "results";
  std::string configs_dir;  // empty = the source tree's experiments/configs
};
int command_reproduce(const ReproduceArgs& args);

int command_list(const std::string& configs_dir);

int command_validate(const std::string& config, const Overrides& overrides, bool explain);

/// The generated sections of docs/configs.md (between "<!-- BEGIN generated: NAME -->" and
/// "<!-- END generated: NAME -->"): with `write`, rewrites them in `page`; otherwise exits 1
/// when the page differs from what the code generates (a CTest case).
int command_docs(const std::string& page, bool write);

}  // namespace convlab::experiments
