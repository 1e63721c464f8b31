#pragma once
/// \file
/// The one random-number rule: the engine is Boost.Random's 64-bit Mersenne twister and every draw
/// goes through a Boost.Random distribution or `shuffle` below. The standard library's
/// distributions and std::shuffle are implementation-defined (libstdc++, libc++ and MSVC draw
/// different numbers from the same engine), so a seeded run would differ between platforms; Boost's
/// are the same code everywhere.

#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cstddef>
#include <iterator>
#include <utility>

namespace convlab {

using Rng = boost::random::mt19937_64;

/// Fisher–Yates over [first, last): position i − 1 (from the end) swaps with a uniform pick from
/// [0, i − 1].
template <class RandomIt, class Engine>
void shuffle(RandomIt first, RandomIt last, Engine& rng) {
  const auto n = static_cast<std::size_t>(std::distance(first, last));
  for (std::size_t i = n; i > 1; --i) {
    boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
    using std::swap;
    swap(first[static_cast<std::ptrdiff_t>(i - 1)], first[static_cast<std::ptrdiff_t>(pick(rng))]);
  }
}

}  // namespace convlab
