#pragma once
/// \file
/// Non-iid client data and participation rates correlated with it (spec fedau.md (d)):
///   1. each client draws label proportions πₙ ~ Dirichlet(α_d·1_L); the samples of each label
///      (in a seeded random order) are cut into consecutive blocks with sizes proportional to the
///      clients' πₙ[label] (normalized over clients), so every sample goes to exactly one client;
///      a client left empty takes one sample from the largest client (ours: the spec's split can
///      leave clients without data, and an empty client has no objective);
///   2. one global m ~ Dirichlet(α_p·1_L);
///   3. pₙ = min(1, max(p_min, mean_p·L·Σ_label hₙ[label]·m[label])), hₙ the client's actual label
///      histogram — clamped to ≤ 1 (the official code does not clamp).

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::federated {

struct LabelPartition {
  std::vector<std::vector<Eigen::Index>> rows;  ///< rows of each client, ascending
  std::vector<double> probabilities;            ///< pₙ
};

struct PartitionOptions {
  double alpha_data = 0.1;    ///< α_d > 0
  double alpha_participation = 0.1;  ///< α_p > 0
  double mean_p = 0.1;        ///< in (0, 1]
  double p_min = 0.02;        ///< in (0, 1]
  std::uint64_t seed = 1;
};

namespace detail {
inline std::vector<double> dirichlet(std::size_t L, double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> G(alpha, 1.0);
  std::vector<double> v(L);
  double s = 0;
  for (auto& x : v) s += (x = G(rng));
  if (!(s > 0)) {  // every draw underflowed (tiny α): put the mass on one uniform label
    std::fill(v.begin(), v.end(), 0.0);
    v[std::uniform_int_distribution<std::size_t>(0, L - 1)(rng)] = 1;
    return v;
  }
  for (auto& x : v) x /= s;
  return v;
}
}  // namespace detail

/// `labels` in 0..L−1 (L = max + 1).
inline LabelPartition partition_by_label(const VecX<double>& labels, std::size_t clients, const PartitionOptions& o) {
  convlab::detail::require(clients >= 1, "partition_by_label: clients", clients, ">= 1");
  convlab::detail::require(o.alpha_data > 0, "PartitionOptions::alpha_data", o.alpha_data, "> 0");
  convlab::detail::require(o.alpha_participation > 0, "PartitionOptions::alpha_participation", o.alpha_participation, "> 0");
  convlab::detail::require(o.mean_p > 0 && o.mean_p <= 1, "PartitionOptions::mean_p", o.mean_p, "0 < mean_p <= 1");
  convlab::detail::require(o.p_min > 0 && o.p_min <= 1, "PartitionOptions::p_min", o.p_min, "0 < p_min <= 1");
  const Eigen::Index n = labels.size();
  if (static_cast<std::size_t>(n) < clients)
    throw InvalidArgument("partition_by_label: " + std::to_string(n) + " samples cannot give each of " + std::to_string(clients) + " clients one");
  std::size_t L = 0;
  for (Eigen::Index i = 0; i < n; ++i) {
    const double v = labels[i];
    if (!(v >= 0 && v == std::floor(v))) throw InvalidArgument("partition_by_label: label of row " + std::to_string(i) + " is not a class index 0, 1, …");
    L = std::max(L, static_cast<std::size_t>(v) + 1);
  }
  std::mt19937_64 rng(o.seed);
  std::vector<std::vector<double>> pi(clients);
  for (auto& p : pi) p = detail::dirichlet(L, o.alpha_data, rng);
  std::vector<std::vector<Eigen::Index>> by_label(L);
  for (Eigen::Index i = 0; i < n; ++i) by_label[static_cast<std::size_t>(labels[i])].push_back(i);
  LabelPartition out;
  out.rows.resize(clients);
  for (std::size_t l = 0; l < L; ++l) {
    auto& rows = by_label[l];
    std::shuffle(rows.begin(), rows.end(), rng);
    double total = 0;
    for (std::size_t c = 0; c < clients; ++c) total += pi[c][l];
    // Block boundaries from the cumulative normalized proportions.
    double cum = 0;
    std::size_t start = 0;
    for (std::size_t c = 0; c < clients; ++c) {
      cum += total > 0 ? pi[c][l] / total : 1.0 / static_cast<double>(clients);
      const std::size_t end = c + 1 == clients ? rows.size() : std::min(rows.size(), static_cast<std::size_t>(std::llround(cum * static_cast<double>(rows.size()))));
      for (std::size_t k = start; k < end; ++k) out.rows[c].push_back(rows[k]);
      start = std::max(start, end);
    }
  }
  for (std::size_t c = 0; c < clients; ++c) {
    if (!out.rows[c].empty()) continue;
    const auto largest = std::max_element(out.rows.begin(), out.rows.end(), [](const auto& a, const auto& b) { return a.size() < b.size(); });
    out.rows[c].push_back(largest->back());
    largest->pop_back();
  }
  for (auto& r : out.rows) std::sort(r.begin(), r.end());
  const auto m = detail::dirichlet(L, o.alpha_participation, rng);
  out.probabilities.resize(clients);
  for (std::size_t c = 0; c < clients; ++c) {
    double s = 0;
    for (const auto i : out.rows[c]) s += m[static_cast<std::size_t>(labels[i])];
    s /= static_cast<double>(out.rows[c].size());
    out.probabilities[c] = std::min(1.0, std::max(o.p_min, o.mean_p * static_cast<double>(L) * s));
  }
  return out;
}

}  // namespace convlab::federated
