#pragma once
/// \file
/// Counter-based random numbers: a uniform draw is a pure function of (seed, stream, counter),
/// so client n's participation in round t, or the minibatch seed of (round t, client n), comes
/// out the same whichever thread or MPI rank computes it, in whatever order — and a resumed run
/// needs no generator state. The mixer is SplitMix64's finalizer (Steele, Lea, Flood 2014),
/// applied to a combination of the three words.

#include <cstdint>

namespace convlab::federated {

namespace detail {
inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace detail

/// A 64-bit key for (seed, stream, counter); distinct inputs give (practically) independent keys.
inline std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return detail::mix64(detail::mix64(detail::mix64(seed) ^ stream) ^ counter);
}

/// Uniform on [0, 1) with 53 random bits.
inline double stream_uniform(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) {
  return static_cast<double>(stream_key(seed, stream, counter) >> 11) * 0x1.0p-53;
}

}  // namespace convlab::federated
