#include "config/config.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <tuple>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include <convlab/problems/data_io.hpp>

namespace convlab::experiments {
namespace {

std::string source_of(const toml::source_region& src, const std::string& fallback_file) {
  std::ostringstream os;
  os << (src.path ? *src.path : fallback_file);
  if (src.begin.line > 0) os << ':' << src.begin.line;
  return os.str();
}

/// "file:line" of a node: its own source, else the origin recorded when it was copied.
std::string origin_of(const toml::node& n, const Origins& origins, const std::string& file) {
  if (n.source().path) return source_of(n.source(), file);
  if (const auto it = origins.find(&n); it != origins.end()) return it->second;
  return source_of(n.source(), file);
}

/// Records, for `to` and everything under it, where the matching part of `from` came from.
void record_origins(const toml::node& from, const toml::node& to, Origins& origins) {
  origins[&to] = origin_of(from, origins, "");
  if (const auto* ft = from.as_table()) {
    const auto* tt = to.as_table();
    for (auto&& [k, v] : *ft)
      if (const toml::node* c = tt->get(k.str())) record_origins(v, *c, origins);
  } else if (const auto* fa = from.as_array()) {
    const auto* ta = to.as_array();
    for (std::size_t i = 0; i < fa->size() && i < ta->size(); ++i) record_origins(*fa->get(i), *ta->get(i), origins);
  }
}

std::string describe_type(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

std::string show(double v) { return fmt::format("{}", v); }  // shortest text that reads back exactly
std::string show(long long v) { return std::to_string(v); }
std::string show(bool v) { return v ? "true" : "false"; }
std::string show(const std::string& v) {  // a TOML basic string
  std::string out = "\"";
  for (char ch : v) out += ch == '"' || ch == '\\' ? std::string("\\") + ch : std::string(1, ch);
  return out + "\"";
}

/// Reads the keys of one section, recording what it used, so unknown keys can be reported.
class Section {
 public:
  Section(const toml::table* t, std::string file, std::string name, std::vector<ExplainRow>& explain,
          const toml::source_region& where, const Origins& origins)
      : t_(t), file_(std::move(file)), name_(std::move(name)), explain_(explain), where_(where), origins_(origins) {}

  template <class T>
  T get(const std::string& key, T def, const std::function<bool(const T&)>& ok = {}, const std::string& rule = "",
        const std::string& doc = "") {
    used_.insert(key);
    T value = def;
    if (const toml::node* n = t_ ? t_->get(key) : nullptr) {
      std::optional<T> v;
      if constexpr (std::is_same_v<T, double>) {
        if (n->is_number()) v = n->value<double>();
      } else if constexpr (std::is_same_v<T, long long>) {
        if (n->is_integer()) v = n->value<std::int64_t>();
      } else if constexpr (std::is_same_v<T, bool>) {
        if (n->is_boolean()) v = n->value<bool>();
      } else {
        if (n->is_string()) v = n->value<std::string>();
      }
      if (!v) fail(*n, key, "expected " + expected<T>() + ", got " + describe_type(*n));
      value = *v;
      if (ok && !ok(value)) fail(*n, key, show(value) + " is out of range; allowed: " + rule);
    }
    explain_.push_back({qualified(key), show(value), show(def), rule, doc});
    return value;
  }

  std::string choice(const std::string& key, const std::string& def, const std::vector<std::string>& allowed) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
    if (const toml::node* n = t_ ? t_->get(key) : nullptr; n && n->is_string())
      if (const auto v = *n->value<std::string>(); std::find(allowed.begin(), allowed.end(), v) == allowed.end())
        fail(*n, key, show(v) + " is not one of: " + list);
    return get<std::string>(key, def, {}, list);  // membership checked above, with its own message
  }

  /// An array of distinct, non-empty strings (column names).
  std::vector<std::string> strings(const std::string& key, const std::string& doc) {
    used_.insert(key);
    std::vector<std::string> out;
    if (const toml::node* n = t_ ? t_->get(key) : nullptr) {
      const toml::array* arr = n->as_array();
      if (!arr) fail(*n, key, "expected an array of strings, got " + describe_type(*n));
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        if (!e.is_string() || e.value<std::string>()->empty())
          fail(e, key, "entry " + std::to_string(i) + " is " + (e.is_string() ? "empty" : describe_type(e)) + ", expected a column name");
        out.push_back(*e.value<std::string>());
        if (std::find(out.begin(), out.end() - 1, out.back()) != out.end() - 1) fail(e, key, "'" + out.back() + "' is listed twice");
      }
    }
    std::string text = "[";
    for (std::size_t i = 0; i < out.size(); ++i) text += (i ? ", " : "") + show(out[i]);
    explain_.push_back({qualified(key), text + "]", "[]", "column names", doc});
    return out;
  }

  /// One line of doc for the key read last (docs/configs.md).
  void document(const std::string& doc) { explain_.back().doc = doc; }

