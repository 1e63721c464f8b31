#pragma once
/// \file
/// How rows are split over clients, and participation rates derived from the labels.
///
/// | partition | rule |
/// |---|---|
/// | `partition_iid` | a seeded permutation cut into blocks whose sizes differ by at most one |
/// | `partition_by_label` (Dirichlet) | below; the FedAU paper's split, with its rates |
/// | `partition_shards` | FedAvg's pathological non-iid split (McMahan et al., 2017, §3): rows sorted by label, cut into clients·k shards, k random shards per client |
/// | `partition_by_column` | a value per row names its client |
///
/// Dirichlet split and participation rates correlated with it (spec fedau.md (d)):
///   1. each client draws label proportions πₙ ~ Dirichlet(α_d·1_L); the samples of each label
///      (in a seeded random order) are cut into consecutive blocks with sizes proportional to the
///      clients' πₙ[label] (normalized over clients), so every sample goes to exactly one client;
///      a client left empty takes one sample from the largest client (ours: the spec's split can
///      leave clients without data, and an empty client has no objective);
///   2. one global m ~ Dirichlet(α_p·1_L);
///   3. pₙ = min(1, max(p_min, mean_p·L·Σ_label hₙ[label]·m[label])), hₙ the client's actual label
///      histogram — clamped to ≤ 1 (the official code does not clamp).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>
#include <boost/random/gamma_distribution.hpp>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/random.hpp>

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
inline std::vector<double> dirichlet(std::size_t L, double alpha, Rng& rng) {
  boost::random::gamma_distribution<double> G(alpha, 1.0);
  std::vector<double> v(L);
  double s = 0;
  for (auto& x : v) s += (x = G(rng));
  if (!(s > 0)) {  // every draw underflowed (tiny α): put the mass on one uniform label
    std::fill(v.begin(), v.end(), 0.0);
    v[boost::random::uniform_int_distribution<std::size_t>(0, L - 1)(rng)] = 1;
    return v;
  }
  for (auto& x : v) x /= s;
  return v;
}
}  // namespace detail

