#include "config/variants.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include <fmt/core.h>

namespace convlab::experiments {
namespace {

std::string line_of(const toml::node& n, const std::string& file) {
  const auto& src = n.source();
  return (src.path ? *src.path : file) + (src.begin.line > 0 ? ":" + std::to_string(src.begin.line) : "");
}

// A value as TOML writes it; strings without their quotes.
std::string literal(const toml::node& v) {
  std::ostringstream os;
  v.visit([&](const auto& x) { os << x; });
  return os.str();
}

std::string display(const toml::node& v) {
  if (const auto* s = v.as_string()) return s->get();
  if (const auto* d = v.as_floating_point()) return fmt::format("{}", d->get());  // shortest text that reads back
  return literal(v);
}

bool is_output_key(const std::string& key) { return key == "output" || key.rfind("output.", 0) == 0; }

// `a` is `b`, or a table on its path (or the other way round): setting both is ambiguous.
bool overlaps(const std::string& a, const std::string& b) {
  const std::string& shorter = a.size() <= b.size() ? a : b;
  const std::string& longer = a.size() <= b.size() ? b : a;
  return longer.rfind(shorter, 0) == 0 && (longer.size() == shorter.size() || longer[shorter.size()] == '.');
}

std::string folder_part(const Setting& s) {
  const toml::node& v = *s.value.get("v");
  const std::string shown = display(v);
  std::string safe;
  bool lossy = false;
  for (const char c : shown) {
    const bool keep = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '+' || c == '-';
    lossy |= !keep;
    const char out = keep ? c : '_';
    if (out != '_' || (!safe.empty() && safe.back() != '_')) safe += out;
  }
  while (!safe.empty() && safe.back() == '_') safe.pop_back();
  if (lossy || safe.empty()) safe += (safe.empty() ? "" : "-") + stable_hash(s.key + "=" + literal(v)).substr(0, 8);
  return s.key + "=" + safe;
}

// One [[sweep]] table as axes: a dotted key and its values (nested tables flatten into keys).
struct Axis {
  std::string key;
  std::vector<const toml::node*> values;
};

void collect_axes(const toml::table& t, const std::string& prefix, const std::string& file, std::vector<Axis>& axes) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix + std::string(k.str());
    if (const auto* sub = v.as_table()) {
      collect_axes(*sub, key + ".", file, axes);
      continue;
    }
    const auto* values = v.as_array();
    if (!values || values->empty())
      throw ConfigError(line_of(v, file) + ": [[sweep]] key '" + key +
                        "': expected a non-empty array with one value per variant, e.g. " + key + " = [0.1, 0.01]");
    if (is_output_key(key))
      throw ConfigError(line_of(v, file) + ": [[sweep]] key '" + key + "': [output] keys are not swept (they do not change a run)");
    if (key == "sweep" || key.rfind("sweep.", 0) == 0)
      throw ConfigError(line_of(v, file) + ": [[sweep]] key '" + key + "': a sweep cannot set sweeps");
    Axis axis{key, {}};
    for (const auto& value : *values) axis.values.push_back(&value);
    axes.push_back(std::move(axis));
  }
}