  std::vector<double> numbers(const std::string& key, const std::string& rule = "one number per parameter; [] = zeros",
                              const std::string& doc = "starting point") {
    used_.insert(key);
    std::vector<double> out;
    if (const toml::node* n = t_ ? t_->get(key) : nullptr) {
      const toml::array* arr = n->as_array();
      if (!arr) fail(*n, key, "expected an array of numbers, got " + describe_type(*n));
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        if (!e.is_number()) fail(e, key, "entry " + std::to_string(i) + " is " + describe_type(e) + ", expected a number");
        const double v = *e.value<double>();
        if (!std::isfinite(v)) fail(e, key, "entry " + std::to_string(i) + " is not finite");
        out.push_back(v);
      }
    }
    std::string text = "[";
    for (std::size_t i = 0; i < out.size(); ++i) text += (i ? ", " : "") + show(out[i]);
    explain_.push_back({qualified(key), text + "]", "[]", rule, doc});
    return out;
  }

  /// An array of integers in [lo, hi] (layer widths); `def` when the key is absent.
  std::vector<long long> integers(const std::string& key, const std::vector<long long>& def, long long lo, long long hi,
                                  const std::string& doc) {
    used_.insert(key);
    std::vector<long long> out = def;
    const std::string rule = "integers in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
    if (const toml::node* n = t_ ? t_->get(key) : nullptr) {
      const toml::array* arr = n->as_array();
      if (!arr) fail(*n, key, "expected an array of integers, got " + describe_type(*n));
      out.clear();
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& e = *arr->get(i);
        if (!e.is_integer() || *e.value<std::int64_t>() < lo || *e.value<std::int64_t>() > hi)
          fail(e, key, "entry " + std::to_string(i) + " is " + (e.is_integer() ? "out of range" : describe_type(e)) + "; expected " + rule);
        out.push_back(*e.value<std::int64_t>());
      }
    }
    const auto text = [](const std::vector<long long>& v) {
      std::string t = "[";
      for (std::size_t i = 0; i < v.size(); ++i) t += (i ? ", " : "") + std::to_string(v[i]);
      return t + "]";
    };
    explain_.push_back({qualified(key), text(out), text(def), rule, doc});
    return out;
  }

  /// Keys present but never read are errors that list the keys this section takes.
  void finish(const std::string& context = "") const {
    if (!t_) return;
    for (auto&& [k, v] : *t_) {
      const std::string key(k.str());
      if (used_.count(key)) continue;
      std::string known;
      for (const auto& u : used_) known += (known.empty() ? "" : ", ") + u;
      throw ConfigError(origin_of(v, origins_, file_) + ": unknown key '" + key + "' " + in_table(name_) + context +
                        "; allowed keys: " + known);
    }
  }

  [[noreturn]] void fail(const toml::node& n, const std::string& key, const std::string& what) const {
    throw ConfigError(origin_of(n, origins_, file_) + ": [" + name_ + "] key '" + key + "': " + what);
  }
  [[noreturn]] void fail_here(const std::string& key, const std::string& what) const {
    const toml::node* n = t_ ? t_->get(key) : nullptr;
    if (n) fail(*n, key, what);
    throw ConfigError((t_ ? origin_of(*t_, origins_, file_) : source_of(where_, file_)) + ": [" + name_ + "] key '" + key +
                      "': " + what);
  }

 private:
  template <class T>
  static std::string expected() {
    if constexpr (std::is_same_v<T, double>) return "a number";
    else if constexpr (std::is_same_v<T, long long>) return "an integer";
    else if constexpr (std::is_same_v<T, bool>) return "a boolean (true/false)";
    else return "a string";
  }
  std::string qualified(const std::string& key) const { return name_.empty() ? key : name_ + "." + key; }

  const toml::table* t_;
  std::string file_, name_;
  std::vector<ExplainRow>& explain_;
  toml::source_region where_;
  const Origins& origins_;
  std::set<std::string> used_;
};

/// Reads the declared fields of a library options struct (core/fields.hpp) as keys of `s`:
/// the struct's rule checks the value, `defaults` (normally the struct's own initializers)
/// fills absent keys, and `fixed` keys are not offered (the type name already set them).
template <class Options>
void read_declared(Section& s, Options& out, const Options& defaults = {}, const std::vector<std::string>& fixed = {}) {
  out = defaults;
  convlab::for_each_field<Options>([&](const auto& f) {
    using T = typename std::decay_t<decltype(f)>::value_type;
    const std::string key(f.name);
    if (std::find(fixed.begin(), fixed.end(), key) != fixed.end()) return;
    const auto ok = [&](const T& v) { return f.allows(v); };
    const std::string rule(f.rule);
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, bool> || std::is_same_v<T, std::string> ||
                  std::is_same_v<T, long long>) {
      out.*(f.member) = s.get<T>(key, defaults.*(f.member), ok, rule, std::string(f.doc));
    } else {
      static_assert(std::is_integral_v<T>, "declared fields are numbers, integers, booleans or strings");
      const long long v = s.get<long long>(
          key, static_cast<long long>(defaults.*(f.member)),
          [&](const long long& w) {
            return w >= std::numeric_limits<T>::min() && w <= std::numeric_limits<T>::max() && ok(static_cast<T>(w));
          },
          rule, std::string(f.doc));
      out.*(f.member) = static_cast<T>(v);
    }
  });
}