namespace detail {
// L = max label + 1; every label must be a class index.
inline std::size_t label_count(const VecX<double>& labels, const char* who) {
  std::size_t L = 0;
  for (Eigen::Index i = 0; i < labels.size(); ++i) {
    const double v = labels[i];
    if (!(v >= 0 && v == std::floor(v) && v < 1e9))
      throw InvalidArgument(std::string(who) + ": label of row " + std::to_string(i) + " is not a class index 0, 1, …");
    L = std::max(L, static_cast<std::size_t>(v) + 1);
  }
  return L;
}

inline void require_rows_for_clients(Eigen::Index n, std::size_t clients, const char* who) {
  convlab::detail::require(clients >= 1, std::string(who) + ": clients", clients, ">= 1");
  if (static_cast<std::size_t>(n) < clients)
    throw InvalidArgument(std::string(who) + ": " + std::to_string(n) + " samples cannot give each of " + std::to_string(clients) + " clients one");
}

// Step 3 of the Dirichlet split: m ~ Dirichlet(α_p), pₙ from each client's label histogram.
inline std::vector<double> label_probabilities(const VecX<double>& labels, std::size_t L, const std::vector<std::vector<Eigen::Index>>& rows,
                                               const PartitionOptions& o, Rng& rng) {
  const auto m = dirichlet(L, o.alpha_participation, rng);
  std::vector<double> p(rows.size());
  for (std::size_t c = 0; c < rows.size(); ++c) {
    double s = 0;
    for (const auto i : rows[c]) s += m[static_cast<std::size_t>(labels[i])];
    s /= static_cast<double>(rows[c].size());
    p[c] = std::min(1.0, std::max(o.p_min, o.mean_p * static_cast<double>(L) * s));
  }
  return p;
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
  detail::require_rows_for_clients(n, clients, "partition_by_label");
  const std::size_t L = detail::label_count(labels, "partition_by_label");
  Rng rng(o.seed);
  std::vector<std::vector<double>> pi(clients);
  for (auto& p : pi) p = detail::dirichlet(L, o.alpha_data, rng);
  std::vector<std::vector<Eigen::Index>> by_label(L);
  for (Eigen::Index i = 0; i < n; ++i) by_label[static_cast<std::size_t>(labels[i])].push_back(i);
  LabelPartition out;
  out.rows.resize(clients);
  for (std::size_t l = 0; l < L; ++l) {
    auto& rows = by_label[l];
    convlab::shuffle(rows.begin(), rows.end(), rng);
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
  out.probabilities = detail::label_probabilities(labels, L, out.rows, o, rng);
  return out;
}

/// The paper's label-derived rates (step 3 above) for any split `rows` of `labels`: one
/// m ~ Dirichlet(α_p) drawn from `o.seed`. Only alpha_participation, mean_p, p_min and seed are used.
inline std::vector<double> label_probabilities(const VecX<double>& labels, const std::vector<std::vector<Eigen::Index>>& rows,
                                               const PartitionOptions& o) {
  convlab::detail::require(o.alpha_participation > 0, "PartitionOptions::alpha_participation", o.alpha_participation, "> 0");
  convlab::detail::require(o.mean_p > 0 && o.mean_p <= 1, "PartitionOptions::mean_p", o.mean_p, "0 < mean_p <= 1");
  convlab::detail::require(o.p_min > 0 && o.p_min <= 1, "PartitionOptions::p_min", o.p_min, "0 < p_min <= 1");
  for (std::size_t c = 0; c < rows.size(); ++c)
    if (rows[c].empty()) throw InvalidArgument("label_probabilities: client " + std::to_string(c) + " has no rows");
  Rng rng(o.seed);
  return detail::label_probabilities(labels, detail::label_count(labels, "label_probabilities"), rows, o, rng);
}

/// Rows of each client, each list ascending.
using ClientRows = std::vector<std::vector<Eigen::Index>>;

/// iid: rows 0..n−1 in a seeded random order, cut into `clients` consecutive blocks; the first
/// n mod clients clients get one row more.
inline ClientRows partition_iid(Eigen::Index n, std::size_t clients, std::uint64_t seed) {
  detail::require_rows_for_clients(n, clients, "partition_iid");
  std::vector<Eigen::Index> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  Rng rng(seed);
  convlab::shuffle(order.begin(), order.end(), rng);
  ClientRows out(clients);
  const std::size_t base = order.size() / clients, extra = order.size() % clients;
  std::size_t start = 0;
  for (std::size_t c = 0; c < clients; ++c) {
    const std::size_t size = base + (c < extra ? 1 : 0);
    out[c].assign(order.begin() + static_cast<std::ptrdiff_t>(start), order.begin() + static_cast<std::ptrdiff_t>(start + size));
    std::sort(out[c].begin(), out[c].end());
    start += size;
  }
  return out;
}

/// Shards (McMahan et al., 2017, §3): rows sorted by label (within a label in seeded random
/// order), cut into clients·shards_per_client consecutive shards whose sizes differ by at most
/// one; a seeded permutation of the shards deals shards_per_client to each client. A client then
/// holds at most shards_per_client labels (more only where a shard straddles two labels).
inline ClientRows partition_shards(const VecX<double>& labels, std::size_t clients, std::size_t shards_per_client, std::uint64_t seed) {
  convlab::detail::require(shards_per_client >= 1, "partition_shards: shards_per_client", shards_per_client, ">= 1");
  const std::size_t shards = clients * shards_per_client;
  detail::require_rows_for_clients(labels.size(), shards, "partition_shards (clients · shards_per_client)");
  const std::size_t L = detail::label_count(labels, "partition_shards");
  Rng rng(seed);
  std::vector<std::vector<Eigen::Index>> by_label(L);
  for (Eigen::Index i = 0; i < labels.size(); ++i) by_label[static_cast<std::size_t>(labels[i])].push_back(i);
  std::vector<Eigen::Index> sorted;
  for (auto& rows : by_label) {
    convlab::shuffle(rows.begin(), rows.end(), rng);
    sorted.insert(sorted.end(), rows.begin(), rows.end());
  }
  std::vector<std::size_t> deal(shards);
  std::iota(deal.begin(), deal.end(), std::size_t{0});
  convlab::shuffle(deal.begin(), deal.end(), rng);
  const std::size_t base = sorted.size() / shards, extra = sorted.size() % shards;
  const auto shard_start = [&](std::size_t s) { return s * base + std::min(s, extra); };
  ClientRows out(clients);
  for (std::size_t k = 0; k < shards; ++k) {
    const std::size_t s = deal[k];
    auto& rows = out[k / shards_per_client];
    rows.insert(rows.end(), sorted.begin() + static_cast<std::ptrdiff_t>(shard_start(s)), sorted.begin() + static_cast<std::ptrdiff_t>(shard_start(s + 1)));
  }
  for (auto& r : out) std::sort(r.begin(), r.end());
  return out;
}

/// A value per row names its client: the distinct values, ascending, are clients 0, 1, …;
/// `ids_out` (if given) receives them.
inline ClientRows partition_by_column(const VecX<double>& ids, std::vector<double>* ids_out = nullptr) {
  if (ids.size() == 0) throw InvalidArgument("partition_by_column: no rows");
  std::vector<double> values(ids.data(), ids.data() + ids.size());
  for (Eigen::Index i = 0; i < ids.size(); ++i)
    if (!std::isfinite(ids[i])) throw InvalidArgument("partition_by_column: the client id of row " + std::to_string(i) + " is not finite");
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  ClientRows out(values.size());
  for (Eigen::Index i = 0; i < ids.size(); ++i)
    out[static_cast<std::size_t>(std::lower_bound(values.begin(), values.end(), ids[i]) - values.begin())].push_back(i);
  if (ids_out) *ids_out = std::move(values);
  return out;
}

}  // namespace convlab::federated
