#pragma once
// The federations the FedAU experiments and `convlab fit` build: the spec's heterogeneous
// logistic clients (fedau.md (f)) and digits split non-iid by label (spec (d)); plus the names
// of participation patterns and aggregators used in configs.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>

#include "fit/model_description.hpp"

namespace convlab::experiments {

struct FederationData {
  long long clients = 20;
  double mu = 0.01, test_fraction = 0.2;
  long long data_seed = 1;
  std::string data;  // digits and the data problems: the data file
  // The data problems (least_squares, logistic, multinomial; docs/federated.md):
  std::string format = "csv", response = "y", test_data{};
  std::vector<std::string> features{};
  bool zero_based = false, standardize = false, intercept = false;
  long long num_classes = 0;
  std::string partition = "iid";  // iid | dirichlet | shards | column
  double alpha = 0.1;             // dirichlet
  long long shards_per_client = 2;
  std::string partition_column{};
  // Participation rates pₙ: one rate, one per client, or the paper's label formula.
  double participation_rate = 0;
  std::vector<double> rates{};
  std::string rates_file{};  // a CSV with a column `rate` (and `id` to match column-partition clients)
  bool label_rates = false;
  double alpha_participation = 0.1, mean_p = 0.1, p_min = 0.02;
  NetworkSpec network{};  // problem = "mlp" | "cnn": the clients' architecture
};

/// Client problems, their participation probabilities pₙ and (digits, data problems) a test set.
template <class P>
struct Federation {
  std::vector<P> clients;
  std::vector<double> p;
  std::shared_ptr<const P> test{};  // the test rows as a problem without penalty (null: none)
  MatX<double> label_histogram{};    // clients × classes (classification), else empty
  std::vector<double> client_ids{};  // partition = "column": each client's id
  ModelDescription model{};          // the data problems: what `convlab predict` needs (else problem empty)
};

/// A federation over a user's data file: a seeded test split (or `test_data`), standardization
/// from the training rows of all clients together, the configured partition and rates. The
/// problem type is P's: LeastSquares, Logistic or Multinomial over dense data, or (built with
/// LibTorch) NetworkProblem with `network`'s architecture, each client its own copy of the
/// network. Errors name the config key or the data file.
template <class P>
Federation<P> data_federation(const FederationData& d);

Federation<problems::Logistic<double>> spec_federation(const FederationData& d);
/// Pixels scaled to [0, 1]; a seeded test split; the training rows partitioned over the clients
/// (Dirichlet 0.1 labels, pₙ from the labels); multinomial logistic with intercepts, K = 10.
Federation<problems::Multinomial<double>> digits_federation(const FederationData& d);

template <class P>
bool classifies(const P& p) {
  if constexpr (requires { p.classifies(); }) return p.classifies();  // a network: by its loss
  else return true;
}

/// Test accuracy of a model on the federation's test rows: empty without test rows or for
/// least squares.
template <class P>
std::function<double(const VecX<double>&)> test_accuracy(const Federation<P>& fed) {
  if constexpr (requires(const VecX<double>& x) { fed.test->accuracy(x); }) {
    if (fed.test && classifies(*fed.test)) return [t = fed.test](const VecX<double>& x) { return t->accuracy(x); };
  }
  return {};
}

/// The model's mean loss on the test rows, without penalty: empty without test rows.
template <class P>
std::function<double(const VecX<double>&)> test_loss(const Federation<P>& fed) {
  if (!fed.test) return {};
  return [t = fed.test](const VecX<double>& x) { return t->value(x); };
}

}  // namespace convlab::experiments