const toml::table* subtable(const toml::table& root, const std::string& name, const std::string& file,
                           const Origins& origins) {
  const toml::node* n = root.get(name);
  if (!n) return nullptr;
  if (!n->is_table())
    throw ConfigError(origin_of(*n, origins, file) + ": '" + name + "' must be a table ([" + name + "]), got " +
                      describe_type(*n));
  return n->as_table();
}

auto positive = [](const double& v) { return v > 0 && std::isfinite(v); };
auto nonnegative = [](const double& v) { return v >= 0 && std::isfinite(v); };
auto unit_open = [](const double& v) { return v >= 0 && v < 1; };
auto nonnegative_int = [](const long long& v) { return v >= 0; };

/// [optimizer]: the type, then the keys of that type's options struct.
OptimizerConfig read_optimizer(Section& os) {
  OptimizerConfig o;
  o.type = os.choice("type", "gd", optimizer_types());
  os.document("the optimizer; the keys below depend on it");
  if (!is_gap_solver(o.type) && o.type != "bcd" && o.type != "fista" && problem_for(o.type).empty())
    o.batch_size = os.get<long long>("batch_size", 0, nonnegative_int, ">= 0 (0 = full batch)", "minibatch size");
  if (o.type == "sgd" || o.type == "momentum" || o.type == "nesterov") {
    // momentum and nesterov are SGD with μ = 0.9 by default; nesterov fixes dampening = 0
    optim::SgdOptions preset{.momentum = o.type == "sgd" ? 0.0 : 0.9, .nesterov = o.type == "nesterov"};
    read_declared(os, o.sgd, preset, o.type == "nesterov" ? std::vector<std::string>{"nesterov", "dampening"}
                                                          : std::vector<std::string>{"nesterov"});
    if (o.type != "sgd" && o.sgd.momentum == 0) os.fail_here("momentum", "must be > 0 for '" + o.type + "'");
  } else if (o.type == "adamw") {
    read_declared(os, o.adamw);
  } else if (o.type == "lion") {
    read_declared(os, o.lion);
    std::vector<std::string> kappas;
    std::apply([&](const auto&... e) { (kappas.emplace_back(e.name), ...); }, optim::kappa_names);
    o.kappa = os.choice("kappa", "sign", kappas);
    os.document("κ of Lion-κ (docs/optim.md); its parameters follow");
    optim::with_kappa_named(o.kappa, [&](const auto& entry) {
      typename std::decay_t<decltype(entry)>::type kappa{};
      read_declared(os, kappa);
      o.kappa_object = kappa;
    });
  } else if (o.type == "bcd") {
    read_declared(os, o.bcd);
  } else if (is_gap_solver(o.type)) {
    o.gap_tolerance = os.get<double>("gap_tolerance", 1e-8, positive, "> 0", "stop at this relative duality gap");
    if (o.type == "lasso_cd") {
      read_declared(os, o.lasso, {}, {"alpha", "tolerance", "max_epochs"});
    } else if (o.type == "logistic_ridge") {
      o.method = os.choice("method", "auto", {"auto", "newton_cholesky", "newton_cg", "lbfgs"});
      os.document("Newton with Cholesky, Newton-CG or L-BFGS (docs/solvers.md); auto picks by shape");
    }
  }
  os.finish(" (optimizer type '" + o.type + "'" + (o.type == "lion" ? ", kappa '" + o.kappa + "'" : std::string()) + ")");
  return o;
}

}  // namespace

namespace {
/// Problems that need a model-specific solver, and that solver (named as an [optimizer] type).
const std::vector<std::pair<std::string, std::string>> kSolvers{{"quantile", "quantile_lp"}, {"ordinal", "presto"}};
}  // namespace

std::string solver_for(const std::string& problem_type) {
  for (const auto& [problem, solver] : kSolvers)
    if (problem == problem_type) return solver;
  return "";
}

std::string problem_for(const std::string& optimizer_type) {
  for (const auto& [problem, solver] : kSolvers)
    if (solver == optimizer_type) return problem;
  return "";
}

const std::vector<std::string>& optimizer_types() {
  static const std::vector<std::string> names{"gd",  "sgd",      "momentum",    "nesterov",       "adamw",       "lion",  "fista",
                                              "bcd", "lasso_cd", "logistic_l1", "logistic_ridge", "quantile_lp", "presto"};
  return names;
}

