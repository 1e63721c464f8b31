#include "fit/run_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

#include <boost/crc.hpp>
#include <fmt/core.h>

#include "report/plots.hpp"
#include "version.hpp"

namespace convlab::experiments {

void write_atomic(const fs::path& path, const std::string& content) {
  if (!path.parent_path().empty()) fs::create_directories(path.parent_path());  // "p.csv": the current folder
  static std::atomic<unsigned long> calls{0};
  const fs::path tmp = fmt::format("{}.tmp.{}.{}", path.string(), ::getpid(), calls++);
  try {
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
      out << content;
      out.flush();
      if (!out) throw std::runtime_error("write failed: " + tmp.string());
    }
    fs::rename(tmp, path);
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void prepare_output_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir))
    throw ConfigError(fmt::format("output folder '{}' cannot be created: {}", dir.string(),
                                  ec ? ec.message() : "a file of that name is in the way"));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw ConfigError(fmt::format("output folder '{}' is not writable: {}", dir.string(), std::strerror(errno)));
}

RunFolderLock::RunFolderLock(const fs::path& dir) {
  prepare_output_dir(dir);
  const fs::path file = dir / ".lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw ConfigError(fmt::format("cannot open the lock file '{}': {}", file.string(), std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  fmt::print(stderr, "convlab: waiting for another convlab process to finish writing {}\n", dir.string());
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) throw std::runtime_error(fmt::format("cannot lock '{}': {}", file.string(), std::strerror(errno)));
}

RunFolderLock::~RunFolderLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
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

ModelDescription describe_model(const RunConfig& c, const FitResult& r) {
  const auto& pc = c.problem;
  // Ordinal models keep their thresholds where the intercepts of the other models are.
  return {.problem = pc.type, .format = pc.format, .response = pc.response, .intercept = pc.intercept || pc.type == "ordinal",
          .zero_based = pc.zero_based, .features = r.features, .outputs = r.outputs, .feature_names = r.feature_names,
          .taus = pc.type == "quantile" ? pc.taus : std::vector<double>{}, .standardization = r.standardization,
          .network = pc.is_network() ? std::optional<NetworkSpec>(pc.network) : std::nullopt};
}

std::string stop_warning(const FitResult& r) {
  const auto& s = r.summary;
  if (s.status != optim::Status::MaxIterations && s.status != optim::Status::TimeLimit) return "";
  std::string w = fmt::format("stopped by {} after {} iterations before any tolerance was met", optim::to_string(s.status),
                              s.iterations);
  if (r.reference)
    w += fmt::format("; relative suboptimality {:.3e} against the {} reference",
                     std::abs(s.final_value - r.reference->value) / std::max(std::abs(r.reference->value), 1e-300),
                     r.reference->method);
  return w;
}

namespace {
std::string crc32_hex(const std::string& text) {
  boost::crc_32_type crc;
  crc.process_bytes(text.data(), text.size());
  return fmt::format("{:08x}", crc.checksum());
}
}  // namespace

