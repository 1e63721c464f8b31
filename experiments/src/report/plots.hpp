#pragma once
// Plots through gnuplot (Debian package gnuplot-nox, installed by scripts/install-deps.sh).
#include <filesystem>
#include <string>
#include <vector>

namespace convlab::experiments {

struct Curve {
  std::filesystem::path csv;  // a metrics.csv
  int x_column, y_column;     // 1-based
  std::string title;          // legend entry
};

struct PlotSpec {
  std::string title, xlabel, ylabel;
  bool log_y = false;
};

/// Runs a gnuplot script `body` (everything after the terminal/output lines) writing `png`
/// atomically. Returns false, with the reason in `error`, when gnuplot is missing or fails.
bool run_gnuplot(const std::filesystem::path& png, const std::string& body, std::string& error);

/// Single-quoted gnuplot string.
std::string gnuplot_quote(const std::string& s);

/// Draws the curves into `png` (atomically). Returns false, with the reason in `error`,
/// when gnuplot is missing or fails; the caller decides whether that matters.
bool plot_curves(const std::filesystem::path& png, const PlotSpec& spec, const std::vector<Curve>& curves,
                 std::string& error);

}  // namespace convlab::experiments