bool is_gap_solver(const std::string& optimizer_type) {
  return optimizer_type == "lasso_cd" || optimizer_type == "logistic_l1" || optimizer_type == "logistic_ridge";
}

namespace {
/// A markdown table cell: the column separator escaped.
std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}
}  // namespace

std::string optimizer_keys_markdown() {
  const auto rows_of = [](const toml::table& t) {
    std::vector<ExplainRow> rows;
    Section os(&t, "docs", "optimizer", rows, t.source(), Origins{});
    read_optimizer(os);
    return rows;
  };
  const auto line = [&](const std::string& type, const ExplainRow& r) {
    return fmt::format("| {} | `{}` | {} | {} | {} |\n", type, r.key.substr(r.key.find('.') + 1), markdown_cell(r.default_value),
                       markdown_cell(r.rule), markdown_cell(r.doc));
  };
  std::string out = "| type | key | default | allowed | meaning |\n|---|---|---|---|---|\n";
  out += line("every", rows_of(toml::table{}).front());
  for (const auto& type : optimizer_types()) {
    if (type == "lion") continue;
    for (const auto& r : rows_of(toml::table{{"type", type}}))
      if (r.key != "optimizer.type") out += line(type, r);
  }
  const auto lion = rows_of(toml::table{{"type", "lion"}});
  for (const auto& r : lion)
    if (r.key != "optimizer.type") out += line("lion", r);
  std::apply(
      [&](const auto&... e) {
        ((out += [&] {
           std::string more;
           const auto rows = rows_of(toml::table{{"type", "lion"}, {"kappa", std::string(e.name)}});
           for (std::size_t i = lion.size(); i < rows.size(); ++i) more += line("lion, kappa = \"" + std::string(e.name) + "\"", rows[i]);
           return more;
         }()),
         ...);
      },
      optim::kappa_names);
  return out;
}

std::string stop_keys_markdown() {
  std::vector<ExplainRow> rows;
  const toml::table empty;
  Section ss(&empty, "docs", "stop", rows, empty.source(), Origins{});
  StopConfig stop;
  read_declared(ss, stop);
  std::string out = "| key | default | allowed | meaning |\n|---|---|---|---|\n";
  for (const auto& r : rows)
    out += fmt::format("| `[stop] {}` | {} | {} | {} |\n", r.key.substr(r.key.find('.') + 1), markdown_cell(r.default_value),
                       markdown_cell(r.rule), markdown_cell(r.doc));
  return out;
}

toml::table parse_toml_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw ConfigError(path + ": config file not found (or not a regular file)");
  try {
    return toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    std::ostringstream os;
    os << path << ':' << e.source().begin.line << ':' << e.source().begin.column << ": TOML syntax error: "
       << e.description();
    throw ConfigError(os.str());
  }
}

toml::table copy_table(const toml::table& src, Origins& origins) {
  toml::table copy = src;
  record_origins(src, copy, origins);
  return copy;
}

void deep_merge(toml::table& base, const toml::table& over, Origins& origins) {
  for (auto&& [k, v] : over) {
    toml::node* existing = base.get(k.str());
    if (existing && existing->is_table() && v.is_table()) {
      deep_merge(*existing->as_table(), *v.as_table(), origins);
    } else {
      const toml::node& inserted = base.insert_or_assign(k, v).first->second;
      record_origins(v, inserted, origins);
    }
  }
}

void set_dotted(toml::table& root, const std::string& key, const toml::node& value, const std::string& origin,
                Origins& origins) {
  toml::table* t = &root;
  std::string::size_type start = 0, dot;
  while ((dot = key.find('.', start)) != std::string::npos) {
    const std::string part = key.substr(start, dot - start);
    toml::node* n = t->get(part);
    if (!n) {  // a table made here: errors about it name the origin, not the file
      n = &t->insert_or_assign(part, toml::table{}).first->second;
      origins[n] = origin;
    }
    if (!n->is_table()) throw ConfigError(origin + ": '" + part + "' is not a table");
    t = n->as_table();
    start = dot + 1;
  }
  const toml::node& inserted = t->insert_or_assign(key.substr(start), value).first->second;
  record_origins(value, inserted, origins);
  origins[&inserted] = origin;
}

toml::table parse_override_value(const std::string& key, const std::string& value) {
  try {
    return toml::parse(std::string_view("v = " + value), std::string_view("--set " + key));
  } catch (const toml::parse_error&) {
    return toml::table{{"v", value}};  // a bare word is a string
  }
}

std::pair<std::string, std::string> split_override(const std::string& o) {
  const auto eq = o.find('=');
  if (eq == std::string::npos || eq == 0) throw ConfigError("--set " + o + ": expected key=value (e.g. optimizer.type=adamw)");
  return {o.substr(0, eq), o.substr(eq + 1)};
}

