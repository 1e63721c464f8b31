#pragma once
/// \file
/// FedAU's online aggregation weights (spec fedau.md (b)): per client, the mean length of the
/// intervals between participations, from the history before the current round only.
///
/// State per client: cₙ (rounds since the current interval began), Sₙ (sum of recorded interval
/// lengths), Mₙ (their number) — O(1) per client (the official code keeps the whole interval
/// list; the running sum gives the same mean). Round t:
///   1. weight ωₙᵗ = Sₙ/Mₙ if Mₙ > 0, else 1 (a first participation is aggregated with weight 1);
///   2. after aggregation, `update(q)`: a participant records the interval cₙ + 1 and resets cₙ;
///      a non-participant increments cₙ and, once cₙ ≥ K, records K and resets (the cutoff).
/// Every interval lies in [1, K], so 1 ≤ ω ≤ K; K = 1 gives ω ≡ 1 (FedAvg over all clients).
/// Under Bernoulli(p) the intervals are min(Geometric(p), K): ω → (1 − (1−p)ᴷ)/p, → 1/p as K → ∞.

#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include <convlab/core/errors.hpp>

namespace convlab::federated {

class IntervalWeightEstimator {
 public:
  static constexpr long long kNoCutoff = std::numeric_limits<long long>::max();

  /// `cutoff` K >= 1; kNoCutoff for K = ∞.
  IntervalWeightEstimator(std::size_t clients, long long cutoff = kNoCutoff)
      : K_(cutoff), c_(clients, 0), S_(clients, 0), M_(clients, 0) {
    convlab::detail::require(cutoff >= 1, "IntervalWeightEstimator: cutoff K", cutoff, ">= 1");
  }
  std::size_t clients() const { return c_.size(); }
  long long cutoff() const { return K_; }

  /// ωₙ for the current round (history before it only).
  double weight(std::size_t n) const { return M_[n] > 0 ? static_cast<double>(S_[n]) / static_cast<double>(M_[n]) : 1.0; }

  /// Records round t's participation (call after aggregating with `weight`).
  void update(const std::vector<char>& q) {
    if (q.size() != c_.size())
      throw InvalidArgument("IntervalWeightEstimator::update: " + std::to_string(q.size()) + " indicators for " + std::to_string(c_.size()) +
                            " clients");
    for (std::size_t n = 0; n < c_.size(); ++n) {
      if (q[n]) {
        record(n, c_[n] + 1);
      } else if (++c_[n] >= K_) {
        record(n, K_);
      }
    }
  }

  /// (cₙ, Sₙ, Mₙ) for every client, for checkpoints.
  std::vector<long long> state() const {
    std::vector<long long> s;
    s.reserve(3 * c_.size());
    for (std::size_t n = 0; n < c_.size(); ++n) s.push_back(c_[n]), s.push_back(S_[n]), s.push_back(M_[n]);
    return s;
  }
  void restore(const std::vector<long long>& s) {
    if (s.size() != 3 * c_.size()) throw InvalidArgument("IntervalWeightEstimator::restore: state size does not match the clients");
    for (std::size_t n = 0; n < c_.size(); ++n) c_[n] = s[3 * n], S_[n] = s[3 * n + 1], M_[n] = s[3 * n + 2];
  }
  /// Bytes of state: three integers per client.
  std::size_t state_bytes() const { return 3 * c_.size() * sizeof(long long); }

 private:
  void record(std::size_t n, long long length) {
    S_[n] += length;
    ++M_[n];
    c_[n] = 0;
  }
  long long K_;
  std::vector<long long> c_, S_, M_;
};

/// The weight ω tends to for a client taking part in independent rounds with probability p:
/// (1 − (1 − p)ᴷ)/p, and 1/p without a cutoff (the header's last paragraph).
inline double expected_weight(double p, long long cutoff = IntervalWeightEstimator::kNoCutoff) {
  return cutoff == IntervalWeightEstimator::kNoCutoff ? 1 / p : (1 - std::pow(1 - p, static_cast<double>(cutoff))) / p;
}

}  // namespace convlab::federated
