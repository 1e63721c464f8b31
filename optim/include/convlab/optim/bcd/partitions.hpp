#pragma once
/// \file
/// Partition policies of block coordinate descent: how coordinates are grouped into blocks.
///
/// A fixed-block (FB) partition returns disjoint blocks covering 0..n−1 from the coordinate
/// constants L; `VariableBlocks` returns none and lets the selection rule choose any τ
/// coordinates each iteration (VB). When τ does not divide n the last block is smaller (the
/// reference code asserts τ | n instead).
///
/// | policy            | blocks                                                              |
/// |-------------------|---------------------------------------------------------------------|
/// | `OrderPartition`  | {jτ, …, jτ+τ−1}                                                     |
/// | `SortPartition`   | consecutive τ-chunks of argsort(L) (blocks of similar L_i)          |
/// | `AvgPartition`    | chunks of s₀, s_{n−1}, s₁, s_{n−2}, … (s = argsort L; mixed blocks)   |
/// | `RandomPartition` | chunks of a seeded random permutation                               |
/// | `VariableBlocks`  | none: any τ-subset (VB)                                             |

#include <Eigen/Core>
#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <numeric>
#include <vector>

#include <convlab/core/errors.hpp>

namespace convlab::optim {

using BlockList = std::vector<std::vector<Eigen::Index>>;

namespace detail {
inline void require_block_size(Eigen::Index tau) { require(tau >= 1, "block size tau", tau, "tau >= 1"); }

inline BlockList chunk(const std::vector<Eigen::Index>& order, Eigen::Index tau) {
  BlockList blocks;
  for (std::size_t start = 0; start < order.size(); start += static_cast<std::size_t>(tau))
    blocks.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(start),
                        order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), start + static_cast<std::size_t>(tau))));
  return blocks;
}

/// argsort ascending, ties by index (stable), so partitions are deterministic.
template <class V>
std::vector<Eigen::Index> argsort(const V& L) {
  std::vector<Eigen::Index> s(static_cast<std::size_t>(L.size()));
  std::iota(s.begin(), s.end(), Eigen::Index{0});
  std::stable_sort(s.begin(), s.end(), [&](Eigen::Index a, Eigen::Index b) { return L[a] < L[b]; });
  return s;
}
}  // namespace detail

struct OrderPartition {
  Eigen::Index tau = 1;
  static constexpr bool variable = false;
  template <class V>
  BlockList blocks(const V& L) const {
    detail::require_block_size(tau);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(L.size()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    return detail::chunk(order, tau);
  }
};

struct SortPartition {
  Eigen::Index tau = 1;
  static constexpr bool variable = false;
  template <class V>
  BlockList blocks(const V& L) const {
    detail::require_block_size(tau);
    return detail::chunk(detail::argsort(L), tau);
  }
};

struct AvgPartition {
  Eigen::Index tau = 1;
  static constexpr bool variable = false;
  template <class V>
  BlockList blocks(const V& L) const {
    detail::require_block_size(tau);
    const std::vector<Eigen::Index> s = detail::argsort(L);
    std::vector<Eigen::Index> mixed;
    mixed.reserve(s.size());
    for (std::size_t lo = 0, hi = s.size(); lo < hi;) {
      mixed.push_back(s[lo++]);
      if (lo < hi) mixed.push_back(s[--hi]);
    }
    return detail::chunk(mixed, tau);
  }
};

struct RandomPartition {
  Eigen::Index tau = 1;
  unsigned long long seed = 0;
  static constexpr bool variable = false;
  template <class V>
  BlockList blocks(const V& L) const {
    detail::require_block_size(tau);
    std::vector<Eigen::Index> order(static_cast<std::size_t>(L.size()));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    boost::random::mt19937_64 rng(seed);
    for (std::size_t i = order.size(); i > 1; --i) {
      boost::random::uniform_int_distribution<std::size_t> pick(0, i - 1);
      std::swap(order[i - 1], order[pick(rng)]);
    }
    return detail::chunk(order, tau);
  }
};

struct VariableBlocks {
  Eigen::Index tau = 1;
  static constexpr bool variable = true;
  template <class V>
  BlockList blocks(const V&) const {
    detail::require_block_size(tau);
    return {};
  }
};

}  // namespace convlab::optim
