#pragma once
/// \file
/// A client's local training (spec fedau.md (a)): from the global model x, I steps of any optim/
/// optimizer on minibatches of the client's own finite-sum problem, returning Δ = y_I − x.
/// The minibatches come from a generator seeded by (run seed, round, client) alone, so the update
/// is the same on any thread or MPI rank.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <string_view>
#include <tuple>
#include <vector>

#include <convlab/optim/optimizer.hpp>
#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/fields.hpp>
#include <convlab/core/random.hpp>

#include "random_streams.hpp"

namespace convlab::federated {

struct LocalTraining {
  long long steps = 5;    ///< I >= 1
  long long batch = 16;   ///< minibatch size; 0 (or >= the client's samples) = full batch
  double lr = 0.05;       ///< local learning rate γ > 0

  static constexpr std::string_view type_name = "LocalTraining";
  static constexpr auto fields() {
    return std::tuple{
        field("steps", &LocalTraining::steps, ">= 1", [](long long v) { return v >= 1; }, "local steps I per round"),
        field("batch", &LocalTraining::batch, ">= 0", [](long long v) { return v >= 0; }, "minibatch size (0: full batch)"),
        field("lr", &LocalTraining::lr, "finite and > 0", [](double v) { return v > 0 && std::isfinite(v); }, "local learning rate γ")};
  }
  void validate() const { validate_fields(*this); }
};

/// Δ for one client in one round. `problem` is the client's data as a FiniteSum problem;
/// minibatches are drawn without replacement within a step.
template <problems::FiniteSum P, optim::Optimizer<double> O>
void local_update(const P& problem, const O& optimizer, const LocalTraining& lt, In<double> x, std::uint64_t seed, long long round,
                  std::size_t client, Out<double> delta) {
  const Eigen::Index n = problem.num_samples();
  convlab::detail::require_size(delta.size(), x.size(), "local_update: delta");
  VecX<double> y = x, g(x.size());
  auto state = optimizer.init(y);
  const bool full = lt.batch == 0 || lt.batch >= n;
  std::vector<Eigen::Index> idx(static_cast<std::size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  Rng rng(stream_key(seed, 0x636c69656e74ULL + client, static_cast<std::uint64_t>(round)));
  for (long long i = 0; i < lt.steps; ++i) {
    if (full) {
      problems::gradient(problem, y, g);
    } else {
      // Partial Fisher–Yates: the first `batch` entries become a uniform sample without replacement.
      for (long long k = 0; k < lt.batch; ++k) {
        boost::random::uniform_int_distribution<Eigen::Index> pick(k, n - 1);
        std::swap(idx[static_cast<std::size_t>(k)], idx[static_cast<std::size_t>(pick(rng))]);
      }
      std::vector<Eigen::Index> b(idx.begin(), idx.begin() + lt.batch);
      std::sort(b.begin(), b.end());
      problem.gradient(y, Batch(b), g);
    }
    if (!g.allFinite())
      throw std::runtime_error("local_update: client " + std::to_string(client) + " produced a non-finite gradient in round " + std::to_string(round) +
                               " (local step " + std::to_string(i) + "); lower the local learning rate");
    optimizer.step(y, g, state, lt.lr);
  }
  delta = y - x;
}

}  // namespace convlab::federated