void apply_overrides(toml::table& root, const Overrides& overrides, Origins& origins) {
  for (const auto& o : overrides) {
    const auto [key, value] = split_override(o);
    set_dotted(root, key, *parse_override_value(key, value).get("v"), "--set " + key, origins);
  }
}

RunConfig parse_run_config(const toml::table& root, const std::string& file, const std::filesystem::path& base_dir,
                           const Origins& origins) {
  RunConfig c;
  c.file = file;
  auto& ex = c.explain;
  const toml::source_region top_region = root.source();
  Section top(&root, file, "", ex, top_region, origins);
  c.seed = top.get<long long>("seed", 1, nonnegative_int, ">= 0");
  c.reference = top.choice("reference", "none", {"none", "newton", "lbfgs"});

  // [problem]
  const toml::table* pt = subtable(root, "problem", file, origins);
  if (!pt) throw ConfigError(file + ": missing [problem] table (type and data are required)");
  Section ps(pt, file, "problem", ex, pt->source(), origins);
  auto& p = c.problem;
  p.type = ps.choice("type", "logistic", {"least_squares", "logistic", "multinomial", "quantile", "ordinal", "label_propagation", "mlp", "cnn"});
  const bool graph = p.type == "label_propagation";  // an edge list, not a table of rows (docs/configs.md)
  const std::string data = ps.get<std::string>("data", "", [](const std::string& s) { return !s.empty(); }, "a path");
  if (data.empty()) ps.fail_here("data", "required (a .csv, .libsvm or .svm file, plain or gzip-compressed: .csv.gz)");
  p.data = resolve_data_path(data, base_dir);
  if (p.data.empty())
    ps.fail_here("data", "file '" + data + "' not found (looked in " + base_dir.string() + " and the current directory)");
  ex.back().value = show(p.data);  // the resolved path is what the run used
  const std::string inferred = problems::data_format_from_name(p.data);
  p.format = ps.choice("format", inferred.empty() ? "csv" : inferred, {"csv", "libsvm"});
  if (inferred.empty() && !pt->get("format"))
    ps.fail_here("data", "cannot tell the format of '" + data + "' from its extension; set format = \"csv\" or \"libsvm\"");
  if (graph) {
    if (p.format != "csv") ps.fail_here("data", "label_propagation reads an edge list: a CSV file with columns source, target");
    p.weights = ps.get<std::string>("weights", "", {}, "a column name", "the edge-weight column; \"\" = every edge weighs 1");
    const std::string labels = ps.get<std::string>("labels", "", [](const std::string& s) { return !s.empty(); }, "a path",
                                                   "CSV of the labelled nodes: columns node, label");
    if (labels.empty()) ps.fail_here("labels", "required (a CSV file with columns node, label)");
    p.labels = resolve_data_path(labels, base_dir);
    if (p.labels.empty())
      ps.fail_here("labels", "file '" + labels + "' not found (looked in " + base_dir.string() + " and the current directory)");
    ex.back().value = show(p.labels);
  } else if (p.format == "csv") {
    p.response = ps.get<std::string>("response", "y");
    p.features = ps.strings("features", "the feature columns, in this order; [] = every column but response and exclude");
    p.exclude = ps.strings("exclude", "columns that are not features (ids, splits); not read");
    if (!p.features.empty() && !p.exclude.empty())
      ps.fail_here("exclude", "give either features or exclude, not both");
    p.weights = ps.get<std::string>("weights", "", {}, "a column name", "per-row weights (grouped data: counts); \"\" = none");
    if (!p.weights.empty() && (p.weights == p.response || std::find(p.features.begin(), p.features.end(), p.weights) != p.features.end()))
      ps.fail_here("weights", "column '" + p.weights + "' is the response or a feature; name a column of its own");
  }
  else p.zero_based = ps.get<bool>("zero_based", false);
  if (p.is_network()) {  // docs/configs.md, "Networks": no l1/l2 (weight decay is the optimizer's), biases always
    auto& n = p.network;
    n.kind = p.type;
    n.hidden = ps.integers("hidden", n.hidden, 1, 1 << 16, "widths of the fully connected hidden layers ([] = none)");
    if (p.type == "cnn")
      n.channels = ps.integers("channels", n.channels, 1, 1024, "output channels of the two 5x5 convolutions");
    if (p.type == "cnn" && n.channels.size() != 2) ps.fail_here("channels", "a cnn has two convolutions: give two channel counts");
    n.activation = ps.choice("activation", n.activation, {"relu", "tanh", "sigmoid", "gelu"});
    ps.document("the activation after every hidden layer (and convolution)");
    n.loss = ps.choice("loss", n.loss, {"cross_entropy", "squared_error"});
    ps.document("cross_entropy: classes 0 ... K-1, one output each; squared_error: one output, mean (1/2)(f(x) - y)^2");
    if (n.loss == "cross_entropy")
      p.num_classes = ps.get<long long>("num_classes", 0, [](const long long& v) { return v == 0 || v >= 2; }, "0 (infer) or >= 2");
    p.standardize = ps.get<bool>("standardize", false);
    p.row_blocks = ps.get<long long>("row_blocks", 1, [](const long long& v) { return v >= 1; }, ">= 1",
                                     "blocks of rows summed in order; mpirun -n R needs R <= row_blocks, and gives the same bits for every such R");
  } else if (!graph) {
    p.l1 = ps.get<double>("l1", 0.0, nonnegative, ">= 0");
    p.l2 = ps.get<double>("l2", 0.0, nonnegative, ">= 0");
    p.intercept = ps.get<bool>("intercept", false);
    p.standardize = ps.get<bool>("standardize", false);
  }
  if (p.type == "least_squares" || p.type == "logistic" || p.type == "multinomial") {
    const auto not_nan = [](const double& v) { return !std::isnan(v); };
    p.lower = ps.get<double>("lower", p.lower, not_nan, "a number or -inf", "box constraint lower <= w on the weights (fista; intercepts free)");
    p.upper = ps.get<double>("upper", p.upper, not_nan, "a number or inf", "box constraint w <= upper on the weights (fista; intercepts free)");
    if (p.lower > p.upper) ps.fail_here("upper", "is below lower = " + show(p.lower) + "; the box would be empty");
    if (p.lower == std::numeric_limits<double>::infinity()) ps.fail_here("lower", "must be below inf");
    if (p.upper == -std::numeric_limits<double>::infinity()) ps.fail_here("upper", "must be above -inf");
  }
  if (p.type == "multinomial" || p.type == "ordinal")
    p.num_classes = ps.get<long long>("num_classes", 0, [](const long long& v) { return v == 0 || v >= 2; }, "0 (infer) or >= 2");
  if (p.type == "ordinal") {  // labels 1 … K; docs/presto.md
    if (p.l1 > 0 || p.l2 > 0) ps.fail_here(p.l1 > 0 ? "l1" : "l2", "ordinal models are penalized by lambda (PRESTO), not l1/l2");
    if (p.intercept) ps.fail_here("intercept", "ordinal models always fit their K − 1 thresholds; leave intercept out");
    p.model = ps.choice("model", "presto", {"proportional_odds", "presto", "non_parallel"});
    ps.document("proportional odds (λ = ∞), PRESTO, or the non-parallel MLE (λ = 0)");
    if (p.model == "presto") {
      if (pt->get("lambda")) {
        p.lambda = ps.get<double>("lambda", 1.0, positive, "> 0", "PRESTO's penalty on the differences of adjacent weight vectors");
      } else {  // λ by K-fold cross-validation on the Brier score over a geometric path
        p.folds = ps.get<long long>("folds", 5, [](const long long& v) { return v >= 2; }, ">= 2", "cross-validation folds (no lambda given)");
        p.n_lambdas = ps.get<long long>("n_lambdas", 50, [](const long long& v) { return v >= 1 && v <= 10000; }, "1 … 10000", "values on the λ path");
        p.lambda_ratio = ps.get<double>("lambda_ratio", 1e-2, [](const double& v) { return v > 0 && v < 1; }, "0 < ratio < 1", "smallest λ / λ_max");
      }
    }
  }
  if (pt->get("weights") && p.format != "csv") ps.fail_here("weights", "applies to CSV data (a column name)");
  if (p.type == "quantile") {  // one linear model per level, each the exact LP solution
    if (p.l2 > 0) ps.fail_here("l2", "quantile regression takes l1 only (the problem stays a linear program)");
    if (pt->get("tau") && pt->get("taus")) ps.fail_here("taus", "give either tau or taus, not both");
    if (pt->get("taus")) {
      p.taus = ps.numbers("taus", "increasing levels in (0, 1)", "quantile levels, one model each");
      if (p.taus.empty()) ps.fail_here("taus", "needs at least one level");
      for (std::size_t i = 0; i < p.taus.size(); ++i)
        if (!(p.taus[i] > 0 && p.taus[i] < 1) || (i > 0 && !(p.taus[i] > p.taus[i - 1])))
          ps.fail_here("taus", "entry " + std::to_string(i) + " = " + show(p.taus[i]) + ": levels must lie in (0, 1) and increase");
    } else {
      p.taus = {ps.get<double>("tau", 0.5, [](const double& v) { return v > 0 && v < 1; }, "0 < tau < 1", "the quantile level")};
    }
  }
  ps.finish(" (problem type '" + p.type + "', format '" + p.format + "')");

  // [optimizer]
  const toml::table* ot = subtable(root, "optimizer", file, origins);
  Section os(ot, file, "optimizer", ex, ot ? ot->source() : top_region, origins);
  c.optimizer = read_optimizer(os);
  if (const std::string needed = solver_for(p.type); !needed.empty() && c.optimizer.type != needed)
    os.fail_here("type", "[problem] type = \"" + p.type + "\" is solved by type = \"" + needed + "\"");
  else if (const std::string solves = problem_for(c.optimizer.type); needed.empty() && !solves.empty())
    os.fail_here("type", c.optimizer.type + " solves [problem] type = \"" + solves + "\" only");
  if (!solver_for(p.type).empty() && c.reference != "none")
    top.fail_here("reference", c.optimizer.type + " certifies its own answer; set reference = \"none\"");
  if (graph && c.optimizer.type != "bcd")
    os.fail_here("type", "[problem] type = \"label_propagation\" is solved by type = \"bcd\" (block coordinate descent on the graph)");
  if (graph && c.reference == "lbfgs")
    top.fail_here("reference", "label_propagation's reference is \"newton\": one exact sparse solve of the quadratic");
  if (p.has_box() && c.optimizer.type != "fista")
    ps.fail_here(p.lower > -std::numeric_limits<double>::infinity() ? "lower" : "upper",
                 "a box constraint is a prox term: it needs [optimizer] type = \"fista\" (type is \"" + c.optimizer.type + "\")");
  if (p.is_network()) {  // trained by a step optimizer; non-convex: no reference optimum, no global Lipschitz bound
    if (!problem_for(c.optimizer.type).empty() || is_gap_solver(c.optimizer.type) || c.optimizer.type == "bcd" || c.optimizer.type == "fista")
      os.fail_here("type", "[problem] type = \"" + p.type + "\" is trained by a step optimizer: gd | sgd | momentum | nesterov | adamw | lion");
    if (c.optimizer.type == "lion" && c.optimizer.kappa == "nuclear")
      os.fail_here("kappa", "the nuclear κ acts on one weight matrix; a network has several, so train it in your own loop with "
                            "convlab::libtorch::Optimizer and a parameter group per matrix (docs/torch.md)");
    if (c.reference != "none")
      top.fail_here("reference", "a network's loss is not convex, so there is no reference optimum; set reference = \"none\"");
  }
  if (p.has_box() && c.reference != "none")
    top.fail_here("reference", "the reference solvers are unconstrained; with [problem] lower/upper set reference = \"none\" "
                               "(fista certifies its answer by the gradient mapping)");

  // [stop]
  const toml::table* stt = subtable(root, "stop", file, origins);
  Section ss(stt, file, "stop", ex, stt ? stt->source() : top_region, origins);
  read_declared(ss, c.stop);
  ss.finish();

  // [schedule]
  const toml::table* sct = subtable(root, "schedule", file, origins);
  Section sc(sct, file, "schedule", ex, sct ? sct->source() : top_region, origins);
  auto& h = c.schedule;
  h.type = sc.choice("type", "constant",
                     {"constant", "linear_decay", "cosine", "step", "exponential", "polynomial", "inverse_sqrt", "wsd",
                      "one_cycle", "refined"});
  h.lr = sc.get<double>("lr", 1e-2, nonnegative, ">= 0");
  h.per_lipschitz = sc.get<bool>("per_lipschitz", false);
  if (h.per_lipschitz && p.is_network()) sc.fail_here("per_lipschitz", "a network has no global Lipschitz bound; give lr itself");
  const auto& t = h.type;
  if (t != "constant" && t != "refined")
    h.steps = sc.get<long long>("steps", 0, nonnegative_int, ">= 0 (0 = stop.max_iterations; includes warmup)");
  if (t != "refined")  // the refined schedule's warmup comes from the gradient norms
    h.warmup_steps = sc.get<long long>("warmup_steps", 0, nonnegative_int, ">= 0 (linear warmup from 0)");
  if (t == "linear_decay" || t == "cosine" || t == "polynomial") h.end = sc.get<double>("end", 0.0, nonnegative, ">= 0");
  if (t == "cosine" || t == "polynomial") h.exponent = sc.get<double>("exponent", 1.0, positive, "> 0");
  if (t == "step" || t == "exponential") {
    h.step_size = sc.get<long long>("step_size", 0, nonnegative_int, ">= 0 (0 = steps/3)");
    h.gamma = sc.get<double>("gamma", 0.1, positive, "> 0");
  }
  if (t == "wsd") {
    h.cooldown = sc.choice("cooldown", "linear", {"linear", "sqrt"});
    h.cooldown_fraction = sc.get<double>("cooldown_fraction", 0.2, [](const double& v) { return v > 0 && v <= 1; },
                                         "0 < cooldown_fraction <= 1");
  }
  if (t == "one_cycle") {
    h.pct_start = sc.get<double>("pct_start", 0.3, [](const double& v) { return v > 0 && v < 0.85; }, "0 < pct_start < 0.85");
    h.div = sc.get<double>("div", 25.0, positive, "> 0");
    h.final_div = sc.get<double>("final_div", 1e4, positive, "> 0");
    h.shape = sc.choice("shape", "cosine", {"cosine", "linear"});
  }
  if (t == "refined") {
    h.first_lr = sc.get<double>("first_lr", 0.0, nonnegative, ">= 0 (0 = lr)", "peak of the first, linear-decay pass");
    const std::string from = sc.get<std::string>("from", "", [](const std::string&) { return true; }, "a run folder",
                                                 "an earlier linear_decay run folder to refine (\"\" = run both passes)");
    if (!from.empty()) {
      h.from = resolve_data_path(from, base_dir);
      std::error_code ec;
      if (h.from.empty() || !std::filesystem::is_regular_file(std::filesystem::path(h.from) / "summary.json", ec))
        sc.fail_here("from", "'" + from + "' is not a finished run folder (no summary.json; looked in " + base_dir.string() +
                                 " and the current directory)");
      if (h.first_lr > 0) sc.fail_here("first_lr", "not with 'from' (the earlier run was the first pass)");
      ex.back().value = show(h.from);
    }
    read_declared(sc, h.refine);
  }
  sc.finish(" (schedule type '" + h.type + "')");
  {  // warmup must fit inside the schedule's length (for constant and inverse_sqrt too: a run
     // that never leaves its warmup never reaches the configured lr)
    const long long length = h.steps > 0 ? h.steps : c.stop.max_iterations;
    if (h.warmup_steps > 0 && h.warmup_steps >= length)
      sc.fail_here("warmup_steps", std::to_string(h.warmup_steps) + " is not shorter than the schedule (" +
                                       std::to_string(length) + " steps, warmup included)");
  }

  // [init]
  const toml::table* it = subtable(root, "init", file, origins);
  Section is(it, file, "init", ex, it ? it->source() : top_region, origins);
  c.x0 = is.numbers("x0");
  if (const toml::node* x0 = it ? it->get("x0") : nullptr) c.x0_origin = origin_of(*x0, origins, file);
  is.finish();

  // [output]
  const toml::table* out = subtable(root, "output", file, origins);
  Section ou(out, file, "output", ex, out ? out->source() : top_region, origins);
  c.output_dir = ou.get<std::string>("dir", "results");
  c.plots = ou.get<bool>("plots", true);
  ou.finish();

  for (auto&& [k, v] : root) {
    const std::string key(k.str());
    static const std::set<std::string> known{"seed", "reference", "problem", "optimizer", "schedule", "stop", "init", "output"};
    if (key == "sweep")
      throw ConfigError(origin_of(v, origins, file) + ": [[sweep]] makes several runs; `convlab fit` and `convlab validate` read it");
    if (!known.count(key))
      throw ConfigError(origin_of(v, origins, file) + ": unknown top-level key '" + key +
                        "'; allowed: seed, reference, [problem], [optimizer], [schedule], [stop], [init], [output], [[sweep]]");
  }
  return c;
}

