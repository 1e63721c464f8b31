#include "config/experiment.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cmath>
#include <set>

#include "suites/bcd_suite.hpp"
#include "suites/bilevel_suite.hpp"
#include "suites/bilevel_svm_suite.hpp"
#include "suites/fedau_suite.hpp"
#include "suites/lion_suite.hpp"
#ifdef CONVLAB_EXPERIMENTS_TORCH
#include "suites/network_fedau_suite.hpp"
#include "suites/network_suite.hpp"
#endif
#include "suites/presto_suite.hpp"
#include "suites/quantile_suite.hpp"
#include "suites/schedule_suite.hpp"

namespace convlab::experiments {
namespace {

std::string where(const toml::node& n, const std::string& file) {
  const auto& s = n.source();
  return (s.path ? *s.path : file) + (s.begin.line ? ":" + std::to_string(s.begin.line) : "");
}

std::string required_string(const toml::table& t, const std::string& key, const std::string& file,
                            const std::string& section) {
  const toml::node* n = t.get(key);
  if (!n) throw ConfigError(where(t, file) + ": [" + section + "] is missing required key '" + key + "'");
  if (!n->is_string()) throw ConfigError(where(*n, file) + ": [" + section + "] key '" + key + "': expected a string");
  return *n->value<std::string>();
}

void only_keys(const toml::table& t, const std::set<std::string>& allowed, const std::string& file,
               const std::string& section) {
  for (auto&& [k, v] : t) {
    if (allowed.count(std::string(k.str()))) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    throw ConfigError(where(v, file) + ": unknown key '" + std::string(k.str()) + "' " + in_table(section) +
                      "; allowed keys: " + list);
  }
}

/// A name that becomes a folder or file name: letters, digits, '_', '-', '.', not starting
/// with '.', so it can never leave the output folder ("../x", "/abs") or hide a file.
std::string plain_name(const toml::table& t, const std::string& key, const std::string& file, const std::string& section) {
  const std::string v = required_string(t, key, file, section);
  const bool plain = !v.empty() && v.front() != '.' && std::all_of(v.begin(), v.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (!plain)
    throw ConfigError(where(*t.get(key), file) + ": [" + section + "] key '" + key + "': '" + v +
                      "' is not a plain name (letters, digits, '_', '-', '.'; no path separators, not starting with '.')");
  return v;
}

}  // namespace

const std::vector<std::string>& claim_metrics() {
  static const std::vector<std::string> m{"final_value",        "grad_norm",        "iterations",
                                          "seconds",            "relative_suboptimality", "x_relative_error",
                                          "linear_rate_ratio"};
  return m;
}

bool is_experiment_file(const toml::table& root) { return root.get("experiment") != nullptr; }

const std::vector<SuiteRunner>& suite_runners() {
  static const std::vector<SuiteRunner> r{
      schedule_suite(),
      lion_kappa_suite(),
      bcd_suite(),
      quantile_suite(),
      presto_suite(),
      bilevel_suite(),
      bilevel_svm_suite(),
      fedau_suite(),
#ifdef CONVLAB_EXPERIMENTS_TORCH
      network_schedules_suite(),
      network_lion_suite(),
      network_fedau_suite(),
#endif
  };
  return r;
}

namespace {
// Runners that exist only in builds with LibTorch: their experiments are skipped, with a note,
// by a build without it.
bool needs_missing_torch(const toml::table& root) {
#ifdef CONVLAB_EXPERIMENTS_TORCH
  (void)root;
  return false;
#else
  const auto runner = root["experiment"]["runner"].value<std::string>();
  return runner && runner->rfind("network_", 0) == 0;
#endif
}
}  // namespace

const SuiteRunner* find_suite_runner(const std::string& name) {
  for (const auto& r : suite_runners())
    if (r.name == name) return &r;
  return nullptr;
}

std::string ExperimentSpec::runner_table() const {
  const SuiteRunner* r = find_suite_runner(runner);
  return r ? r->table : "";
}

ExperimentSpec load_experiment(const std::filesystem::path& path, const std::string& name) {
  ExperimentSpec e;
  e.name = name;
  e.file = path.string();
  toml::table root = parse_toml_file(e.file);
  const toml::table* et = root.get_as<toml::table>("experiment");
  if (!et) throw ConfigError(e.file + ": missing [experiment] table");
  only_keys(*et, {"title", "paper", "description", "figure_metric", "runner"}, e.file, "experiment");
  e.runner = et->get("runner") ? required_string(*et, "runner", e.file, "experiment") : "fit";
  if (e.runner != "fit" && !find_suite_runner(e.runner)) {
    std::string names = "fit";
    for (const auto& r : suite_runners()) names += " | " + r.name;
    throw ConfigError(where(*et->get("runner"), e.file) + ": [experiment] key 'runner': \"" + e.runner +
                      "\" is not one of " + names);
  }
  e.title = required_string(*et, "title", e.file, "experiment");
  e.paper = plain_name(*et, "paper", e.file, "experiment");
  e.description = et->get("description") ? required_string(*et, "description", e.file, "experiment") : "";
  e.figure_metric = et->get("figure_metric") ? required_string(*et, "figure_metric", e.file, "experiment") : "value";
  if (e.figure_metric != "value" && e.figure_metric != "suboptimality" && e.figure_metric != "grad_norm")
    throw ConfigError(where(*et->get("figure_metric"), e.file) +
                      ": [experiment] key 'figure_metric': allowed: value | suboptimality | grad_norm");

  const toml::array* runs = root.get_as<toml::array>("run");
  if (e.runner != "fit") {
    const std::string table = e.runner_table();
    if (runs) throw ConfigError(where(*runs, e.file) + ": runner \"" + e.runner + "\" takes a [" + table + "] table, not [[run]]");
    if (!root.get_as<toml::table>(table)) throw ConfigError(e.file + ": runner \"" + e.runner + "\" needs a [" + table + "] table");
    e.run_names.push_back("suite");
  } else if (!runs || runs->empty()) {
    throw ConfigError(e.file + ": an experiment needs at least one [[run]]");
  }
  static const toml::array no_runs;
  for (const auto& node : runs ? *runs : no_runs) {  // by reference: a copy would lose the source lines
    const toml::table* rt = node.as_table();
    if (!rt) throw ConfigError(where(node, e.file) + ": [[run]] entries must be tables");
    const std::string rname = plain_name(*rt, "name", e.file, "run");
    if (std::find(e.run_names.begin(), e.run_names.end(), rname) != e.run_names.end())
      throw ConfigError(where(*rt->get("name"), e.file) + ": duplicate run name '" + rname + "'");
    e.run_names.push_back(rname);
    e.run_tables.push_back(copy_table(*rt, e.origins_));
    e.run_tables.back().erase("name");
  }

  if (const toml::array* claims = root.get_as<toml::array>("claim")) {
    for (const auto& node : *claims) {
      const toml::table* ct = node.as_table();
      if (!ct) throw ConfigError(where(node, e.file) + ": [[claim]] entries must be tables");
      only_keys(*ct, {"id", "statement", "source", "paper_value", "run", "baseline", "metric", "op", "threshold"}, e.file,
                "claim");
      ClaimSpec c;
      c.id = required_string(*ct, "id", e.file, "claim");
      c.statement = required_string(*ct, "statement", e.file, "claim");
      c.source = required_string(*ct, "source", e.file, "claim");
      c.paper_value = required_string(*ct, "paper_value", e.file, "claim");
      c.run = required_string(*ct, "run", e.file, "claim");
      c.metric = required_string(*ct, "metric", e.file, "claim");
      c.op = required_string(*ct, "op", e.file, "claim");
      const toml::node* th = ct->get("threshold");
      if (!th || !th->is_number()) throw ConfigError(where(*ct, e.file) + ": [[claim]] '" + c.id + "' needs a numeric 'threshold'");
      c.threshold = *th->value<double>();
      if (!std::isfinite(c.threshold))
        throw ConfigError(where(*th, e.file) + ": [[claim]] '" + c.id + "': threshold must be a finite number, not " + std::to_string(c.threshold));
      if (std::find(e.run_names.begin(), e.run_names.end(), c.run) == e.run_names.end())
        throw ConfigError(where(*ct->get("run"), e.file) + ": claim '" + c.id + "' names run '" + c.run + "', which is not a [[run]]");
      if (ct->get("baseline")) {
        c.baseline = required_string(*ct, "baseline", e.file, "claim");
        if (std::find(e.run_names.begin(), e.run_names.end(), c.baseline) == e.run_names.end())
          throw ConfigError(where(*ct->get("baseline"), e.file) + ": claim '" + c.id + "' names baseline run '" +
                            c.baseline + "', which is not a [[run]]");
      }
      const auto& ms = e.runner == "fit" ? claim_metrics() : find_suite_runner(e.runner)->metrics();
      if (std::find(ms.begin(), ms.end(), c.metric) == ms.end())
        throw ConfigError(where(*ct->get("metric"), e.file) + ": claim '" + c.id + "': unknown metric '" + c.metric + "'");
      if (c.op != "<=" && c.op != "<" && c.op != ">=" && c.op != ">")
        throw ConfigError(where(*ct->get("op"), e.file) + ": claim '" + c.id + "': op must be <=, <, >= or >");
      e.claims.push_back(std::move(c));
    }
  }

  root.erase("experiment");
  root.erase("run");
  root.erase("claim");
  e.base = copy_table(root, e.origins_);
  if (const toml::node* prof = e.base.get("profile")) {
    const toml::table* pt = prof->as_table();
    if (!pt) throw ConfigError(where(*prof, e.file) + ": 'profile' must be a table");
    only_keys(*pt, {"quick", "full"}, e.file, "profile");
  }
  // Check every run (or the suite) under both profiles now, not halfway through reproduce.
  const auto base_dir = std::filesystem::absolute(e.file).parent_path();
  for (const std::string profile : {"quick", "full"}) {
    if (e.runner == "fit") (void)e.runs(profile);
    else {
      Origins origins;
      const toml::table table = e.suite(profile, origins);
      find_suite_runner(e.runner)->validate(table, e.file, base_dir, origins);
    }
  }
  return e;
}

std::vector<RunConfig> ExperimentSpec::runs(const std::string& profile) const {
  std::vector<RunConfig> out;
  const auto base_dir = std::filesystem::absolute(file).parent_path();
  for (const auto& rt : run_tables) {
    // base <- run <- profile <- run.profile: the profile sets the budget, a run may refine it.
    Origins origins = origins_;
    toml::table merged = copy_table(base, origins);
    merged.erase("profile");
    toml::table run = copy_table(rt, origins);
    run.erase("profile");
    deep_merge(merged, run, origins);
    if (const toml::table* p = base.get_as<toml::table>("profile"))
      if (const toml::table* pp = p->get_as<toml::table>(profile)) deep_merge(merged, *pp, origins);
    if (const toml::table* p = rt.get_as<toml::table>("profile"))
      if (const toml::table* pp = p->get_as<toml::table>(profile)) deep_merge(merged, *pp, origins);
    out.push_back(parse_run_config(merged, file, base_dir, origins));
  }
  return out;
}

toml::table ExperimentSpec::suite(const std::string& profile, Origins& origins) const {
  origins = origins_;
  const std::string table = runner_table();
  toml::table merged = copy_table(*base.get_as<toml::table>(table), origins);
  if (const toml::table* p = base.get_as<toml::table>("profile"))
    if (const toml::table* pp = p->get_as<toml::table>(profile))
      if (const toml::table* ps = pp->get_as<toml::table>(table)) deep_merge(merged, *ps, origins);
  return merged;
}

std::vector<ExperimentSpec> discover_experiments(const std::filesystem::path& dir) {
  if (!std::filesystem::is_directory(dir)) throw ConfigError(dir.string() + ": experiments folder not found");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".toml") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<ExperimentSpec> out;
  for (const auto& f : files) {
    const std::string name = std::filesystem::relative(f, dir).replace_extension().generic_string();
    if (needs_missing_torch(parse_toml_file(f.string()))) {
      std::fprintf(stderr, "note: %s needs LibTorch, which this build of convlab lacks (CONVLAB_WITH_TORCH); skipped\n", name.c_str());
      continue;
    }
    out.push_back(load_experiment(f, name));
  }
  return out;
}

}  // namespace convlab::experiments
