#include "report/plots.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace convlab::experiments {
std::string gnuplot_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

bool run_gnuplot(const std::filesystem::path& png, const std::string& body, std::string& error) {
  // Names of this process and call: two writers of one folder never share a temporary.
  static std::atomic<unsigned long> calls{0};
  const std::string unique = "." + std::to_string(::getpid()) + "." + std::to_string(calls++);
  const auto tmp_png = png.string() + ".tmp" + unique;
  const auto script_path = png.string() + unique + ".gp";
  const auto log_path = png.string() + unique + ".log";
  {
    std::ofstream gp(script_path);
    gp << "set terminal pngcairo size 900,560 enhanced font 'sans,11'\n"
       << "set output " << gnuplot_quote(tmp_png) << "\n"
       << body;
  }
  const std::string cmd = "gnuplot " + gnuplot_quote(script_path) + " 2>" + gnuplot_quote(log_path);
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  const bool ok = rc == 0 && std::filesystem::exists(tmp_png);
  if (ok) {
    std::filesystem::rename(tmp_png, png);
  } else {
    std::ifstream log(log_path);
    std::stringstream ss;
    ss << log.rdbuf();
    error = "gnuplot failed (is gnuplot-nox installed? scripts/install-deps.sh installs it): " + ss.str();
    std::filesystem::remove(tmp_png, ec);
  }
  std::filesystem::remove(script_path, ec);  // the log's text is in `error`
  std::filesystem::remove(log_path, ec);
  return ok;
}

bool plot_curves(const std::filesystem::path& png, const PlotSpec& spec, const std::vector<Curve>& curves,
                 std::string& error) {
  if (curves.empty()) {
    error = "no curves";
    return false;
  }
  std::ostringstream gp;
  gp << "set datafile separator ','\nset datafile columnheaders\n"
     << "set title " << gnuplot_quote(spec.title) << " noenhanced\n"
     << "set xlabel " << gnuplot_quote(spec.xlabel) << "\n"
     << "set ylabel " << gnuplot_quote(spec.ylabel) << "\n"
     << "set grid\nset key outside right top noenhanced\n";
  if (spec.log_y) gp << "set logscale y\nset format y '10^{%L}'\n";
  gp << "plot ";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    const auto& c = curves[i];
    const std::string col = std::to_string(c.y_column);
    // Non-positive values cannot sit on a log axis: 1/0 drops them instead of failing.
    const std::string y = spec.log_y ? "($" + col + " > 0 ? $" + col + " : 1/0)" : col;
    gp << (i ? ", \\\n     " : "") << gnuplot_quote(c.csv.string()) << " using " << c.x_column << ":" << y
       << " with lines lw 2 title " << gnuplot_quote(c.title);
  }
  gp << "\n";
  return run_gnuplot(png, gp.str(), error);
}

}  // namespace convlab::experiments
