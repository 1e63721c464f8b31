#pragma once
// Strict reading of a runner's own TOML tables: every key typed and range-checked, unknown
// keys rejected, errors naming file:line (also for values copied by profile merges).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

#include <convlab/core/fields.hpp>

#include "config/config.hpp"

namespace convlab::experiments {

struct TableReader {
  const std::string& file;
  const Origins& origins;
  std::string where(const toml::node& n) const {
    if (n.source().path) return *n.source().path + ":" + std::to_string(n.source().begin.line);
    if (auto it = origins.find(&n); it != origins.end()) return it->second;
    return file;
  }
  [[noreturn]] void fail(const toml::node& n, const std::string& section, const std::string& key,
                         const std::string& what) const {
    throw ConfigError(where(n) + ": [" + section + "] key '" + key + "': " + what);
  }
  void only(const toml::table& t, const std::string& section, const std::set<std::string>& allowed) const {
    for (auto&& [k, v] : t)
      if (!allowed.count(std::string(k.str()))) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw ConfigError(where(v) + ": unknown key '" + std::string(k.str()) + "' " + in_table(section) + "; allowed keys: " + list);
      }
  }
  double number(const toml::table& t, const std::string& section, const std::string& key, double def,
                const std::function<bool(double)>& ok, const std::string& rule) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_number()) fail(*n, section, key, "expected a number");
    const double v = *n->value<double>();
    if (!ok(v)) fail(*n, section, key, fmt::format("{} is out of range; allowed: {}", v, rule));
    return v;
  }
  long long integer(const toml::table& t, const std::string& section, const std::string& key, long long def,
                    long long min) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_integer()) fail(*n, section, key, "expected an integer");
    const long long v = *n->value<std::int64_t>();
    if (v < min) fail(*n, section, key, fmt::format("{} is out of range; allowed: >= {}", v, min));
    return v;
  }
  std::string string(const toml::table& t, const std::string& section, const std::string& key, const std::string& def,
                     const std::vector<std::string>& allowed = {}) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (def.empty()) throw ConfigError(where(t) + ": [" + section + "] is missing required key '" + key + "'");
      return def;
    }
    if (!n->is_string()) fail(*n, section, key, "expected a string");
    const std::string v = *n->value<std::string>();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : " | ") + a;
      fail(*n, section, key, "\"" + v + "\" is not one of " + list);
    }
    return v;
  }
  bool boolean(const toml::table& t, const std::string& section, const std::string& key, bool def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_boolean()) fail(*n, section, key, "expected a boolean");
    return *n->value<bool>();
  }
  std::vector<double> numbers(const toml::table& t, const std::string& section, const std::string& key,
                              const std::function<bool(double)>& ok, const std::string& rule) const {
    const toml::node* n = t.get(key);
    if (!n) throw ConfigError(where(t) + ": [" + section + "] is missing required key '" + key + "'");
    const toml::array* a = n->as_array();
    if (!a || a->empty()) fail(*n, section, key, "expected a non-empty array of numbers");
    std::vector<double> out;
    for (const auto& e : *a) {
      if (!e.is_number() || !ok(*e.value<double>())) fail(*n, section, key, "every entry must be a number, " + rule);
      out.push_back(*e.value<double>());
    }
    return out;
  }
  // A non-empty array of integers in [lo, hi] (or an empty one where `may_be_empty`: a network's
  // hidden widths, [] = no hidden layer); `def` when the key is absent.
  std::vector<long long> integers(const toml::table& t, const std::string& section, const std::string& key, const std::vector<long long>& def,
                                  long long lo, long long hi, bool may_be_empty = false) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (may_be_empty && n->as_array() && n->as_array()->empty()) return {};
    std::vector<long long> out;
    const auto ok = [&](double v) { return v >= static_cast<double>(lo) && v <= static_cast<double>(hi) && v == std::floor(v); };
    for (const double v : numbers(t, section, key, ok, fmt::format("an integer in [{}, {}]", lo, hi))) out.push_back(static_cast<long long>(v));
    return out;
  }
  // A string or an array of distinct strings, each one of `allowed` (any string if it is empty).
  std::vector<std::string> strings(const toml::table& t, const std::string& section, const std::string& key,
                                   const std::vector<std::string>& def, const std::vector<std::string>& allowed) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (n->is_string()) return {string(t, section, key, "", allowed)};
    const toml::array* a = n->as_array();
    if (!a || a->empty()) fail(*n, section, key, "expected a string or a non-empty array of strings");
    std::vector<std::string> out;
    for (const auto& e : *a) {
      const auto v = e.value<std::string>();
      if (!v) fail(*n, section, key, "every entry must be a string");
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end())
        fail(*n, section, key, "\"" + *v + "\" is not one of " + fmt::format("{}", fmt::join(allowed, " | ")));
      if (std::find(out.begin(), out.end(), *v) != out.end()) fail(*n, section, key, "\"" + *v + "\" is listed twice");
      out.push_back(*v);
    }
    return out;
  }
  // The keys a struct declares (core/fields.hpp), for only().
  template <class P>
  static std::set<std::string> declared_keys(std::set<std::string> more = {}) {
    convlab::for_each_field<P>([&](const auto& f) { more.insert(std::string(f.name)); });
    return more;
  }
  // Reads every declared field of `out` present in `t`, checked by the field's own rule; an
  // absent key keeps the struct's initializer.
  template <class P>
  void declared(const toml::table& t, const std::string& section, P& out) const {
    convlab::for_each_field<P>([&](const auto& f) {
      using T = typename std::decay_t<decltype(f)>::value_type;
      const std::string key(f.name);
      const toml::node* n = t.get(key);
      if (!n) return;
      T v{};
      if constexpr (std::is_same_v<T, double>) {
        if (!n->is_number()) fail(*n, section, key, "expected a number");
        v = *n->value<double>();
      } else if constexpr (std::is_same_v<T, long long>) {
        if (!n->is_integer()) fail(*n, section, key, "expected an integer");
        v = *n->value<std::int64_t>();
      } else if constexpr (std::is_same_v<T, bool>) {
        if (!n->is_boolean()) fail(*n, section, key, "expected a boolean");
        v = *n->value<bool>();
      } else {
        static_assert(std::is_same_v<T, std::string>, "declared suite fields are numbers, integers, booleans or strings");
        if (!n->is_string()) fail(*n, section, key, "expected a string");
        v = *n->value<std::string>();
      }
      if (f.allows(v)) {
        out.*(f.member) = v;
      } else if constexpr (std::is_same_v<T, std::string>) {
        fail(*n, section, key, "\"" + v + "\" is not one of " + std::string(f.rule));
      } else {
        fail(*n, section, key, fmt::format("{} is out of range; allowed: {}", v, f.rule));
      }
    });
  }
  const toml::array& tables(const toml::table& t, const std::string& section, const std::string& key) const {
    const toml::array* a = t.get_as<toml::array>(key);
    if (!a || a->empty() || !a->is_array_of_tables())
      throw ConfigError(where(t) + ": [" + section + "] needs at least one [[" + section + "." + key + "]] table");
    return *a;
  }
};


}  // namespace convlab::experiments
