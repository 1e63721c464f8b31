#pragma once
// What `convlab predict` needs besides the coefficients x to apply a fitted model to new rows:
// summary.json's "model" entry (docs/predict.md). `convlab fit` and federated runs write it.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <convlab/problems/preprocessing.hpp>

#include "fit/network_model.hpp"

namespace convlab::experiments {

struct ModelDescription {
  std::string problem;   // least_squares | logistic | multinomial | quantile | ordinal | mlp | cnn
  std::string format;    // csv | libsvm: new rows come in the same format
  std::string response;  // csv: the response column's name
  bool intercept = false, zero_based = false;
  Eigen::Index features = 0, outputs = 1;  // x is (features [+ 1]) × outputs, column-major (networks: their parameters)
  std::vector<std::string> feature_names;  // csv: the fitted columns, in the order of x
  std::vector<double> taus;                // quantile: the level of each output
  std::optional<problems::Standardization> standardization;  // the training rows' statistics
  std::optional<NetworkSpec> network;                        // mlp | cnn: the architecture x belongs to
};

/// The "model" entry of summary.json.
inline nlohmann::json model_json(const ModelDescription& d) {
  nlohmann::json m{{"problem", d.problem}, {"format", d.format}, {"intercept", d.intercept}, {"features", d.features}, {"outputs", d.outputs}};
  if (d.format == "csv") m["response"] = d.response, m["feature_names"] = d.feature_names;
  else m["zero_based"] = d.zero_based;
  if (d.problem == "quantile") m["taus"] = d.taus;
  if (const auto& n = d.network)
    m["network"] = {{"hidden", n->hidden}, {"channels", n->channels}, {"activation", n->activation}, {"loss", n->loss}};
  if (const auto& t = d.standardization)
    m["standardization"] = {{"center", std::vector<double>(t->center.data(), t->center.data() + t->center.size())},
                            {"scale", std::vector<double>(t->scale.data(), t->scale.data() + t->scale.size())}};
  return m;
}

}  // namespace convlab::experiments
