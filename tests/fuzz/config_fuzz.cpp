// libFuzzer harness for the run-config reader: TOML syntax, one `--set` override and the whole
// schema (types, ranges, choices, cross-key rules, data paths). Any input must either give a
// config or throw ConfigError / InvalidArgument / DataError; anything else (a crash, another
// exception, a sanitizer report) is a bug. Input: the first line is the override
// (KEY=VALUE, or empty), the rest is the config text.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <convlab/core/errors.hpp>

#include "config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t newline = input.find('\n');
  const std::string set(input.substr(0, newline));
  const std::string_view text = newline == std::string_view::npos ? std::string_view{} : input.substr(newline + 1);
  namespace ex = convlab::experiments;
  try {
    toml::table root = toml::parse(text, std::string_view("fuzz.toml"));
    ex::Origins origins;
    if (!set.empty()) ex::apply_overrides(root, {set}, origins);
    const ex::RunConfig c = ex::parse_run_config(root, "fuzz.toml", CONVLAB_DATA_DIR, origins);
    if (c.hash().empty() || c.to_toml().empty()) __builtin_trap();
  } catch (const toml::parse_error&) {
  } catch (const ex::ConfigError&) {
  } catch (const convlab::DataError&) {
  } catch (const std::invalid_argument&) {  // convlab::InvalidArgument and option validation
  }
  return 0;
}
