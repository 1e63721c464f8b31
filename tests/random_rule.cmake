# The one random-number rule (docs/architecture.md): no library header and no CLI source draws
# through the standard library's distributions, engines or std::shuffle, whose output differs
# between standard libraries. Run: cmake -DROOT=<source dir> -P tests/random_rule.cmake
cmake_minimum_required(VERSION 3.20)
file(GLOB_RECURSE sources
  ${ROOT}/core/include/*.hpp ${ROOT}/problems/include/*.hpp ${ROOT}/optim/include/*.hpp ${ROOT}/solvers/include/*.hpp
  ${ROOT}/schedules/include/*.hpp ${ROOT}/quantile/include/*.hpp ${ROOT}/federated/include/*.hpp
  ${ROOT}/bilevel/include/*.hpp ${ROOT}/experiments/src/*.cpp ${ROOT}/experiments/src/*.hpp
  ${ROOT}/python/src/*.cpp ${ROOT}/torch/include/*.hpp)
set(offenders "")
foreach(f IN LISTS sources)
  file(STRINGS ${f} lines REGEX "std::(mt19937|minstd_rand|default_random_engine|random_device|shuffle|[a-z_]+_distribution)")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(NOT line MATCHES "^//")  # comments may name what not to use
      list(APPEND offenders "${f}: ${line}")
      break()
    endif()
  endforeach()
endforeach()
if(offenders)
  list(JOIN offenders "\n  " text)
  message(FATAL_ERROR "standard-library randomness (use convlab::Rng, Boost.Random distributions, convlab::shuffle):\n  ${text}")
endif()
list(LENGTH sources count)
message(STATUS "random-number rule: ${count} library and CLI sources checked")
