#pragma once
/// \file
/// Saving and restoring an optimizer's state in one's own training loop:
///
///     optim::save_state("run/opt.state", adamw, groups, state);   // atomic: temp file + rename
///     ...
///     auto state = adamw.init(groups);
///     optim::load_state("run/opt.state", adamw, groups, state);   // all or nothing
///
/// The file (format 1): the magic "CNLBOPT1", a text description — the optimizer, its scalar
/// type, every group's options (and κ) and lr multiplier, every tensor's shape — then each
/// tensor's saved buffers, then a CRC-32 of everything before it (core/bytes.hpp). `load_state`
/// rebuilds the description from the optimizer and groups it is given and refuses a file whose
/// description differs (naming the first line that does), a damaged or truncated file, and a
/// file of another kind; `state` is replaced only when the whole file has been read. A run
/// resumed from a saved state reaches the same bits as one that never stopped.
///
/// What is saved is each optimizer's `State::saved()` (a tuple of references: moment buffers
/// and step counters; scratch buffers and κ shapes are remade by `init`) and, for a chain,
/// each transform's.

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <type_traits>

#include <convlab/core/bytes.hpp>
#include <convlab/core/fields.hpp>

#include "any_kappa.hpp"
#include "param_groups.hpp"
#include "transform_list.hpp"

