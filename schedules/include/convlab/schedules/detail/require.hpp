#pragma once
/// \file
/// Parameter checks for schedule constructors: "cosine: decay_steps = 0 violates decay_steps >= 1".
/// (schedules depend on nothing else of convlab, so they throw std::invalid_argument.)

#include <sstream>
#include <stdexcept>

namespace convlab::schedules::detail {

template <class T>
void require(bool ok, const char* schedule, const char* name, const T& value, const char* rule) {
  if (ok) return;
  std::ostringstream os;
  os << schedule << ": " << name << " = " << value << " violates " << rule;
  throw std::invalid_argument(os.str());
}

inline bool finite_nonnegative(double v) { return v >= 0 && v < 1e308; }

}  // namespace convlab::schedules::detail
