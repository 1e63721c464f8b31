#include "suites/suite.hpp"

#include <fmt/format.h>

namespace convlab::experiments::detail {

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string markdown_value(double v) { return fmt::format("{}", v); }
std::string markdown_value(long long v) { return std::to_string(v); }
std::string markdown_value(bool v) { return v ? "true" : "false"; }
std::string markdown_value(const std::string& v) { return "\"" + v + "\""; }

}  // namespace convlab::experiments::detail
