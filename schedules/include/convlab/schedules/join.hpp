#pragma once
/// \file
/// Sequence of schedules (optax join_schedules): piece i runs on [b_{i−1}, b_i) and is
/// evaluated at t − b_{i−1}, so every piece has its own clock starting at 0.

#include <cstdint>
#include <utility>
#include <vector>

#include "detail/require.hpp"
#include "schedule.hpp"

namespace convlab::schedules {

struct Join {
  std::vector<AnySchedule> pieces;
  std::vector<std::int64_t> boundaries;
  double operator()(std::int64_t t) const {
    std::size_t i = 0;
    while (i < boundaries.size() && boundaries[i] <= t) ++i;
    return pieces[i](t - (i ? boundaries[i - 1] : 0));
  }
};

/// `boundaries` has one entry fewer than `pieces`, strictly increasing and > 0.
inline Join join(std::vector<AnySchedule> pieces, std::vector<std::int64_t> boundaries) {
  detail::require(!pieces.empty(), "join", "pieces.size()", pieces.size(), ">= 1");
  detail::require(boundaries.size() + 1 == pieces.size(), "join", "boundaries.size()", boundaries.size(),
                  "pieces.size() - 1");
  for (std::size_t i = 0; i < boundaries.size(); ++i)
    detail::require(boundaries[i] > (i ? boundaries[i - 1] : 0), "join", "boundaries[i]", boundaries[i],
                    "0 < boundaries strictly increasing");
  for (const auto& p : pieces) detail::require(static_cast<bool>(p), "join", "piece", "empty", "a callable");
  return Join{std::move(pieces), std::move(boundaries)};
}

}  // namespace convlab::schedules
