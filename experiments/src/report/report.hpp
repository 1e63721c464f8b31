#pragma once
// report.md and a self-contained report.html: each paper claim beside our number.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/experiment.hpp"

namespace convlab::experiments {

struct ClaimResult {
  ClaimSpec spec;
  std::optional<double> measured;  // empty when the run did not produce the metric
  bool pass = false;
  std::string run_dir;             // relative to the report's folder
};

struct ExperimentResult {
  const ExperimentSpec* spec = nullptr;
  std::vector<std::string> figures;  // relative paths of the experiment's plots
  std::string details;               // extra markdown (a runner's result table), may be empty
  std::vector<ClaimResult> claims;
  std::vector<std::string> diverged_runs;
};

/// Evaluates `measured op threshold`.
bool claim_holds(const std::string& op, double measured, double threshold);

void write_report(const std::filesystem::path& out_dir, const std::vector<ExperimentResult>& results,
                  const std::string& profile);

}  // namespace convlab::experiments
