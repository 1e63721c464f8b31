#pragma once
/// \file
/// Server aggregators (spec fedau.md (c)): the update A_t from the participants' local updates
/// Δₙ, n ∈ S_t (columns of `deltas`, in increasing client order — the summation order, fixed so
/// that every backend gives the same bits).
///
/// | kind | A_t | extra state |
/// |---|---|---|
/// | AverageParticipating | (1/|S_t|) Σ_{S_t} Δₙ; 0 if S_t = ∅ | — |
/// | AverageAll | (1/N) Σ_{S_t} Δₙ | — |
/// | KnownProbability | (1/N) Σ_{S_t} Δₙ/pₙ (the true pₙ) | — |
/// | FedAU | (1/N) Σ_{S_t} ωₙᵗ Δₙ, ω from IntervalWeightEstimator (cutoff K) | 3 integers per client |
/// | Mifa | mₙ ← Δₙ for n ∈ S_t, then (1/N) Σ_all mₙ (mₙ = 0 before a first participation) | d × N |
/// | FedVarp | ȳ + (1/|S_t|) Σ_{S_t}(Δₙ − mₙ), then mₙ ← Δₙ, ȳ ← (1/N) Σ mₙ; 0 if S_t = ∅ (as the official code: ȳ is skipped, not applied, in an empty round) | d × N + d |
///
/// Divided by N, not by |S_t|, wherever the spec says so. No NaN from an empty round.

#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

#include "weight_estimator.hpp"

namespace convlab::federated {

enum class AggregatorKind { AverageParticipating, AverageAll, KnownProbability, FedAU, Mifa, FedVarp };

inline const char* aggregator_name(AggregatorKind k) {
  switch (k) {
    case AggregatorKind::AverageParticipating: return "average_participating";
    case AggregatorKind::AverageAll: return "average_all";
    case AggregatorKind::KnownProbability: return "known_prob";
    case AggregatorKind::FedAU: return "fedau";
    case AggregatorKind::Mifa: return "mifa";
    case AggregatorKind::FedVarp: return "fedvarp";
  }
  return "?";
}

/// Every aggregator's name, in the order of AggregatorKind.
inline std::vector<std::string> aggregator_names() {
  std::vector<std::string> names;
  for (const auto k : {AggregatorKind::AverageParticipating, AggregatorKind::AverageAll, AggregatorKind::KnownProbability, AggregatorKind::FedAU,
                       AggregatorKind::Mifa, AggregatorKind::FedVarp})
    names.emplace_back(aggregator_name(k));
  return names;
}

/// The kind named `name` (an aggregator_name); InvalidArgument listing the names otherwise.
inline AggregatorKind aggregator_kind(const std::string& name) {
  const auto names = aggregator_names();
  std::string list;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (name == names[k]) return static_cast<AggregatorKind>(k);
    list += (list.empty() ? "" : " | ") + names[k];
  }
  throw InvalidArgument("aggregator '" + name + "' is not one of " + list);
}

class Aggregator {
 public:
  /// `probabilities` is needed (one per client, in (0, 1]) by KnownProbability only;
  /// `cutoff` by FedAU only.
  Aggregator(AggregatorKind kind, std::size_t clients, Eigen::Index dim, std::vector<double> probabilities = {},
             long long cutoff = IntervalWeightEstimator::kNoCutoff)
      : kind_(kind), N_(clients), d_(dim), p_(std::move(probabilities)), estimator_(clients, cutoff) {
    convlab::detail::require(clients >= 1, "Aggregator: clients", clients, ">= 1");
    convlab::detail::require(dim >= 1, "Aggregator: dimension", dim, ">= 1");
    if (kind == AggregatorKind::KnownProbability) {
      if (p_.size() != clients) throw InvalidArgument("Aggregator known_prob: needs one probability per client");
      for (double v : p_)
        if (!(v > 0 && v <= 1)) throw InvalidArgument("Aggregator known_prob: probabilities must lie in (0, 1]");
    }
    if (kind == AggregatorKind::Mifa || kind == AggregatorKind::FedVarp) memory_ = MatX<double>::Zero(d_, static_cast<Eigen::Index>(N_));
    if (kind == AggregatorKind::FedVarp) mean_memory_ = VecX<double>::Zero(d_);
  }
  AggregatorKind kind() const { return kind_; }

