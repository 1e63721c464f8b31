#pragma once
/// \file
/// Options that describe themselves once. An options struct lists its fields in a static
/// `fields()`: key, member, rule (as text and as a predicate) and one line of doc; the default
/// is the struct's own initializer. From that one declaration come `validate()` (the library's
/// InvalidArgument messages), the CLI's TOML keys, `--set`, `validate --explain` and the key
/// tables of docs/configs.md (see docs/architecture.md, "Declared once").
///
///   struct MyOptions {
///     double rate = 0.5;
///     static constexpr std::string_view type_name = "MyOptions";
///     static constexpr auto fields() {
///       return std::tuple{convlab::field("rate", &MyOptions::rate, "0 < rate <= 1",
///                                        [](double v) { return v > 0 && v <= 1; }, "what it does")};
///     }
///     void validate() const { convlab::validate_fields(*this); }
///   };
///
/// Field types are double, long long, int, bool and std::string: what a config can hold.

#include <string>
#include <string_view>
#include <tuple>

#include <convlab/core/errors.hpp>

namespace convlab {

/// Any value of the field's type is allowed.
struct AnyValue {
  template <class T>
  constexpr bool operator()(const T&) const {
    return true;
  }
};

/// One declared option of `Owner`: `owner.*member`, checked by `allows`.
template <class Owner, class T, class Rule>
struct Field {
  using owner_type = Owner;
  using value_type = T;
  std::string_view name;  ///< the key in configs and the keyword in bindings
  T Owner::*member;
  std::string_view rule;  ///< the rule as people read it; empty when any value is allowed
  Rule allows;            ///< the rule as code: bool(const T&)
  std::string_view doc;   ///< one line for docs and --explain
};

/// A field any value of whose type is allowed.
template <class Owner, class T>
constexpr auto field(std::string_view name, T Owner::*member, std::string_view doc) {
  return Field<Owner, T, AnyValue>{name, member, {}, AnyValue{}, doc};
}

/// A field with a rule: `rule` in words, `allows` in code (keep the two saying the same).
template <class Owner, class T, class Rule>
constexpr auto field(std::string_view name, T Owner::*member, std::string_view rule, Rule allows, std::string_view doc) {
  return Field<Owner, T, Rule>{name, member, rule, allows, doc};
}

/// The declared fields of `T` as a tuple (empty for a type that declares none).
template <class T>
constexpr auto fields_of() {
  if constexpr (requires { T::fields(); }) return T::fields();
  else return std::tuple<>{};
}

/// Calls fn(field) for every declared field of `T`, in declaration order.
template <class T, class Fn>
constexpr void for_each_field(Fn&& fn) {
  std::apply([&](const auto&... f) { (fn(f), ...); }, fields_of<T>());
}

/// Throws InvalidArgument("<type_name>::<field> = <value> violates <rule>") for the first
/// field whose value breaks its rule.
template <class T>
void validate_fields(const T& options) {
  for_each_field<T>([&](const auto& f) {
    const auto& value = options.*(f.member);
    if (!f.allows(value))
      detail::require(false, std::string(T::type_name) + "::" + std::string(f.name), value, std::string(f.rule).c_str());
  });
}

}  // namespace convlab
