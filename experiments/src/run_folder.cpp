#include "run_folder.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "plots.hpp"
#include "version.hpp"

namespace convlab::experiments {

void write_atomic(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  const fs::path tmp = path.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
    out << content;
    out.flush();
    if (!out) throw std::runtime_error("write failed: " + tmp.string());
  }
  fs::rename(tmp, path);
}

int metrics_column(const std::string& name, bool with_reference) {
  static const char* columns[] = {"iteration", "seconds", "value", "grad_norm", "lr", "suboptimality"};
  for (int i = 0; i < 6; ++i)
    if (name == columns[i]) return i == 5 && !with_reference ? 0 : i + 1;
  return 0;
}

namespace {

std::string metrics_csv(const FitResult& r) {
  std::ostringstream os;
  os.precision(17);
  os << "iteration,seconds,value,grad_norm,lr" << (r.reference ? ",suboptimality" : "") << "\n";
  for (const auto& h : r.summary.history) {
    os << h.iteration << ',' << h.seconds << ',' << h.value << ',' << h.grad_norm << ',' << h.lr;
    if (r.reference) os << ',' << h.value - r.reference->value;
    os << '\n';
  }
  return os.str();
}

/// max_k (f_k − f*) / ((1 − μη)^k (f_0 − f*)): at most 1 when gradient descent with a
/// constant step η <= 1/L meets its linear-rate guarantee on a μ-strongly convex problem.
std::optional<double> linear_rate_ratio(const RunConfig& c, const FitResult& r) {
  // μ = l2 is a strong-convexity constant only when every coordinate is penalized.
  if (!r.reference || c.optimizer.type != "gd" || c.schedule.type != "constant" || c.optimizer.batch_size != 0 ||
      c.problem.l2 <= 0 || c.problem.intercept || r.lr0 > 1.0 / r.lipschitz * (1 + 1e-12) || r.summary.history.empty())
    return std::nullopt;
  const double f0 = r.summary.history.front().value - r.reference->value;
  const double q = 1.0 - c.problem.l2 * r.lr0;
  double worst = 0;
  for (const auto& h : r.summary.history) {
    if (h.iteration == 0) continue;  // the bound is an equality there
    const double bound = std::pow(q, static_cast<double>(h.iteration)) * f0;
    const double gap = h.value - r.reference->value;
    // Below 1e-13·|f*| the gap is rounding noise, not a rate.
    if (gap > 1e-13 * std::abs(r.reference->value)) worst = std::max(worst, gap / bound);
  }
  return worst;
}

}  // namespace

nlohmann::json write_run_folder(const fs::path& dir, const RunConfig& c, const FitResult& r,
                                const std::string& experiment, const std::string& run) {
  fs::create_directories(dir);
  write_atomic(dir / "config.toml", c.to_toml());
  write_atomic(dir / "metrics.csv", metrics_csv(r));
  const auto& s = r.summary;
  nlohmann::json j;
  j["experiment"] = experiment;
  j["run"] = run;
  j["status"] = optim::to_string(s.status);
  j["message"] = s.message;
  j["iterations"] = s.iterations;
  j["initial_value"] = s.initial_value;
  j["final_value"] = s.final_value;
  j["grad_norm"] = s.final_grad_norm;
  j["seconds"] = s.seconds;
  j["gradient_evaluations"] = s.gradient_evaluations;
  j["samples"] = r.samples;
  j["features"] = r.features;
  j["ranks"] = r.ranks;
  j["row_blocks"] = r.row_blocks;
  j["lipschitz"] = r.lipschitz;
  j["lr0"] = r.lr0;
  j["x"] = std::vector<double>(r.x.data(), r.x.data() + r.x.size());
  j["config_hash"] = c.hash();
  j["seed"] = c.seed;
  j["version"] = kVersion;
  j["git_commit"] = kGitCommit;
  if (r.reference) {
    const auto& ref = *r.reference;
    j["reference"] = {{"method", ref.method}, {"value", ref.value}, {"grad_norm", ref.grad_norm}};
    j["relative_suboptimality"] = std::abs(s.final_value - ref.value) / std::max(std::abs(ref.value), 1e-300);
    j["x_relative_error"] = (r.x - ref.x).norm() / std::max(ref.x.norm(), 1e-300);
  }
  if (const auto ratio = linear_rate_ratio(c, r)) j["linear_rate_ratio"] = *ratio;
  if (c.plots) {
    std::string err;
    const fs::path csv = dir / "metrics.csv";
    const int x = metrics_column("iteration", false);
    bool ok = plot_curves(dir / "value.png", {"f(x) along the run", "iteration", "f(x)", false},
                          {{csv, x, metrics_column("value", false), run}}, err);
    ok = ok && plot_curves(dir / "grad_norm.png", {"gradient norm", "iteration", "||grad f(x)||", true},
                           {{csv, x, metrics_column("grad_norm", false), run}}, err);
    if (ok && r.reference)
      ok = plot_curves(dir / "suboptimality.png", {"suboptimality", "iteration", "f(x) - f*", true},
                       {{csv, x, metrics_column("suboptimality", true), run}}, err);
    if (!ok) j["plot_error"] = err;
  }
  // summary.json last: its presence marks the run complete (resume relies on it).
  write_atomic(dir / "summary.json", j.dump(2) + "\n");
  return j;
}

std::optional<nlohmann::json> completed_run(const fs::path& dir, const std::string& hash) {
  std::ifstream in(dir / "summary.json");
  if (!in) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("config_hash", "") == hash) return j;
  } catch (const nlohmann::json::exception&) {  // a damaged summary means: run again
  }
  return std::nullopt;
}

}  // namespace convlab::experiments
