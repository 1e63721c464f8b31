#pragma once
// One suite framework (docs/architecture.md, "Suites"). A paper's grid experiment is
//
//   LionSpec read_lion(const toml::table&, const SuiteInput&);  // Params, from its own table
//   LionMetrics run_lion(const LionSpec&, SuiteOutput&);        // runs it all, returns Metrics
//   SuiteRunner lion_kappa_suite() { return suite_runner("lion_kappa", "lion", read_lion, run_lion); }
//
// where Params declares its scalar keys as fields (core/fields.hpp; TableReader::declared reads
// them) and Metrics declares every metric once (field(...) for a double or a status string,
// metric_cells(...) for metrics repeated per named case). suite_runner makes the registry entry
// and owns what every suite did by hand: the metric names (a claim on a name that no run writes
// fails `convlab validate`), summary.json (every declared metric, NaN written as null: not
// measured, so no claim holds on it), the run folder, figures, plot errors, the details text of
// the report and the generated tables of docs/configs.md. Resume is the caller's (commands.cpp:
// a folder with the same config hash is not run again) and parallel runs are parallel_runs.hpp.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <convlab/core/fields.hpp>

#include "config/experiment.hpp"
#include "report/plots.hpp"

namespace convlab::experiments {

/// A metric that was not measured (no run of its kind in the config): written as null.
inline constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();

/// One metric of `Metrics`: convlab::field(name, &Metrics::member, doc) with a double member,
/// default kNotMeasured.
using convlab::field;

/// Metrics repeated per named case, such as a task or a (pattern, method) pair: `cells[i]`'s
/// metrics are named "<names[i]>_<metric>". `Cell` declares its own fields(); cells nest.
template <class Owner, class Cell>
struct MetricCells {
  const char* label;  // the placeholder in docs: <label>_<metric>
  const std::vector<std::string>* names;
  std::vector<Cell> Owner::*member;
};
template <class Owner, class Cell>
constexpr MetricCells<Owner, Cell> metric_cells(const char* label, const std::vector<std::string>& names,
                                                std::vector<Cell> Owner::*member) {
  return {label, &names, member};
}

/// The cell of case `name` in a list of cells named by `names` (names.size() when absent).
inline std::size_t cell_index(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<std::size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

namespace detail {
template <class T>
struct IsCells : std::false_type {};
template <class O, class C>
struct IsCells<MetricCells<O, C>> : std::true_type {};

// Calls fn(name, value&) for every metric of m (double& or std::string&), cells expanded in
// declaration order.
template <class M, class Fn>
void for_each_metric(M& m, const std::string& prefix, Fn&& fn) {
  std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& d) {
          using D = std::decay_t<decltype(d)>;
          if constexpr (IsCells<D>::value) {
            auto& cells = m.*(d.member);
            cells.resize(d.names->size());
            for (std::size_t i = 0; i < cells.size(); ++i) for_each_metric(cells[i], prefix + (*d.names)[i] + "_", fn);
          } else {
            static_assert(std::is_same_v<typename D::value_type, double> || std::is_same_v<typename D::value_type, std::string>,
                          "a metric is a double (or a string: a status word, which no claim checks)");
            fn(prefix + std::string(d.name), m.*(d.member));
          }
        };
        (one(f), ...);
      },
      M::fields());
}
}  // namespace detail

/// A Metrics value with every cell list sized by its names, every metric kNotMeasured unless
/// the struct says otherwise.
template <class M>
M make_metrics() {
  M m{};
  detail::for_each_metric(m, "", [](const std::string&, auto&) {});
  return m;
}

/// The names of M's numeric metrics (what a claim may check), in declaration order.
template <class M>
std::vector<std::string> metric_names() {
  std::vector<std::string> names;
  M m = make_metrics<M>();
  detail::for_each_metric(m, "", [&](const std::string& n, auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>) names.push_back(n);
  });
  return names;
}

namespace detail {
std::string markdown_cell(const std::string& text);
std::string markdown_value(double v);
std::string markdown_value(long long v);
std::string markdown_value(bool v);
std::string markdown_value(const std::string& v);

// Rows "| `name` | doc |" of M's metrics, a cell list shown once as its placeholder.
template <class M>
void metric_rows(const std::string& prefix, std::string& rows, std::string& placeholders) {
  std::apply(
      [&](const auto&... f) {
        auto one = [&](const auto& d) {
          using D = std::decay_t<decltype(d)>;
          if constexpr (IsCells<D>::value) {
            const std::string label = std::string("<") + d.label + ">";
            if (placeholders.find("`" + label + "`") == std::string::npos) {
              std::string names;
              for (const auto& n : *d.names) names += (names.empty() ? "" : ", ") + n;
              placeholders += "`" + label + "`: " + names + ". ";
            }
            using Cell = typename std::decay_t<decltype(std::declval<M&>().*(d.member))>::value_type;
            metric_rows<Cell>(prefix + label + "_", rows, placeholders);
          } else {
            rows += "| `" + prefix + std::string(d.name) + "` | " + markdown_cell(std::string(d.doc)) + " |\n";
          }
        };
        (one(f), ...);
      },
      M::fields());
}
}  // namespace detail

