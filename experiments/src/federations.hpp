#pragma once
// The federations the FedAU experiments and `convlab fit` build: the spec's heterogeneous
// logistic clients (fedau.md (f)) and digits split non-iid by label (spec (d)); plus the names
// of participation patterns and aggregators used in configs.
#include <functional>
#include <string>
#include <vector>

#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>

namespace convlab::experiments {

struct FederationData {
  long long clients = 20;
  double mu = 0.01, test_fraction = 0.2;
  long long data_seed = 1;
  std::string data;  // digits: the LIBSVM file
};

/// Client problems, their participation probabilities pₙ and (digits) a test set.
template <class P>
struct Federation {
  std::vector<P> clients;
  std::vector<double> p;
  MatX<double> Xtest;
  VecX<double> ytest;
};

Federation<problems::Logistic<double>> spec_federation(const FederationData& d);
/// Pixels scaled to [0, 1]; a seeded test split; the training rows partitioned over the clients
/// (Dirichlet 0.1 labels, pₙ from the labels); multinomial logistic with intercepts, K = 10.
Federation<problems::Multinomial<double>> digits_federation(const FederationData& d);

/// Test accuracy of a model on the federation's test split: empty for problems without a test
/// split or class probabilities (the spec problem).
template <class P>
std::function<double(const VecX<double>&)> test_accuracy(const Federation<P>& fed) {
  if constexpr (requires { fed.clients.front().predict_proba(fed.Xtest, VecX<double>()); }) {
    if (fed.Xtest.rows() == 0) return {};
    return [&fed](const VecX<double>& x) {
      const MatX<double> P_ = fed.clients.front().predict_proba(fed.Xtest, x);
      double correct = 0;
      for (Eigen::Index i = 0; i < P_.rows(); ++i) {
        Eigen::Index arg = 0;
        P_.row(i).maxCoeff(&arg);
        correct += static_cast<double>(arg) == fed.ytest[i];
      }
      return correct / static_cast<double>(P_.rows());
    };
  } else {
    return {};
  }
}

/// "bernoulli" | "markov" | "cyclic" | "trace".
federated::ParticipationKind pattern_kind(const std::string& name);
/// "average_participating" | "average_all" | "known_prob" | "fedau" | "fedau_k" | "mifa" | "fedvarp".
federated::AggregatorKind method_kind(const std::string& name);

}  // namespace convlab::experiments
