#include "plots.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace convlab::experiments {
namespace {
std::string quote(const std::string& s) {  // gnuplot single-quoted string
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}
}  // namespace

bool plot_curves(const std::filesystem::path& png, const PlotSpec& spec, const std::vector<Curve>& curves,
                 std::string& error) {
  if (curves.empty()) {
    error = "no curves";
    return false;
  }
  const auto tmp_png = png.string() + ".tmp";
  const auto script_path = png.string() + ".gp";
  {
    std::ofstream gp(script_path);
    gp << "set terminal pngcairo size 900,560 enhanced font 'sans,11'\n"
       << "set output " << quote(tmp_png) << "\n"
       << "set datafile separator ','\nset datafile columnheaders\n"
       << "set title " << quote(spec.title) << " noenhanced\n"
       << "set xlabel " << quote(spec.xlabel) << "\n"
       << "set ylabel " << quote(spec.ylabel) << "\n"
       << "set grid\nset key outside right top noenhanced\n";
    if (spec.log_y) gp << "set logscale y\nset format y '10^{%L}'\n";
    gp << "plot ";
    for (std::size_t i = 0; i < curves.size(); ++i) {
      const auto& c = curves[i];
      // Non-positive values cannot sit on a log axis: 1/0 drops them instead of failing.
      const std::string y = spec.log_y ? "($" + std::to_string(c.y_column) + " > 0 ? $" + std::to_string(c.y_column) +
                                             " : 1/0)"
                                       : "" + std::to_string(c.y_column);
      gp << (i ? ", \\\n     " : "") << quote(c.csv.string()) << " using " << c.x_column << ":" << y
         << " with lines lw 2 title " << quote(c.title);
    }
    gp << "\n";
  }
  const std::string cmd = "gnuplot " + quote(script_path) + " 2>" + quote(png.string() + ".log");
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  if (rc != 0 || !std::filesystem::exists(tmp_png)) {
    std::ifstream log(png.string() + ".log");
    std::stringstream ss;
    ss << log.rdbuf();
    error = "gnuplot failed (is gnuplot-nox installed? scripts/install-deps.sh installs it): " + ss.str();
    std::filesystem::remove(tmp_png, ec);
    return false;
  }
  std::filesystem::rename(tmp_png, png);
  std::filesystem::remove(script_path, ec);
  std::filesystem::remove(png.string() + ".log", ec);
  return true;
}

}  // namespace convlab::experiments
