#include "federations.hpp"

#include <numeric>

#include <convlab/core/random.hpp>
#include <convlab/federated/heterogeneous_logistic.hpp>
#include <convlab/federated/partition.hpp>
#include <convlab/problems/data_io.hpp>

namespace convlab::experiments {

namespace cf = convlab::federated;

Federation<problems::Logistic<double>> spec_federation(const FederationData& d) {
  auto h = cf::make_heterogeneous_logistic({.clients = static_cast<std::size_t>(d.clients), .mu = d.mu, .seed = static_cast<std::uint64_t>(d.data_seed)});
  return {std::move(h.clients), std::move(h.probabilities), {}, {}};
}

Federation<problems::Multinomial<double>> digits_federation(const FederationData& d) {
  const auto ds = problems::load_libsvm(d.data);
  MatX<double> X = MatX<double>(ds.X) / 16.0;  // pixels 0..16
  const VecX<double>& y = ds.y;
  convlab::Rng rng(static_cast<std::uint64_t>(d.data_seed));
  std::vector<Eigen::Index> perm(static_cast<std::size_t>(X.rows()));
  std::iota(perm.begin(), perm.end(), 0);
  convlab::shuffle(perm.begin(), perm.end(), rng);
  const auto n_test = static_cast<Eigen::Index>(std::llround(d.test_fraction * static_cast<double>(X.rows())));
  const Eigen::Index n_train = X.rows() - n_test;
  MatX<double> Xtr(n_train, X.cols()), Xte(n_test, X.cols());
  VecX<double> ytr(n_train), yte(n_test);
  for (Eigen::Index i = 0; i < n_train; ++i) Xtr.row(i) = X.row(perm[static_cast<std::size_t>(i)]), ytr[i] = y[perm[static_cast<std::size_t>(i)]];
  for (Eigen::Index i = 0; i < n_test; ++i)
    Xte.row(i) = X.row(perm[static_cast<std::size_t>(n_train + i)]), yte[i] = y[perm[static_cast<std::size_t>(n_train + i)]];
  const auto part = cf::partition_by_label(ytr, static_cast<std::size_t>(d.clients), {.seed = static_cast<std::uint64_t>(d.data_seed) + 17});
  Federation<problems::Multinomial<double>> f;
  for (const auto& rows : part.rows) {
    MatX<double> A(static_cast<Eigen::Index>(rows.size()), X.cols());
    VecX<double> b(static_cast<Eigen::Index>(rows.size()));
    for (std::size_t k = 0; k < rows.size(); ++k) A.row(static_cast<Eigen::Index>(k)) = Xtr.row(rows[k]), b[static_cast<Eigen::Index>(k)] = ytr[rows[k]];
    f.clients.emplace_back(std::move(A), b, 10, problems::LinearModelOptions{.l2 = d.mu, .intercept = true});
  }
  f.p = part.probabilities;
  f.Xtest = std::move(Xte);
  f.ytest = std::move(yte);
  return f;
}

cf::ParticipationKind pattern_kind(const std::string& p) {
  if (p == "markov") return cf::ParticipationKind::Markov;
  if (p == "cyclic") return cf::ParticipationKind::Cyclic;
  if (p == "trace") return cf::ParticipationKind::Trace;
  return cf::ParticipationKind::Bernoulli;
}

cf::AggregatorKind method_kind(const std::string& m) {
  if (m == "average_participating") return cf::AggregatorKind::AverageParticipating;
  if (m == "average_all") return cf::AggregatorKind::AverageAll;
  if (m == "known_prob") return cf::AggregatorKind::KnownProbability;
  if (m == "mifa") return cf::AggregatorKind::Mifa;
  if (m == "fedvarp") return cf::AggregatorKind::FedVarp;
  return cf::AggregatorKind::FedAU;
}

}  // namespace convlab::experiments