  /// A_t from the participants (sorted client indices) and their updates (d × |S_t|); also
  /// advances the method's state (estimator, memory) past round t.
  void aggregate(const std::vector<char>& q, const std::vector<std::size_t>& participants, const MatX<double>& deltas, VecX<double>& A) {
    if (q.size() != N_) throw InvalidArgument("Aggregator: " + std::to_string(q.size()) + " indicators for " + std::to_string(N_) + " clients");
    if (deltas.rows() != d_ || deltas.cols() != static_cast<Eigen::Index>(participants.size()))
      throw InvalidArgument("Aggregator: updates are " + std::to_string(deltas.rows()) + " x " + std::to_string(deltas.cols()) + ", expected " +
                            std::to_string(d_) + " x " + std::to_string(participants.size()));
    A = VecX<double>::Zero(d_);
    const auto S = static_cast<Eigen::Index>(participants.size());
    const double invN = 1.0 / static_cast<double>(N_);
    switch (kind_) {
      case AggregatorKind::AverageParticipating:
        for (Eigen::Index j = 0; j < S; ++j) A += deltas.col(j);
        if (S > 0) A /= static_cast<double>(S);
        break;
      case AggregatorKind::AverageAll:
        for (Eigen::Index j = 0; j < S; ++j) A += deltas.col(j);
        A *= invN;
        break;
      case AggregatorKind::KnownProbability:
        for (Eigen::Index j = 0; j < S; ++j) A += deltas.col(j) / p_[participants[static_cast<std::size_t>(j)]];
        A *= invN;
        break;
      case AggregatorKind::FedAU:
        for (Eigen::Index j = 0; j < S; ++j) A += estimator_.weight(participants[static_cast<std::size_t>(j)]) * deltas.col(j);
        A *= invN;
        estimator_.update(q);
        break;
      case AggregatorKind::Mifa:
        for (Eigen::Index j = 0; j < S; ++j) memory_.col(static_cast<Eigen::Index>(participants[static_cast<std::size_t>(j)])) = deltas.col(j);
        for (Eigen::Index n = 0; n < memory_.cols(); ++n) A += memory_.col(n);
        A *= invN;
        break;
      case AggregatorKind::FedVarp:
        if (S == 0) break;
        for (Eigen::Index j = 0; j < S; ++j) A += deltas.col(j) - memory_.col(static_cast<Eigen::Index>(participants[static_cast<std::size_t>(j)]));
        A = mean_memory_ + A / static_cast<double>(S);
        for (Eigen::Index j = 0; j < S; ++j) memory_.col(static_cast<Eigen::Index>(participants[static_cast<std::size_t>(j)])) = deltas.col(j);
        mean_memory_.setZero();
        for (Eigen::Index n = 0; n < memory_.cols(); ++n) mean_memory_ += memory_.col(n);
        mean_memory_ *= invN;
        break;
    }
    // The estimator also follows participation for the other kinds (cheap), so weights can be
    // reported for any method.
    if (kind_ != AggregatorKind::FedAU) estimator_.update(q);
  }

  /// FedAU's current weight ωₙ (the estimator runs for every kind).
  double weight(std::size_t n) const { return estimator_.weight(n); }
  const IntervalWeightEstimator& estimator() const { return estimator_; }

  /// Bytes of the method's own state (FedAU: the estimator; MIFA/FedVarp: the update memory).
  std::size_t state_bytes() const {
    switch (kind_) {
      case AggregatorKind::FedAU: return estimator_.state_bytes();
      case AggregatorKind::Mifa: return static_cast<std::size_t>(memory_.size()) * sizeof(double);
      case AggregatorKind::FedVarp: return static_cast<std::size_t>(memory_.size() + mean_memory_.size()) * sizeof(double);
      default: return 0;
    }
  }

  /// Checkpoint: integers (estimator) and doubles (memory, mean memory).
  void save(std::vector<long long>& ints, std::vector<double>& reals) const {
    ints = estimator_.state();
    reals.assign(memory_.data(), memory_.data() + memory_.size());
    reals.insert(reals.end(), mean_memory_.data(), mean_memory_.data() + mean_memory_.size());
  }
  void restore(const std::vector<long long>& ints, const std::vector<double>& reals) {
    estimator_.restore(ints);
    if (reals.size() != static_cast<std::size_t>(memory_.size() + mean_memory_.size()))
      throw InvalidArgument("Aggregator::restore: the checkpoint's memory does not match this method and size");
    std::copy(reals.begin(), reals.begin() + memory_.size(), memory_.data());
    std::copy(reals.begin() + memory_.size(), reals.end(), mean_memory_.data());
  }

 private:
  AggregatorKind kind_;
  std::size_t N_;
  Eigen::Index d_;
  std::vector<double> p_;
  IntervalWeightEstimator estimator_;
  MatX<double> memory_;
  VecX<double> mean_memory_;
};

}  // namespace convlab::federated