namespace convlab::optim {

namespace detail {
inline constexpr std::uint64_t kStateMagic = 0x3154504f424c4e43ULL;  // "CNLBOPT1"

template <class T>
void describe_fields(std::ostringstream& os, const T& options) {
  for_each_field<T>([&](const auto& f) { os << ' ' << f.name << '=' << options.*(f.member); });
}

template <class T>
void describe_chain_part(std::ostringstream& os, const T& t) {
  if constexpr (requires { t.describe(os); }) {
    os << ' ' << T::type_name << ':';
    t.describe(os);
  } else {
    describe_transform(os, t);
  }
  os << " |";
}

template <class K>
void describe_kappa(std::ostringstream& os, const K& k) {
  if constexpr (std::is_same_v<K, AnyKappa>) {
    std::visit([&](const auto& inner) { describe_kappa(os, inner); }, k.variant());
  } else {
    std::string_view name = "custom";
    std::apply([&](const auto&... e) { ((std::is_same_v<typename std::decay_t<decltype(e)>::type, K> ? (name = e.name) : name), ...); },
               kappa_names);
    os << " kappa=" << name;
    describe_fields(os, k);
  }
}

template <class O>
void describe_optimizer(std::ostringstream& os, const O& o) {
  if constexpr (requires { o.transforms(); }) {  // a chain: its transforms, then its optimizer
    std::apply([&](const auto&... t) { (describe_chain_part(os, t), ...); }, o.transforms());
    os << ' ' << std::decay_t<decltype(o.optimizer())>::name << ':';
    describe_optimizer(os, o.optimizer());
  } else {
    if constexpr (requires { o.options(); }) describe_fields(os, o.options());
    if constexpr (requires { o.kappa(); }) describe_kappa(os, o.kappa());
  }
}

template <class O, class State>
std::string describe(const O& opt, const typename O::Groups* groups, const State& st) {
  std::ostringstream os;
  os.precision(17);
  os << "optimizer " << O::name << '<' << (std::is_same_v<typename O::Scalar, float> ? "float" : "double") << ">:";
  describe_optimizer(os, opt);
  os << '\n';
  if (groups) {
    for (std::size_t i = 0; i < groups->size(); ++i) {
      const auto& g = (*groups)[i];
      os << "group " << i << ": " << g.params.size() << " tensors, lr_scale=" << g.lr_scale;
      if (g.optimizer) describe_optimizer(os, *g.optimizer);
      else os << ", the optimizer's options";
      os << '\n';
    }
  }
  const auto& shapes = [&]() -> const auto& {
    if constexpr (requires { st.shapes(); }) return st.shapes();
    else return st.shapes;
  }();
  for (std::size_t k = 0; k < shapes.size(); ++k) os << "tensor " << k << ": " << shapes[k].rows << " x " << shapes[k].cols << '\n';
  return os.str();
}

inline std::string first_difference(const std::string& want, const std::string& have) {
  std::istringstream a(want), b(have);
  std::string la, lb;
  while (true) {
    const bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
    if (!ga && !gb) return {};
    if (!ga) la = "(nothing)";
    if (!gb) lb = "(nothing)";
    if (la != lb) return "the file has '" + lb + "' where this run has '" + la + "'";
  }
}

template <class State>
std::vector<char> encode(const std::string& description, const State& st) {
  ByteWriter out;
  out.put(kStateMagic);
  out.put_string(description);
  auto put = [&](const auto& item, auto& self) -> void {
    using T = std::decay_t<decltype(item)>;
    if constexpr (std::is_arithmetic_v<T>) {
      out.put(item);
    } else if constexpr (requires { item.for_each_saved([](const auto&) {}); }) {  // a run-time list (transform_list.hpp)
      item.for_each_saved([&](const auto& v) { self(v, self); });
    } else if constexpr (requires { item.data(); item.size(); item[0].size(); }) {  // a list of buffers
      out.put(static_cast<std::uint64_t>(item.size()));
      for (const auto& b : item) self(b, self);
    } else {
      out.put_array(item.data(), static_cast<std::size_t>(item.size()));
    }
  };
  st.visit_saved([&](const auto& item) { put(item, put); });
  seal(out.bytes);
  return std::move(out.bytes);
}

template <class State>
void decode(std::vector<char> bytes, const std::string& what, const std::string& description, State& st) {
  ByteReader in{bytes, what};
  if (bytes.size() < sizeof kStateMagic || in.get<std::uint64_t>() != kStateMagic)
    throw InvalidArgument(what + ": not a convlab optimizer state file (format 1)");
  unseal(bytes, what);
  const std::string saved = in.get_string();
  if (saved != description)
    throw InvalidArgument(what + ": saved for another optimizer or model: " + first_difference(description, saved));
  auto expect = [&](std::size_t n, std::size_t want) {
    if (n != want)
      throw InvalidArgument(what + ": a state buffer holds " + std::to_string(n) + " values where " + std::to_string(want) +
                            " are expected");
  };
  auto get = [&](auto& item, auto& self) -> void {
    using T = std::decay_t<decltype(item)>;
    if constexpr (std::is_arithmetic_v<T>) {
      item = in.get<T>();
    } else if constexpr (requires { item.for_each_saved([](auto&) {}); }) {
      item.for_each_saved([&](auto& v) { self(v, self); });
    } else if constexpr (requires { item.data(); item.size(); item[0].size(); }) {
      expect(static_cast<std::size_t>(in.get<std::uint64_t>()), item.size());
      for (auto& b : item) self(b, self);
    } else {
      const std::size_t n = in.get_count<typename T::Scalar>();
      expect(n, static_cast<std::size_t>(item.size()));
      in.get_array(item.data(), n);
    }
  };
  State loaded = st;  // the shapes and scratch buffers of `init`; `st` is untouched until the end
  loaded.visit_saved([&](auto& item) { get(item, get); });
  if (!in.done()) throw InvalidArgument(what + ": trailing bytes after the last tensor's state");
  st = std::move(loaded);
}
}  // namespace detail

/// The saved form of groups' state as bytes (what save_state writes; for archives that hold
/// bytes, such as a LibTorch optimizer's state_dict). `O` is an optimizer or a chain.
template <class O, class State>
std::vector<char> state_bytes(const O& opt, const typename O::Groups& groups, const State& st) {
  return detail::encode(detail::describe(opt, &groups, st), st);
}
/// Restores state_bytes' output under the same checks as load_state; `what` names the source
/// in errors.
template <class O, class State>
void load_state_bytes(std::vector<char> bytes, const std::string& what, const O& opt, const typename O::Groups& groups,
                      State& st) {
  detail::decode(std::move(bytes), what, detail::describe(opt, &groups, st), st);
}

/// Writes the state of groups' tensors (atomically). `O` is an optimizer or a chain
/// (chain.hpp); see the file comment for the format.
template <class O, class State>
void save_state(const std::filesystem::path& path, const O& opt, const typename O::Groups& groups, const State& st) {
  write_file_atomic(path, state_bytes(opt, groups, st));
}
/// Restores what save_state wrote for the same optimizer, options, groups and shapes; `st`
/// comes from `opt.init(groups)` and is replaced only when everything was read.
template <class O, class State>
void load_state(const std::filesystem::path& path, const O& opt, const typename O::Groups& groups, State& st) {
  load_state_bytes(read_file_bytes(path), path.string(), opt, groups, st);
}

/// The same for a plain tensor list (`opt.init({W, b})`).
template <class O, class State>
std::vector<char> state_bytes(const O& opt, const State& st) {
  return detail::encode(detail::describe(opt, nullptr, st), st);
}
template <class O, class State>
void load_state_bytes(std::vector<char> bytes, const std::string& what, const O& opt, State& st) {
  detail::decode(std::move(bytes), what, detail::describe(opt, nullptr, st), st);
}
template <class O, class State>
void save_state(const std::filesystem::path& path, const O& opt, const State& st) {
  write_file_atomic(path, state_bytes(opt, st));
}
template <class O, class State>
void load_state(const std::filesystem::path& path, const O& opt, State& st) {
  load_state_bytes(read_file_bytes(path), path.string(), opt, st);
}

}  // namespace convlab::optim