RunConfig load_run_config(const std::string& path, const Overrides& overrides) {
  toml::table root = parse_toml_file(path);
  Origins origins;
  apply_overrides(root, overrides, origins);
  const auto base = std::filesystem::absolute(path).parent_path();
  return parse_run_config(root, path, base, origins);
}

std::string RunConfig::to_toml() const {
  // The explain rows are exactly the resolved keys; group them back into sections.
  toml::table root;
  for (const auto& r : explain) {
    const auto dot = r.key.find('.');
    const toml::table parsed = toml::parse("v = " + r.value);  // explain values are TOML literals
    if (dot == std::string::npos) {
      root.insert_or_assign(r.key, *parsed.get("v"));
    } else {
      const std::string sec = r.key.substr(0, dot);
      if (!root.get(sec)) root.insert_or_assign(sec, toml::table{});
      root.get(sec)->as_table()->insert_or_assign(r.key.substr(dot + 1), *parsed.get("v"));
    }
  }
  std::ostringstream os;
  os << root << '\n';
  return os.str();
}

std::string resolve_data_path(const std::string& p, const std::filesystem::path& base_dir) {
  namespace fs = std::filesystem;
  // error_code overloads: a name too long for the file system (or any other error) is "not
  // found" for the caller's message, never an exception (found by the config fuzzer).
  std::error_code ec;
  const fs::path path(p);
  if (path.is_absolute()) return fs::exists(path, ec) ? path.lexically_normal().string() : std::string();
  if (fs::exists(base_dir / path, ec)) return (base_dir / path).lexically_normal().string();
  if (fs::exists(path, ec)) return fs::absolute(path, ec).lexically_normal().string();
  return {};
}

std::string stable_hash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string RunConfig::hash() const { return stable_hash(to_toml()); }

std::string suite_fingerprint(const toml::table& suite) {
  std::ostringstream os;
  os << "schedule_suite v1\n" << suite;  // the prefix predates other runners; kept so hashes stay valid
  return os.str();
}

}  // namespace convlab::experiments
