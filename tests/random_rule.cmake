# The one random-number rule (docs/architecture.md): no library header and no CLI source draws
# through the standard library's distributions, engines or std::shuffle, whose output differs
# between standard libraries. Run: cmake -DROOT=<source dir> -P tests/random_rule.cmake
cmake_minimum_required(VERSION 3.20)
file(GLOB_RECURSE sources
  ${ROOT}/core/include/*.hpp ${ROOT}/problems/include/*.hpp ${ROOT}/optim/include/*.hpp
  ${ROOT}/schedules/include/*.hpp ${ROOT}/quantile/include/*.hpp ${ROOT}/federated/include/*.hpp
  ${ROOT}/bilevel/include/*.hpp ${ROOT}/experiments/src/*.cpp ${ROOT}/experiments/src/*.hpp
  ${ROOT}/python/src/*.cpp)
# Not yet moved: with Boost's draws four quick-profile claims of these experiments change verdict
# (docs/architecture.md, "one random-number rule"); each needs a replicate count argued from its
# paper first. The list may only shrink: a file here that no longer offends fails the test too.
set(pending
  optim/include/convlab/optim/presto.hpp quantile/include/convlab/quantile/models.hpp
  experiments/src/bilevel_svm_suite.cpp experiments/src/presto_suite.cpp experiments/src/quantile_suite.cpp)
set(offenders "")
set(cleared "")
foreach(f IN LISTS sources)
  file(RELATIVE_PATH rel ${ROOT} ${f})
  if(rel IN_LIST pending)
    file(STRINGS ${f} lines REGEX "std::(mt19937|minstd_rand|default_random_engine|random_device|shuffle|[a-z_]+_distribution)")
    if(NOT lines)
      list(APPEND cleared ${rel})
    endif()
    continue()
  endif()
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
if(cleared)
  list(JOIN cleared " " text)
  message(FATAL_ERROR "these files follow the rule now; remove them from the pending list: ${text}")
endif()
list(LENGTH sources count)
message(STATUS "random-number rule: ${count} library and CLI sources checked")
