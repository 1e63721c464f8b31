#pragma once
/// \file
/// The spec's small convex federated problem (fedau.md (f)): N clients, d features, `samples`
/// rows each; client n has a sign sₙ = +1 for the first half and −1 for the second, features
/// a ~ N(0, I) + 0.5 sₙ·1, a label model wₙ ~ N(0, I) + 2 sₙ·1 and labels sign(aᵀwₙ + 0.5 ε);
/// loss: mean logistic + (μ/2)‖x‖². Participation pₙ = p_high for the first half, p_low for the
/// second — correlated with the data, which is what biases FedAvg.

#include <cstdint>
#include <vector>
#include <boost/random/normal_distribution.hpp>

#include <convlab/problems/logistic.hpp>
#include <convlab/core/random.hpp>

namespace convlab::federated {

struct HeterogeneousLogisticOptions {
  std::size_t clients = 20;
  Eigen::Index features = 5, samples = 50;
  double mu = 0.01, p_high = 0.9, p_low = 0.1;
  std::uint64_t seed = 1;
};

struct HeterogeneousLogistic {
  std::vector<problems::Logistic<double>> clients;
  std::vector<double> probabilities;
};

inline HeterogeneousLogistic make_heterogeneous_logistic(const HeterogeneousLogisticOptions& o) {
  convlab::detail::require(o.clients >= 2, "HeterogeneousLogisticOptions::clients", o.clients, ">= 2");
  convlab::detail::require(o.features >= 1 && o.samples >= 2, "HeterogeneousLogisticOptions::samples", o.samples, ">= 2 (and features >= 1)");
  Rng rng(o.seed);
  boost::random::normal_distribution<double> N(0, 1);
  HeterogeneousLogistic h;
  for (std::size_t c = 0; c < o.clients; ++c) {
    const double s = c < o.clients / 2 ? 1.0 : -1.0;
    VecX<double> w(o.features);
    for (auto& v : w) v = N(rng) + 2 * s;
    MatX<double> A(o.samples, o.features);
    VecX<double> y(o.samples);
    for (Eigen::Index i = 0; i < o.samples; ++i) {
      for (Eigen::Index k = 0; k < o.features; ++k) A(i, k) = N(rng) + 0.5 * s;
      y[i] = A.row(i).dot(w) + 0.5 * N(rng) > 0 ? 1 : -1;
    }
    h.clients.emplace_back(std::move(A), y, problems::LinearModelOptions{.l2 = o.mu});
    h.probabilities.push_back(c < o.clients / 2 ? o.p_high : o.p_low);
  }
  return h;
}

}  // namespace convlab::federated