nlohmann::json write_run_folder(const fs::path& dir, const RunConfig& c, const FitResult& r,
                                const std::string& experiment, const std::string& run) {
  const RunFolderLock lock(dir);  // all files of one run, or wait for the other writer
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
  if (const auto& c = s.certificate; c.certified()) {  // the certified solvers' bound on suboptimality
    j["certificate"] = {{"kind", optim::to_string(c.kind)}, {"value", c.value}, {"tolerance", c.tolerance}};
    if (c.kind == optim::Certificate::Kind::DualityGap) j["certificate"]["primal"] = c.primal, j["certificate"]["dual"] = c.dual;
  }
  j["gradient_evaluations"] = s.gradient_evaluations;
  j["samples"] = r.samples;
  j["features"] = r.features;
  if (!r.feature_names.empty()) j["feature_names"] = r.feature_names;
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
  if (!r.step_norms.empty()) {  // for a later refined run (`[schedule] from`)
    std::string csv = "step,norm\n";
    for (std::size_t i = 0; i < r.step_norms.size(); ++i) csv += fmt::format("{},{}\n", i + 1, r.step_norms[i]);
    write_atomic(dir / "step_norms.csv", csv);
    j["step_gradient_norms"] = {{"file", "step_norms.csv"}, {"norm", r.step_norm}, {"steps", r.step_norms.size()}, {"crc32", crc32_hex(csv)}};
  }
  if (!r.refined_from.empty()) j["refined_from"] = r.refined_from;
  if (!r.refined_shape.empty()) {  // a refined run: two passes, or `from` an earlier run
    if (const auto& f = r.first_pass)
      j["first_pass"] = {{"schedule", "linear_decay"}, {"status", optim::to_string(f->status)}, {"iterations", f->iterations},
                         {"final_value", f->final_value}, {"grad_norm", f->final_grad_norm}};
    const auto& shape = r.refined_shape;  // 11 points of the refined lr/peak over the run, for a glance
    std::vector<double> glance;
    for (int i = 0; i <= 10; ++i) glance.push_back(shape[(shape.size() - 1) * static_cast<std::size_t>(i) / 10]);
    j["refined_shape_deciles"] = glance;
  }
  if (const auto ratio = linear_rate_ratio(c, r)) j["linear_rate_ratio"] = *ratio;
  if (const auto& b = r.last_iterate_bound) {  // docs/configs.md, "The last-iterate bound"
    nlohmann::json lb = {{"form", "f(x) - f* <= at_zero_distance + per_squared_distance * D^2, D = |x0 - x*|"},
                         {"at_zero_distance", b->form.at_zero_distance},
                         {"per_squared_distance", b->form.per_squared_distance},
                         {"extra_step", b->form.extra_step}};
    if (std::isfinite(b->distance)) {  // a reference gave x*
      lb["distance"] = b->distance;
      lb["value"] = b->form.value;
      lb["suboptimality"] = b->suboptimality;
    }
    j["last_iterate_bound"] = lb;
  }
  if (c.problem.type == "label_propagation") {  // transductive: the answer is every node's value
    std::string csv = "node,value,labelled\n";
    for (std::size_t v = 0; v < r.node_values.size(); ++v) csv += fmt::format("{},{},{}\n", v, r.node_values[v], int(r.node_labelled[v]));
    write_atomic(dir / "propagated.csv", csv);
    j["propagated"] = {{"file", "propagated.csv"}, {"nodes", r.node_values.size()}, {"crc32", crc32_hex(csv)}};
    j["model"] = {{"problem", c.problem.type}};
  } else {
    j["model"] = model_json(describe_model(c, r));
  }
  if (!r.solver.empty()) j["solver"] = r.solver;
  if (const std::string w = r.warning.empty() ? stop_warning(r) : r.warning; !w.empty()) j["warning"] = w;
  if (c.plots && !s.history.empty()) {  // solvers (lasso_cd, quantile_lp) record no history to plot
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
  write_summary(dir / "summary.json", j);
  return j;
}

namespace {
/// CRC-32 of the compact dump of `j` without its "checksum" key, as 8 hex digits.
std::string summary_checksum(nlohmann::json j) {
  j.erase("checksum");
  return crc32_hex(j.dump());
}
}  // namespace

nlohmann::json read_summary(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw ConfigError(file.string() + ": cannot read (is this a run folder of `convlab fit`?)");
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(file.string() + ": not valid JSON (" + e.what() + ")");
  }
  if (j.value("checksum", "") != summary_checksum(j))
    throw ConfigError(file.string() + ": checksum mismatch (the file was damaged or edited)");
  return j;
}

void write_summary(const fs::path& path, nlohmann::json j) {
  j["checksum"] = summary_checksum(j);
  write_atomic(path, j.dump(2) + "\n");
}

std::optional<nlohmann::json> completed_run(const fs::path& dir, const std::string& hash) {
  const fs::path file = dir / "summary.json";
  std::ifstream in(file);
  if (!in) return std::nullopt;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("config_hash", "") != hash) return std::nullopt;
    if (j.value("checksum", "") == summary_checksum(j)) return j;
  } catch (const nlohmann::json::exception&) {
  }
  fmt::print(stderr, "warning: {} is damaged (checksum mismatch or invalid JSON): running again\n", file.string());
  return std::nullopt;
}

std::vector<double> read_step_norms(const fs::path& dir, const std::string& norm) {
  const nlohmann::json summary = read_summary(dir / "summary.json");  // its checksum verified
  const auto it = summary.find("step_gradient_norms");
  if (it == summary.end())
    throw ConfigError(dir.string() + ": this run recorded no gradient norms; refine a run with [schedule] type = \"linear_decay\"");
  const std::string kind = it->value("norm", ""), file = it->value("file", "");
  if (kind != norm)
    throw ConfigError(dir.string() + ": its gradient norms are " + kind + " norms, but [schedule] q = " + (norm == "l1" ? "1" : "2") +
                      " refines " + norm + " norms; set q = " + (kind == "l1" ? "1" : "2") + " (l1: adamw, lion; l2: the SGD family)");
  const fs::path csv_path = dir / file;
  std::ifstream in(csv_path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw ConfigError(csv_path.string() + ": cannot read");
  if (crc32_hex(text) != it->value("crc32", ""))
    throw ConfigError(csv_path.string() + ": damaged or edited (its CRC-32 differs from the one in summary.json)");
  std::vector<double> norms;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) norms.push_back(std::stod(line.substr(line.find(',') + 1)));
  if (norms.size() != it->value("steps", std::size_t{0}))
    throw ConfigError(csv_path.string() + ": holds " + std::to_string(norms.size()) + " norms, summary.json says " +
                      std::to_string(it->value("steps", std::size_t{0})));
  return norms;
}

}  // namespace convlab::experiments
