#include "cli/commands.hpp"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <iostream>

#include <fmt/core.h>

#include "config/experiment.hpp"
#include "fit/federated_fit.hpp"
#include "fit/fit.hpp"
#include "cli/mpi_session.hpp"
#include "report/plots.hpp"
#include "report/report.hpp"
#include "fit/run_folder.hpp"
#include "config/variants.hpp"
#include "version.hpp"

namespace convlab::experiments {
namespace {

/// The shipped experiment configs: beside an installed executable (<prefix>/bin/convlab reads
/// <prefix>/share/convlab/experiments/configs, installed with the data they name), else the
/// source tree this build came from.
std::string configs_or_default(const std::string& dir) {
  if (!dir.empty()) return dir;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "convlab" / "experiments" / "configs";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return kConfigsDir;
}

// Checks one run of several without running it (loads the data: sizes, labels, x0); when it
// fails, says which run before the error itself is printed.
FitResult check_run(const std::string& name, const RunConfig& c, std::size_t runs) {
  try {
    return run_fit(c, false, /*dry_run=*/true);
  } catch (...) {
    if (runs > 1) fmt::print(stderr, "convlab: while checking run '{}':\n", name);
    throw;
  }
}

std::string seconds(double s) { return s < 60 ? fmt::format("{:.1f}s", s) : fmt::format("{:.0f}m{:02.0f}s", s / 60, std::fmod(s, 60)); }

}  // namespace

int command_fit(const FitArgs& a) {
  const toml::table probe = parse_toml_file(a.config);
  if (is_experiment_file(probe))
    throw ConfigError(a.config + ": this is an experiment file; run it with `convlab reproduce --only <name>`");
  if (is_federated_config(probe)) return command_federated_fit(a.config, a.overrides, a.out);
  // Every variant is read and checked before the first runs: a bad value in the last one of a
  // sweep fails now, not after hours.
  const std::vector<Variant> variants = load_run_variants(a.config, a.overrides);
  const bool sweep = variants.size() > 1;
  if (sweep)
    for (const auto& v : variants) (void)check_run(v.folder, v.config, variants.size());
  // Under mpirun every rank runs the same optimizer on its rows (fit.cpp); rank 0 alone writes.
  const bool root = mpi_session::rank() == 0;
  const std::string stem = fs::path(a.config).stem().string();
  const fs::path parent = fs::path(a.out.empty() ? variants.front().config.output_dir : a.out) / stem;  // [output] is never swept
  // A run that fails its checks leaves no empty folder behind: the folders made here, deepest
  // first, are removed again while they are still empty.
  std::vector<fs::path> made;
  if (root)
    for (const auto& v : variants) {
      for (fs::path d = parent / v.folder; !d.empty() && !fs::exists(d); d = d.parent_path()) made.push_back(d);
      prepare_output_dir(parent / v.folder);  // a bad --out fails before the run, not after it
    }
  std::sort(made.begin(), made.end(), [](const fs::path& a, const fs::path& b) { return a.string().size() > b.string().size(); });
  int code = 0;
  std::vector<nlohmann::json> summaries;
  try {
    for (std::size_t i = 0; i < variants.size(); ++i) {
      const Variant& v = variants[i];
      if (root && sweep) fmt::print("[{}/{}] {}\n", i + 1, variants.size(), v.folder);
      const FitResult r = run_fit(v.config, root);  // progress: a bar on a terminal, else a line every 10 s
      if (!r.summary.is_solution_usable()) code = 1;
      if (!root) continue;
      const fs::path dir = parent / v.folder;
      summaries.push_back(write_run_folder(dir, v.config, r, stem, v.folder));
      const auto& summary = summaries.back();
      fmt::print("{}\n", r.summary.brief_report());
      if (r.reference)
        fmt::print("reference ({}) f* = {:.15e}; relative suboptimality {:.3e}\n", r.reference->method, r.reference->value,
                   summary["relative_suboptimality"].get<double>());
      if (const auto& b = r.last_iterate_bound)
        fmt::print("last-iterate bound: f(x) - f* <= {:.4g} + {:.4g}*D^2{}\n", b->form.at_zero_distance, b->form.per_squared_distance,
                   r.reference ? fmt::format(" = {:.4g} at D = |x0 - x*| = {:.4g}; measured {:.4g}", b->form.value, b->distance,
                                             b->suboptimality)
                               : std::string(", D = |x0 - x*|"));
      if (summary.contains("warning")) fmt::print(stderr, "warning: {}\n", summary["warning"].get<std::string>());
      if (summary.contains("plot_error")) fmt::print(stderr, "warning: plots skipped: {}\n", summary["plot_error"].get<std::string>());
      fmt::print("run folder: {}\n", dir.string());
    }
  } catch (...) {
    std::error_code ignored;
    for (const auto& d : made) fs::remove(d, ignored);  // removes only empty folders
    throw;
  }
  if (root && sweep) {
    std::vector<std::string> columns{"status", "iterations", "final_value", "grad_norm", "seconds"};
    if (std::any_of(summaries.begin(), summaries.end(), [](const auto& j) { return j.contains("relative_suboptimality"); }))
      columns.push_back("relative_suboptimality");
    write_atomic(parent / "sweep.csv", sweep_table(variants, summaries, columns));
    fmt::print("sweep table: {}\n", (parent / "sweep.csv").string());
  }
  return code;
}

int command_reproduce(const ReproduceArgs& a) {
  if (mpi_session::size() > 1)
    throw ConfigError("`convlab reproduce` runs on one process (its runs share one output folder); under mpirun use `convlab fit CONFIG.toml`");
  const std::string profile = a.full ? "full" : "quick";
  auto experiments = discover_experiments(configs_or_default(a.configs_dir));
  if (!a.only.empty()) {
    std::vector<bool> keep(experiments.size(), false);
    for (const auto& name : a.only) {
      bool found = false;
      for (std::size_t i = 0; i < experiments.size(); ++i)
        if (experiments[i].name == name || experiments[i].name.rfind(name + "/", 0) == 0) keep[i] = found = true;
      if (!found) {
        std::string names;
        for (const auto& e : experiments) names += (names.empty() ? "" : ", ") + e.name;
        throw ConfigError("--only " + name + ": no such experiment (known: " + names + ")");
      }
    }
    std::vector<ExperimentSpec> chosen;
    for (std::size_t i = 0; i < experiments.size(); ++i)
      if (keep[i]) chosen.push_back(std::move(experiments[i]));
    experiments = std::move(chosen);
  }
  std::vector<std::vector<RunConfig>> configs;
  std::size_t total = 0;
  for (const auto& e : experiments) {
    configs.push_back(e.runner == "fit" ? e.runs(profile) : std::vector<RunConfig>{});
    total += e.runner == "fit" ? configs.back().size() : 1;
  }
  const fs::path out(a.out);
  prepare_output_dir(out);
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  std::size_t done = 0, ran = 0;
  double ran_seconds = 0;
  std::vector<ExperimentResult> results;
  bool any_failure = false;
  for (std::size_t ei = 0; ei < experiments.size(); ++ei) {
    const auto& e = experiments[ei];
    ExperimentResult er;
    er.spec = &e;
    std::map<std::string, nlohmann::json> summaries;
    if (e.runner != "fit") {
      Origins origins;
      const toml::table suite = e.suite(profile, origins);
      const fs::path dir = out / e.name / "suite";
      const std::string hash = stable_hash(e.runner + " v1\n" + suite_fingerprint(suite));
      auto summary = completed_run(dir, hash);
      ++done;
      if (summary) {
        fmt::print(stderr, "[{}/{}] {}/suite: already done (same config hash), skipped\n", done, total, e.name);
      } else {
        const RunFolderLock lock(dir);
        fmt::print(stderr, "[{}/{}] {}/suite: running ({} profile)\n", done, total, e.name, profile);
        const double t0 = elapsed();
        std::size_t last_tenth = 0;
        summary = find_suite_runner(e.runner)->run(
            suite, e.file, fs::absolute(e.file).parent_path(), dir, e.name + "/suite/",
            [&](std::size_t k, std::size_t n) {
              if (k * 10 / n > last_tenth || k == n) {
                last_tenth = k * 10 / n;
                const double el = elapsed() - t0;
                fmt::print(stderr, "  {}/suite: {}/{} runs, elapsed {}, ETA {}\n", e.name, k, n, seconds(elapsed()),
                           seconds(el / static_cast<double>(k) * static_cast<double>(n - k)));
              }
            });
        (*summary)["config_hash"] = hash;
        (*summary)["version"] = kVersion;
        (*summary)["git_commit"] = kGitCommit;
        write_summary(dir / "summary.json", *summary);
        ran_seconds += elapsed() - t0;
        ++ran;
      }
      if (summary->contains("plot_error"))
        fmt::print(stderr, "warning: plots skipped: {}\n", (*summary)["plot_error"].get<std::string>());
      for (const auto& f : (*summary)["figures"]) er.figures.push_back(f.get<std::string>());
      er.details = summary->value("details_markdown", "");
      summaries["suite"] = *summary;
    }
    std::vector<Curve> curves;
    bool have_reference = true;
    for (std::size_t ri = 0; ri < configs[ei].size(); ++ri) {
      const auto& c = configs[ei][ri];
      const std::string& run = e.run_names[ri];
      const fs::path dir = out / e.name / run;
      const std::string label = e.name + "/" + run;
      auto summary = completed_run(dir, c.hash());
      ++done;
      if (summary) {
        fmt::print(stderr, "[{}/{}] {}: already done (same config hash), skipped\n", done, total, label);
      } else {
        fmt::print(stderr, "[{}/{}] {}: running ({} profile)\n", done, total, label, profile);
        const double t0 = elapsed();
        const FitResult r = run_fit(c, true);
        summary = write_run_folder(dir, c, r, e.name, run);
        ran_seconds += elapsed() - t0;
        ++ran;
        const double eta = ran ? ran_seconds / static_cast<double>(ran) * static_cast<double>(total - done) : 0;
        fmt::print(stderr, "[{}/{}] {}: {} | elapsed {}, ETA {}\n", done, total, label, r.summary.brief_report(),
                   seconds(elapsed()), seconds(eta));
        if (summary->contains("plot_error"))
          fmt::print(stderr, "warning: plots skipped: {}\n", (*summary)["plot_error"].get<std::string>());
      }
      if ((*summary)["status"] == "non_finite") er.diverged_runs.push_back(run);
      have_reference = have_reference && summary->contains("reference");
      summaries[run] = *summary;
      curves.push_back({dir / "metrics.csv", metrics_column("iteration", false), 0, run});
    }
    if (!curves.empty()) {  // the comparison figure: one curve per run
      const std::string metric = e.figure_metric == "suboptimality" && !have_reference ? "value" : e.figure_metric;
      for (auto& cv : curves) cv.y_column = metrics_column(metric, have_reference);
      std::string err;
      const std::string figure = e.name + "/comparison.png";
      const bool log_y = metric != "value";
      if (plot_curves(out / figure, {e.title, "iteration", metric == "suboptimality" ? "f(x) - f*" : metric, log_y},
                      curves, err))
        er.figures.push_back(figure);
      else
        fmt::print(stderr, "warning: {}: comparison plot skipped: {}\n", e.name, err);
    }
    for (const auto& cs : e.claims) {
      ClaimResult cr{cs, std::nullopt, false, e.name + "/" + cs.run};  // the run's folder
      auto metric_of = [&](const std::string& run) -> std::optional<double> {
        const auto& s = summaries.at(run);
        if (s.contains(cs.metric) && s[cs.metric].is_number()) return s[cs.metric].get<double>();
        return std::nullopt;
      };
      cr.measured = metric_of(cs.run);
      if (cr.measured && !cs.baseline.empty()) {
        const auto base = metric_of(cs.baseline);
        cr.measured = base && *base != 0 ? std::optional<double>(*cr.measured / *base) : std::nullopt;
      }
      if (cr.measured) cr.pass = claim_holds(cs.op, *cr.measured, cs.threshold);
      any_failure = any_failure || !cr.pass;
      er.claims.push_back(std::move(cr));
    }
    any_failure = any_failure || !er.diverged_runs.empty();
    results.push_back(std::move(er));
  }
  write_report(out, results, profile);
  std::size_t claims = 0, passed = 0;
  for (const auto& r : results)
    for (const auto& c : r.claims) {
      ++claims;
      passed += c.pass;
    }
  fmt::print("{} of {} claims hold ({} runs, {} run now, {}). Report: {} and {}\n", passed, claims, total, ran,
             seconds(elapsed()), (out / "report.md").string(), (out / "report.html").string());
  for (const auto& r : results)
    for (const auto& c : r.claims)
      if (!c.pass)
        fmt::print("FAILED {}: {} ({} = {}, needs {} {})\n", r.spec->name, c.spec.id, c.spec.metric,
                   c.measured ? fmt::format("{:.4g}", *c.measured) : "n/a", c.spec.op, c.spec.threshold);
  return any_failure ? 1 : 0;
}

int command_list(const std::string& configs_dir) {
  const std::string dir = configs_or_default(configs_dir);
  fmt::print("experiments in {}\n", dir);
  for (const auto& e : discover_experiments(dir)) {
    fmt::print("{}  ({} runs: ", e.name, e.run_names.size());
    for (std::size_t i = 0; i < e.run_names.size(); ++i) fmt::print("{}{}", i ? ", " : "", e.run_names[i]);
    fmt::print(")\n  {}\n", e.title);
    for (const auto& c : e.claims) {
      const std::string metric =
          c.baseline.empty() ? c.metric : c.metric + "(" + c.run + ") / " + c.metric + "(" + c.baseline + ")";
      fmt::print("  - {}: {} [{}] check: {} {} {}\n", c.id, c.statement, c.source, metric, c.op, c.threshold);
    }
  }
  return 0;
}

int command_validate(const std::string& config, const Overrides& overrides, bool explain) {
  const toml::table probe = parse_toml_file(config);
  if (is_federated_config(probe)) return command_federated_validate(config, overrides);
  std::vector<std::pair<std::string, RunConfig>> runs;
  std::string runner = "fit";
  if (is_experiment_file(probe)) {
    if (!overrides.empty()) throw ConfigError("--set applies to run configs, not to experiment files");
    const auto e = load_experiment(config, fs::path(config).stem().string());
    runner = e.runner;
    for (const std::string profile : {"quick", "full"}) {
      const auto cs = e.runs(profile);
      for (std::size_t i = 0; i < cs.size(); ++i) runs.emplace_back(e.run_names[i] + " (" + profile + ")", cs[i]);
    }
  } else {
    for (auto& v : load_run_variants(config, overrides)) runs.emplace_back(v.folder, std::move(v.config));
  }
  for (const auto& [name, c] : runs) {
    const FitResult r = check_run(name, c, runs.size());
    if (explain) {
      fmt::print("# {}: {} samples x {} features, dimension {}\n", name, r.samples, r.features, r.dim);
      for (const auto& row : c.explain)
        fmt::print("{:<28} = {:<24} # default {}{}{}\n", row.key, row.value, row.default_value,
                   row.rule.empty() ? "" : "; allowed " + row.rule, row.doc.empty() ? "" : "; " + row.doc);
    }
  }
  if (runs.empty()) fmt::print("{}: ok ({} suite, both profiles)\n", config, runner);
  else fmt::print("{}: ok ({} run{})\n", config, runs.size(), runs.size() == 1 ? "" : "s");
  return 0;
}

int command_docs(const std::string& page, bool write) {
  std::ifstream in(page, std::ios::binary);
  if (!in) throw ConfigError(page + ": cannot read the page");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Each suite's reference; the network suites exist only in builds with LibTorch, which alone
  // can check their section.
  std::string suites, network_suites;
  for (const auto& r : suite_runners()) (r.name.starts_with("network_") ? network_suites : suites) += r.reference() + "\n";
  std::map<std::string, std::string> sections{
      {"optimizer keys", optimizer_keys_markdown()}, {"stop keys", stop_keys_markdown()}, {"suite reference", suites}};
  if (!network_suites.empty()) sections.emplace("network suite reference", network_suites);
  // A page holds any of the sections (docs/configs.md holds them all), and at least one.
  std::string updated = text;
  std::size_t found = 0;
  for (const auto& [name, body] : sections) {
    const std::string begin = "<!-- BEGIN generated: " + name + " -->\n", end = "<!-- END generated: " + name + " -->";
    const auto b = updated.find(begin), e = updated.find(end);
    if (b == std::string::npos && e == std::string::npos) continue;
    if (b == std::string::npos || e == std::string::npos || e < b)
      throw ConfigError(page + ": section '" + begin.substr(0, begin.size() - 1) + "' ... '" + end + "' is not closed in order");
    updated.replace(b + begin.size(), e - b - begin.size(), body);
    ++found;
  }
  if (found == 0) throw ConfigError(page + ": no generated section ('<!-- BEGIN generated: optimizer keys -->' ... '<!-- END generated: optimizer keys -->')");
  if (updated == text) {
    fmt::print("{}: generated sections up to date\n", page);
    return 0;
  }
  if (write) {
    write_atomic(page, updated);
    fmt::print("{}: generated sections rewritten\n", page);
    return 0;
  }
  fmt::print(stderr, "{}: generated sections differ from the code; run `convlab docs --write {}`\n", page, page);
  return 1;
}

}  // namespace convlab::experiments