// The settings of every point of the grid of `axes` (the last axis varies fastest).
std::vector<std::vector<Setting>> grid(const std::vector<Axis>& axes, const std::string& file) {
  std::vector<std::vector<Setting>> points;
  std::vector<std::size_t> at(axes.size(), 0);
  while (true) {
    std::vector<Setting> point;
    for (std::size_t a = 0; a < axes.size(); ++a) {
      const toml::node& v = *axes[a].values[at[a]];
      point.push_back({axes[a].key, toml::table{{"v", v}}, line_of(v, file), true});
    }
    points.push_back(std::move(point));
    std::size_t a = axes.size();
    while (a > 0 && ++at[a - 1] == axes[a - 1].values.size()) at[--a] = 0;
    if (a == 0) return points;
  }
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (const char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string variant_folder(const std::vector<Setting>& settings) {
  std::vector<const Setting*> named;
  for (const auto& s : settings)
    if (!is_output_key(s.key)) named.push_back(&s);
  if (named.empty()) return "fit";
  std::stable_sort(named.begin(), named.end(), [](const Setting* a, const Setting* b) { return a->key < b->key; });
  std::string folder;
  for (const Setting* s : named) folder += (folder.empty() ? "" : ",") + folder_part(*s);
  // File names are at most 255 bytes: a longer name keeps its start and a hash of the whole.
  if (folder.size() > 200) folder = folder.substr(0, 183) + "-" + stable_hash(folder);
  return folder;
}

std::vector<Setting> settings_of(const Overrides& overrides) {
  std::vector<Setting> settings;
  for (const auto& o : overrides) {
    const auto [key, value] = split_override(o);
    std::erase_if(settings, [&](const Setting& s) { return s.key == key; });
    settings.push_back({key, parse_override_value(key, value), "--set " + key, false});
  }
  return settings;
}

void for_each_variant(const std::string& path, const Overrides& overrides,
                      const std::function<void(const std::vector<Setting>&, const std::string& folder, const toml::table&,
                                               const Origins&)>& fn) {
  const toml::table file = parse_toml_file(path);
  const std::vector<Setting> cli = settings_of(overrides);

  std::vector<std::vector<Setting>> points;
  if (const toml::node* sweep = file.get("sweep")) {
    std::vector<const toml::table*> tables;
    if (const auto* t = sweep->as_table()) tables.push_back(t);
    if (const auto* a = sweep->as_array())
      for (const auto& e : *a)
        if (const auto* t = e.as_table()) tables.push_back(t);
    if (tables.empty() || (sweep->is_array() && tables.size() != sweep->as_array()->size()))
      throw ConfigError(line_of(*sweep, path) + ": 'sweep' must be tables ([[sweep]]) of keys and their values");
    for (const toml::table* t : tables) {
      std::vector<Axis> axes;
      collect_axes(*t, "", path, axes);
      if (axes.empty()) throw ConfigError(line_of(*t, path) + ": an empty [[sweep]] table; give keys and their values");
      for (auto& p : grid(axes, path)) points.push_back(std::move(p));
    }
  } else {
    points.emplace_back();
  }

  std::map<std::string, std::string> seen;  // folder -> origin of its first variant
  for (auto& settings : points) {
    for (const auto& s : settings)
      for (const auto& other : cli)
        if (overlaps(s.key, other.key))
          throw ConfigError(other.origin + ": '" + s.key + "' is swept by [[sweep]] (" + s.origin + "); set it in one place");
    settings.insert(settings.end(), cli.begin(), cli.end());
    const std::string folder = variant_folder(settings);
    const std::string where = settings.empty() ? path : settings.front().origin;
    if (const auto [it, fresh] = seen.emplace(folder, where); !fresh)
      throw ConfigError(where + ": [[sweep]] makes the variant '" + folder + "' twice (also at " + it->second + ")");
    Origins origins;
    toml::table root = copy_table(file, origins);
    root.erase("sweep");
    for (const auto& s : settings) set_dotted(root, s.key, *s.value.get("v"), s.origin, origins);
    fn(settings, folder, root, origins);
  }
}

std::vector<Variant> load_run_variants(const std::string& path, const Overrides& overrides) {
  const auto base_dir = std::filesystem::absolute(path).parent_path();
  std::vector<Variant> variants;
  for_each_variant(path, overrides, [&](const std::vector<Setting>& settings, const std::string& folder, const toml::table& root,
                                        const Origins& origins) {
    RunConfig config = parse_run_config(root, path, base_dir, origins);  // not inside the braces: see federated_fit.cpp
    variants.push_back({settings, folder, std::move(config)});
  });
  return variants;
}

std::string sweep_table(const std::vector<Variant>& variants, const std::vector<nlohmann::json>& summaries,
                        const std::vector<std::string>& columns) {
  std::vector<std::string> keys;  // every swept key, in the order of the first variant that sets it
  for (const auto& v : variants)
    for (const auto& s : v.settings)
      if (s.swept && std::find(keys.begin(), keys.end(), s.key) == keys.end()) keys.push_back(s.key);
  std::string out = "variant";
  for (const auto& k : keys) out += "," + csv_field(k);
  for (const auto& c : columns) out += "," + csv_field(c);
  out += "\n";
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& j = summaries[i];
    out += csv_field(variants[i].folder);
    for (const auto& k : keys) {
      const auto it = std::find_if(variants[i].settings.begin(), variants[i].settings.end(), [&](const Setting& s) { return s.key == k; });
      out += "," + (it == variants[i].settings.end() ? std::string() : csv_field(display(*it->value.get("v"))));
    }
    for (const auto& c : columns) {
      out += ",";
      if (!j.contains(c)) continue;
      const auto& v = j[c];
      out += v.is_string() ? csv_field(v.get<std::string>()) : v.is_number_integer() ? std::to_string(v.get<long long>())
             : v.is_number()                                 ? fmt::format("{}", v.get<double>())
                                                             : std::string();
    }
    out += "\n";
  }
  return out;
}

}  // namespace convlab::experiments
