#include "fit/predict.hpp"

#include <fmt/core.h>

#include <cmath>
#include <filesystem>
#include <optional>

#include <convlab/solvers/presto.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/problems/least_squares.hpp>
#include <convlab/problems/logistic.hpp>
#include <convlab/problems/multinomial.hpp>
#include <convlab/problems/ordinal.hpp>
#include <convlab/problems/preprocessing.hpp>
#include <convlab/problems/quantile_loss.hpp>
#include <convlab/quantile/monotone.hpp>

#include "fit/model_description.hpp"
#include "fit/run_folder.hpp"

namespace convlab::experiments {
namespace {

namespace cp = convlab::problems;

/// What summary.json's "model" says, with the coefficients x it was checked against.
struct Model : ModelDescription {
  VecX<double> x;
};

Model read_model(const fs::path& run_dir) {
  const fs::path file = run_dir / "summary.json";
  const nlohmann::json j = read_summary(file);
  if (!j.contains("model"))
    throw ConfigError(file.string() + ": no \"model\" entry (only `convlab fit` run folders of version 0.1 with predict "
                                      "support have one; fit again)");
  try {
    const auto& m = j.at("model");
    Model model;
    model.problem = m.at("problem").get<std::string>();
    if (model.problem == "label_propagation")
      throw ConfigError(file.string() + ": a label_propagation run predicts no new rows (it is transductive): its answer is "
                                        "every node's value, in propagated.csv next to it");
    model.format = m.at("format").get<std::string>();
    model.intercept = m.at("intercept").get<bool>();
    model.features = m.at("features").get<Eigen::Index>();
    model.outputs = m.at("outputs").get<Eigen::Index>();
    if (model.format == "csv") {
      model.response = m.at("response").get<std::string>();
      model.feature_names = m.at("feature_names").get<std::vector<std::string>>();
    } else {
      model.zero_based = m.at("zero_based").get<bool>();
    }
    if (model.problem == "quantile") model.taus = m.at("taus").get<std::vector<double>>();
    if (model.problem == "mlp" || model.problem == "cnn") {
      const auto& n = m.at("network");
      model.network = NetworkSpec{.kind = model.problem, .hidden = n.at("hidden").get<std::vector<long long>>(),
                                  .channels = n.at("channels").get<std::vector<long long>>(),
                                  .activation = n.at("activation").get<std::string>(), .loss = n.at("loss").get<std::string>()};
    }
    if (m.contains("standardization")) {
      const auto center = m.at("standardization").at("center").get<std::vector<double>>();
      const auto scale = m.at("standardization").at("scale").get<std::vector<double>>();
      model.standardization = cp::Standardization{Eigen::Map<const VecX<double>>(center.data(), static_cast<Eigen::Index>(center.size())),
                                                  Eigen::Map<const VecX<double>>(scale.data(), static_cast<Eigen::Index>(scale.size()))};
    }
    const auto x = j.at("x").get<std::vector<double>>();
    model.x = Eigen::Map<const VecX<double>>(x.data(), static_cast<Eigen::Index>(x.size()));
    const Eigen::Index p = model.features + (model.intercept ? 1 : 0);
    if ((!model.network && model.x.size() != p * model.outputs) ||  // a network checks its own size
 (model.format == "csv" && static_cast<Eigen::Index>(model.feature_names.size()) != model.features) ||
        (model.standardization && model.standardization->center.size() != model.features) ||
        (model.problem == "quantile" && static_cast<Eigen::Index>(model.taus.size()) != model.outputs))
      throw ConfigError(file.string() + ": \"model\" and \"x\" disagree in size");
    return model;
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(file.string() + ": \"model\" is incomplete (" + e.what() + ")");
  }
}

std::string number(double v) { return fmt::format("{:.17g}", v); }

/// Linear predictors Z = X·W (+ intercepts), W the (d [+1]) × outputs coefficient matrix.
template <class Design>
MatX<double> linear_predictors(const Design& X, const Model& m) {
  const Eigen::Map<const MatX<double>> W(m.x.data(), m.features + (m.intercept ? 1 : 0), m.outputs);
  MatX<double> Z = X * W.topRows(m.features);
  if (m.intercept) Z.rowwise() += W.row(m.features);
  return Z;
}

/// Row-wise softmax of class scores Z.
MatX<double> softmax_rows(const MatX<double>& Z) {
  MatX<double> P = (Z.colwise() - Z.rowwise().maxCoeff()).array().exp().matrix();
  P.array().colwise() /= P.rowwise().sum().array();
  return P;
}

/// What one model says about the rows: the predicted columns (named), a predicted label per row
/// for classifiers, and, for labelled rows, the metrics.
struct Predictions {
  std::vector<std::string> names;
  MatX<double> values;
  std::vector<long long> labels;
  nlohmann::json metrics;
};

/// The CSV: row, [label,] the named columns, [y].
std::string predictions_csv(const Predictions& p, const VecX<double>& y) {
  const bool labelled = y.size() == p.values.rows();
  std::string csv = p.labels.empty() ? "row" : "row,label";
  for (const auto& name : p.names) csv += "," + name;
  csv += labelled ? ",y\n" : "\n";
  for (Eigen::Index i = 0; i < p.values.rows(); ++i) {
    csv += std::to_string(i);
    if (!p.labels.empty()) csv += "," + std::to_string(p.labels[static_cast<std::size_t>(i)]);
    for (Eigen::Index k = 0; k < p.values.cols(); ++k) csv += "," + number(p.values(i, k));
    csv += labelled ? "," + number(y[i]) + "\n" : "\n";
  }
  return csv;
}

/// Argmax of each row, plus `first` (ordinal labels start at 1).
std::vector<long long> argmax_labels(const MatX<double>& P, long long first) {
  std::vector<long long> labels(static_cast<std::size_t>(P.rows()));
  for (Eigen::Index i = 0; i < P.rows(); ++i) {
    Eigen::Index best = 0;
    P.row(i).maxCoeff(&best);
    labels[static_cast<std::size_t>(i)] = best + first;
  }
  return labels;
}

/// Σ sᵢvᵢ / Σ s with row weights `w` (empty: the plain mean).
double weighted_mean(const VecX<double>& v, const VecX<double>& w) { return w.size() ? w.dot(v) / w.sum() : v.mean(); }

/// The metrics come from the library's own objectives (without penalty) on the new rows, so they
/// mean what the fit's value means; with row weights `w` (empty: none) every metric is the
/// weighted mean over rows, as the fit's objective is.
/// A network's outputs on the rows: class probabilities (softmax) and labels, or predictions; the
/// metrics are the network's own loss on the rows (log_loss, or rmse = √(2·loss)), as the fit's value.
Predictions predict_network(MatX<double> X, const VecX<double>& y, const VecX<double>& w, const Model& m) {
#ifdef CONVLAB_EXPERIMENTS_TORCH
  const Eigen::Index n = X.rows();
  const bool labelled = y.size() == n, classes = m.network->loss == "cross_entropy";
  const NetworkProblem net = [&] {
    try {  // without labels, class 0 stands in for every row (no metric reads it)
      return NetworkProblem(*m.network, X, labelled ? y : VecX<double>::Zero(n), m.outputs, w);
    } catch (const std::invalid_argument& e) {
      throw ConfigError(std::string("the rows do not fit the fitted network: ") + e.what());
    }
  }();
  if (net.dim() != m.x.size()) throw ConfigError("summary.json: \"model\" and \"x\" disagree in size");
  const MatX<double> Z = net.outputs(m.x);
  Predictions p;
  if (classes) {
    for (Eigen::Index k = 0; k < m.outputs; ++k) p.names.push_back(fmt::format("p_{}", k));
    p.values = softmax_rows(Z);
    p.labels = argmax_labels(Z, 0);
    if (labelled) {
      VecX<double> correct(n);
      for (Eigen::Index i = 0; i < n; ++i) correct[i] = y[i] == static_cast<double>(p.labels[static_cast<std::size_t>(i)]);
      p.metrics["accuracy"] = weighted_mean(correct, w);
      p.metrics["log_loss"] = net.value(m.x);
    }
  } else {
    p.names = {"prediction"}, p.values = Z;
    if (labelled) {
      p.metrics["rmse"] = std::sqrt(2 * net.value(m.x));  // the loss is the (weighted) mean of ½(f − y)²
      p.metrics["mae"] = weighted_mean((Z.col(0) - y).cwiseAbs(), w);
    }
  }
  return p;
#else
  (void)X, (void)y, (void)w;
  throw ConfigError("this run folder holds a " + m.problem + " network, and this convlab was built without LibTorch");
#endif
}

template <class Design>
Predictions predict_rows(Design X, const VecX<double>& y, const VecX<double>& w, const Model& m, quantile::Monotonize monotonize) {
  if (m.network) {  // fitted on dense rows, centered too when standardized (LIBSVM included)
    MatX<double> Xd;
    if constexpr (requires { X.toDense(); }) Xd = X.toDense();
    else Xd = std::move(X);
    if (m.standardization) cp::apply_standardization(Xd, *m.standardization);
    return predict_network(std::move(Xd), y, w, m);
  }
  if (m.standardization) cp::apply_standardization(X, *m.standardization);
  const MatX<double> Z = linear_predictors(X, m);
  const Eigen::Index n = Z.rows();
  const bool labelled = y.size() == n;
  const cp::LinearModelOptions opt{.intercept = m.intercept};
  Predictions p;
  if (m.problem == "least_squares") {
    p.names = {"prediction"}, p.values = Z;
    if (labelled) {
      const cp::LeastSquares<double, Design> f(std::move(X), y, opt, w);
      p.metrics["rmse"] = std::sqrt(2 * f.value(m.x));  // f = (1/2n)·‖r‖² (weighted: Σ sᵢrᵢ²/(2Σs))
      p.metrics["mae"] = weighted_mean((Z.col(0) - y).cwiseAbs(), w);
    }
  } else if (m.problem == "logistic") {  // label 1 where the score is positive, as Logistic::accuracy
    p.names = {"probability"};
    p.values = Z.unaryExpr([](double z) { return z >= 0 ? 1 / (1 + std::exp(-z)) : std::exp(z) / (1 + std::exp(z)); });
    for (Eigen::Index i = 0; i < n; ++i) p.labels.push_back(Z(i, 0) > 0 ? 1 : 0);
    if (labelled) {
      const cp::Logistic<double, Design> f(std::move(X), y, opt, w);
      p.metrics["accuracy"] = f.accuracy(m.x);
      p.metrics["log_loss"] = f.value(m.x);
    }
  } else if (m.problem == "multinomial") {  // softmax of the scores
    for (Eigen::Index k = 0; k < m.outputs; ++k) p.names.push_back(fmt::format("p_{}", k));
    p.values = softmax_rows(Z);
    p.labels = argmax_labels(Z, 0);
    if (labelled) {
      const cp::Multinomial<double, Design> f(std::move(X), y, m.outputs, opt, w);
      p.metrics["accuracy"] = f.accuracy(m.x);
      p.metrics["log_loss"] = f.value(m.x);
    }
  } else if (m.problem == "ordinal") {  // labels 1 … K; column k of x is (β_k, α_k)
    const Eigen::Map<const MatX<double>> W(m.x.data(), m.features + 1, m.outputs);
    const MatX<double> B = W.topRows(m.features);
    const VecX<double> alpha = W.row(m.features).transpose();
    MatX<double> Xd;
    if constexpr (requires { X.toDense(); }) Xd = X.toDense();
    else Xd = std::move(X);
    const Eigen::Index K = m.outputs + 1;
    for (Eigen::Index k = 1; k <= K; ++k) p.names.push_back(fmt::format("p_{}", k));
    p.values = cp::cumulative_logit_probabilities(Xd, alpha, B);
    p.labels = argmax_labels(p.values, 1);
    // Rows where the fitted cumulative curves cross: a class probability below 0 (docs/presto.md).
    p.metrics["invalid_rows"] = static_cast<double>((p.values.array() < 0).rowwise().any().count());
    if (labelled) {
      const cp::CumulativeLogit f(Xd, y, static_cast<int>(K), w);  // labels must be 1 … K
      VecX<double> correct(n);
      for (Eigen::Index i = 0; i < n; ++i) correct[i] = y[i] == static_cast<double>(p.labels[static_cast<std::size_t>(i)]);
      p.metrics["accuracy"] = weighted_mean(correct, w);
      p.metrics["log_loss"] = f.value(f.theta_from(alpha, B));
      p.metrics["brier"] = solvers::brier_score(p.values, y, w);
    }
  } else {  // quantile: one column per level, made non-decreasing across levels (docs/predict.md)
    for (double tau : m.taus) p.names.push_back(fmt::format("q_{}", tau));
    p.metrics["crossing_fraction"] = cp::crossing_fraction(Z);  // of the linear models, before monotonizing
    p.values = quantile::monotonize(Z, monotonize);
    const MatX<double>& Q = p.values;
    const VecX<double> levels = Eigen::Map<const VecX<double>>(m.taus.data(), m.outputs);
    if (labelled) {  // docs/quantile.md: WIS = (2/m)·Σ pinball
      const VecX<double> per_level = cp::pinball_per_level(Q, y, levels, w);
      for (Eigen::Index k = 0; k < m.outputs; ++k) p.metrics[fmt::format("pinball_{}", levels[k])] = per_level[k];
      p.metrics["wis"] = cp::mean_wis(Q, y, levels, w);
      if (m.outputs >= 2) {  // the outer interval [q_first, q_last]; nominal coverage τ_last − τ_first
        const VecX<double> inside = ((y.array() >= Q.col(0).array()) && (y.array() <= Q.col(m.outputs - 1).array())).cast<double>().matrix();
        p.metrics["interval_coverage"] = weighted_mean(inside, w);
      }
    }
  }
  return p;
}

}  // namespace

int command_predict(const PredictArgs& a) {
  const fs::path run_dir(a.run_dir);
  const Model m = read_model(run_dir);
  if (!a.monotonize.empty() && m.problem != "quantile")
    throw ConfigError("--monotonize applies to quantile models; " + run_dir.string() + " holds a " + m.problem + " model");
  const auto monotonize = quantile::parse_monotonize(a.monotonize.empty() ? "sort" : a.monotonize);
  const fs::path out = a.out.empty() ? run_dir / "predictions.csv" : fs::path(a.out);
  if (out.extension() == ".json" || fs::is_directory(out))
    throw ConfigError("--out " + out.string() + ": name a CSV file (the metrics are written beside it as .json)");
  prepare_output_dir(out.parent_path().empty() ? fs::path(".") : out.parent_path());
  Predictions p;
  VecX<double> y, w;
  if (m.format == "csv") {
    // The fitted feature columns by name (any order, extra columns ignored); the response may be absent.
    auto ds = cp::load_csv(a.data, {.response = m.response, .features = m.feature_names, .weights = a.weights, .response_optional = true});
    if (!a.weights.empty() && ds.y.size() == 0)
      throw ConfigError("--weights " + a.weights + ": '" + a.data + "' has no response column '" + m.response + "', so there are no metrics to weigh");
    if (!a.weights.empty() && !(ds.weights.array() > 0).any())
      throw ConfigError("--weights " + a.weights + ": the column is 0 in every row of '" + a.data + "'");
    p = predict_rows(std::move(ds.X), ds.y, ds.weights, m, monotonize);
    y = std::move(ds.y);
    w = std::move(ds.weights);
  } else {
    if (!a.weights.empty()) throw ConfigError("--weights " + a.weights + ": applies to CSV data; '" + a.data + "' is LIBSVM");
    auto ds = cp::load_libsvm(a.data, {.zero_based = m.zero_based, .num_features = m.features});
    p = predict_rows(std::move(ds.X), ds.y, {}, m, monotonize);
    y = std::move(ds.y);
  }
  write_atomic(out, predictions_csv(p, y));
  const Eigen::Index rows = p.values.rows();
  std::string line = fmt::format("{} rows predicted by {} ({}): {}", rows, run_dir.string(), m.problem, out.string());
  if (!p.metrics.empty()) {
    nlohmann::json j = p.metrics;
    j["rows"] = rows;
    if (w.size()) j["weights"] = a.weights, j["total_weight"] = w.sum();
    j["data"] = a.data;
    j["run"] = run_dir.string();
    if (m.problem == "quantile") j["monotonize"] = quantile::to_string(monotonize);
    fs::path metrics_file = out;
    metrics_file.replace_extension(".json");
    write_atomic(metrics_file, j.dump(2) + "\n");
    for (const auto& [k, v] : p.metrics.items()) line += fmt::format("; {} {:.6g}", k, v.get<double>());
  }
  fmt::print("{}\n", line);
  return 0;
}

}  // namespace convlab::experiments