/// The reference of a suite for docs/configs.md: its declared keys (default, rule, meaning)
/// and its metrics.
template <class P, class Metrics>
std::string suite_reference_markdown(const std::string& name, const std::string& table) {
  std::string out = "### `runner = \"" + name + "\"`, table `[" + table + "]`\n\n";
  if constexpr (std::tuple_size_v<decltype(convlab::fields_of<P>())> > 0) {
    out += "| key | default | allowed | meaning |\n|---|---|---|---|\n";
    const P defaults{};
    convlab::for_each_field<P>([&](const auto& f) {
      out += "| `" + std::string(f.name) + "` | " + detail::markdown_cell(detail::markdown_value(defaults.*(f.member))) + " | " +
             detail::markdown_cell(f.rule.empty() ? std::string("any") : std::string(f.rule)) + " | " +
             detail::markdown_cell(std::string(f.doc)) + " |\n";
    });
    out += "\n";
  }
  std::string rows, placeholders;
  detail::metric_rows<Metrics>("", rows, placeholders);
  out += "| metric | meaning |\n|---|---|\n" + rows;
  if (!placeholders.empty()) out += "\n" + placeholders.substr(0, placeholders.size() - 1) + "\n";
  return out;
}

/// Every metric of m as a JSON key; NaN (not measured) as null.
template <class M>
nlohmann::json metrics_json(M m) {
  nlohmann::json j = nlohmann::json::object();
  detail::for_each_metric(m, "", [&](const std::string& n, auto& v) {
    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, double>) j[n] = std::isnan(v) ? nlohmann::json() : nlohmann::json(v);
    else j[n] = v;
  });
  return j;
}

/// Where a suite's table came from.
struct SuiteInput {
  const std::string& file;              // the experiment file, for errors
  const std::filesystem::path& base_dir;  // data paths are relative to it
  const Origins& origins;               // file:line of values merged in by a profile
};

/// What a suite run writes besides its metrics.
struct SuiteOutput {
  std::filesystem::path dir;  // the run folder (exists)
  std::string figure_prefix;  // figures are listed relative to the report: prefix + file name
  std::function<void(std::size_t, std::size_t)> progress;  // (runs done, runs in all)
  std::string details_markdown;  // the report's text under the claims (a result table)
  std::vector<std::string> figures;
  std::string plot_error;  // the last gnuplot failure; the report warns, the run still counts

  /// Draws dir/png from a gnuplot script body and lists it among the figures when gnuplot
  /// succeeds.
  void plot(const std::string& png, const std::string& gnuplot_body) {
    if (run_gnuplot(dir / png, gnuplot_body, plot_error)) figures.push_back(figure_prefix + png);
  }
};

/// The registry entry of a suite: runner `name`, its own table `[table]`, `parse` reading it,
/// `run` running it, and optionally `check` for what `convlab validate` checks beyond parsing
/// (its data files).
template <class Params, class Metrics>
SuiteRunner suite_runner(const std::string& name, const std::string& table, Params (*parse)(const toml::table&, const SuiteInput&),
                         Metrics (*run)(const Params&, SuiteOutput&), void (*check)(const Params&) = nullptr) {
  SuiteRunner r;
  r.name = name;
  r.table = table;
  r.reference = [name, table] { return suite_reference_markdown<Params, Metrics>(name, table); };
  const auto names = std::make_shared<const std::vector<std::string>>(metric_names<Metrics>());
  r.metrics = [names]() -> const std::vector<std::string>& { return *names; };
  r.validate = [parse, check](const toml::table& t, const std::string& file, const std::filesystem::path& base_dir, const Origins& origins) {
    const Params params = parse(t, SuiteInput{file, base_dir, origins});
    if (check) check(params);
  };
  r.run = [parse, run](const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                       const std::filesystem::path& dir, const std::string& figure_prefix,
                       const std::function<void(std::size_t, std::size_t)>& progress) {
    const Origins none;
    const Params params = parse(t, SuiteInput{file, base_dir, none});
    std::filesystem::create_directories(dir);
    SuiteOutput out{dir, figure_prefix, progress, {}, {}, {}};
    nlohmann::json j = metrics_json(run(params, out));
    j["details_markdown"] = out.details_markdown;
    j["figures"] = out.figures;
    if (!out.plot_error.empty()) j["plot_error"] = out.plot_error;
    j["status"] = "done";
    return j;
  };
  return r;
}

}  // namespace convlab::experiments
