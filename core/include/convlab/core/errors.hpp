#pragma once
/// \file
/// Exception types thrown by convlab. The library never prints or aborts: bad input
/// becomes one of these, and the experiments layer turns it into a message for people.

#include <cstddef>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace convlab {

/// A hyperparameter, option or argument violates its documented rule, or two sizes
/// disagree. The message names the field, its value and the rule.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A data file is malformed. The message reads `file:line: field N (name): what`.
class DataError : public std::runtime_error {
 public:
  DataError(std::string file, std::size_t line, std::string field, const std::string& what)
      : std::runtime_error(format(file, line, field, what)),
        file_(std::move(file)),
        line_(line),
        field_(std::move(field)) {}
  const std::string& file() const noexcept { return file_; }
  std::size_t line() const noexcept { return line_; }  ///< 1-based; 0 when not tied to a line
  const std::string& field() const noexcept { return field_; }

 private:
  static std::string format(const std::string& file, std::size_t line, const std::string& field,
                            const std::string& what) {
    std::ostringstream os;
    os << file;
    if (line > 0) os << ':' << line;
    os << ": ";
    if (!field.empty()) os << field << ": ";
    os << what;
    return os.str();
  }
  std::string file_;
  std::size_t line_;
  std::string field_;
};

namespace detail {

/// Throws InvalidArgument("<name> = <value> violates <rule>") unless `ok`.
template <class T>
void require(bool ok, const char* name, const T& value, const char* rule) {
  if (ok) return;
  std::ostringstream os;
  os << name << " = " << value << " violates " << rule;
  throw InvalidArgument(os.str());
}

/// Throws InvalidArgument naming `what` when a vector or matrix has the wrong size.
inline void require_size(long long actual, long long expected, const char* what) {
  if (actual == expected) return;
  std::ostringstream os;
  os << what << " has size " << actual << ", expected " << expected;
  throw InvalidArgument(os.str());
}

/// The same, for names built at run time ("level 3", "weight 17").
template <class T>
void require(bool ok, const std::string& name, const T& value, const char* rule) {
  if (!ok) require(ok, name.c_str(), value, rule);
}
inline void require_size(long long actual, long long expected, const std::string& what) {
  if (actual != expected) require_size(actual, expected, what.c_str());
}

}  // namespace detail

// The validation helpers, visible to every component's detail namespace.
namespace problems::detail {
using convlab::detail::require;
using convlab::detail::require_size;
}  // namespace problems::detail
namespace optim::detail {
using convlab::detail::require;
using convlab::detail::require_size;
}  // namespace optim::detail
namespace solvers::detail {
using convlab::detail::require;
using convlab::detail::require_size;
}  // namespace solvers::detail
}  // namespace convlab
