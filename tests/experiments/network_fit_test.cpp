// The network problems of `convlab fit` (`[problem] type = "mlp" | "cnn"`): the loss against a
// network written out by hand in Eigen, gradients against finite differences, the seeded
// initialization, and fit → predict end to end with every printed metric recomputed from the
// written predictions.
#include <convlab/core/errors.hpp>
#include <convlab/problems/blocked_problem.hpp>
#include <convlab/problems/data_io.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <vector>

#include "cli_support.hpp"
#include "config/config.hpp"
#include "fit/fit.hpp"
#include "fit/network_model.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
namespace ex = convlab::experiments;
using convlab::MatX;
using convlab::VecX;
using convlab::test::fresh_dir;
using convlab::test::source_dir;
using convlab::test::read_json;
using convlab::test::run_cli;
using convlab::test::write;

namespace {

struct Data {
  MatX<double> X;
  VecX<double> y, w;
};

Data network_data(Eigen::Index n, Eigen::Index d, int classes, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  Data data{MatX<double>(n, d), VecX<double>(n), VecX<double>(n)};
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < d; ++j) data.X(i, j) = u(rng);
    data.y[i] = classes > 0 ? static_cast<double>(rng() % static_cast<unsigned>(classes)) : u(rng);
    data.w[i] = 0.5 + std::abs(u(rng));
  }
  return data;
}

/// A one-hidden-layer network by hand: x = [W1 (h × d, row-major), b1, W2 (K × h, row-major), b2].
MatX<double> hand_mlp_outputs(const MatX<double>& X, const VecX<double>& x, Eigen::Index h, Eigen::Index K,
                              double (*act)(double)) {
  const Eigen::Index d = X.cols();
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> W1(x.data(), h, d), W2(x.data() + h * d + h, K, h);
  const Eigen::Map<const VecX<double>> b1(x.data() + h * d, h), b2(x.data() + h * d + h + K * h, K);
  MatX<double> H = ((X * W1.transpose()).rowwise() + b1.transpose()).unaryExpr(act);
  return (H * W2.transpose()).rowwise() + b2.transpose();
}

/// Σ wᵢ·ℓᵢ / Σ w over `rows` with the weights scaled as the problem documents (wᵢ·n/Σw, then the
/// mean over the rows given): the cross-entropy of softmax(Z) or ½(Z − y)².
double hand_loss(const MatX<double>& Z, const VecX<double>& y, const VecX<double>& w, const std::vector<Eigen::Index>& rows, bool classes) {
  const double n = static_cast<double>(y.size()), total = w.sum();
  double sum = 0;
  for (Eigen::Index i : rows) {
    double loss;
    if (classes) {
      const double m = Z.row(i).maxCoeff();
      loss = m + std::log((Z.row(i).array() - m).exp().sum()) - Z(i, static_cast<Eigen::Index>(y[i]));
    } else {
      loss = 0.5 * (Z(i, 0) - y[i]) * (Z(i, 0) - y[i]);
    }
    sum += w[i] * n / total * loss;
  }
  return sum / static_cast<double>(rows.size());
}

double relu(double v) { return v > 0 ? v : 0; }
double tanh_(double v) { return std::tanh(v); }

/// max |g − central difference| / max(1, ‖fd‖∞).
double fd_error(const ex::NetworkProblem& p, const VecX<double>& x) {
  VecX<double> g(p.dim()), fd(p.dim());
  p.value_and_gradient(x, g);
  for (Eigen::Index k = 0; k < p.dim(); ++k) {
    const double h = 1e-6 * std::max(1.0, std::abs(x[k]));
    VecX<double> a = x, b = x;
    a[k] += h, b[k] -= h;
    fd[k] = (p.value(a) - p.value(b)) / (2 * h);
  }
  return (g - fd).lpNorm<Eigen::Infinity>() / std::max(1.0, fd.lpNorm<Eigen::Infinity>());
}

}  // namespace

TEST(NetworkModel, MlpLossIsAHandWrittenNetworksWeightedMean) {
  const auto data = network_data(40, 5, 3, convlab::test::test_seed());
  for (const bool classes : {true, false}) {
    SCOPED_TRACE(classes ? "cross_entropy" : "squared_error");
    const ex::NetworkSpec spec{.kind = "mlp", .hidden = {4}, .activation = classes ? "tanh" : "relu",
                               .loss = classes ? "cross_entropy" : "squared_error"};
    const Eigen::Index K = classes ? 3 : 1;
    const ex::NetworkProblem p(spec, data.X, data.y, K, data.w);
    ASSERT_EQ(p.dim(), 4 * 5 + 4 + K * 4 + K);
    const VecX<double> x = p.initial_parameters(7);
    const MatX<double> Z = hand_mlp_outputs(data.X, x, 4, K, classes ? &tanh_ : &relu);
    EXPECT_LE((p.outputs(x) - Z).lpNorm<Eigen::Infinity>(), 1e-13);
    std::vector<Eigen::Index> all(40);
    std::iota(all.begin(), all.end(), 0);
    EXPECT_NEAR(p.value(x), hand_loss(Z, data.y, data.w, all, classes), 1e-13);
    // the full mean is Σ wᵢℓᵢ/Σw; a batch mean uses the same per-row factors
    const std::vector<Eigen::Index> batch{3, 17, 17, 29};
    EXPECT_NEAR(p.value(x, batch), hand_loss(Z, data.y, data.w, batch, classes), 1e-13);
    EXPECT_LE(fd_error(p, x), 1e-7);
    // the batch gradient is the gradient of the batch value
    VecX<double> gb(p.dim()), g(p.dim());
    p.gradient(x, batch, gb);
    const ex::NetworkProblem sub(spec, data.X(batch, Eigen::all), data.y(batch), K, data.w(batch));
    sub.value_and_gradient(x, g);
    // sub's factors are wᵢ·4/Σ_batch w; the problem's wᵢ·40/Σ w
    const double scale = (40 / data.w.sum()) / (4 / data.w(batch).sum());
    EXPECT_LE((gb - scale * g).lpNorm<Eigen::Infinity>(), 1e-12 * std::max(1.0, g.lpNorm<Eigen::Infinity>()));
  }
}

TEST(NetworkModel, CnnGradientIsTheFiniteDifferenceAndItsLossItsOutputsCrossEntropy) {
  const auto data = network_data(12, 64, 4, convlab::test::test_seed() + 1);
  const ex::NetworkSpec spec{.kind = "cnn", .hidden = {5}, .channels = {2, 3}, .activation = "tanh", .loss = "cross_entropy"};
  const ex::NetworkProblem p(spec, data.X, data.y, 4, data.w);
  // conv 1→2 (5×5 + bias), conv 2→3, dense 3·2·2 → 5, dense 5 → 4
  EXPECT_EQ(p.dim(), (2 * 25 + 2) + (3 * 2 * 25 + 3) + (5 * 12 + 5) + (4 * 5 + 4));
  const VecX<double> x = p.initial_parameters(3);
  std::vector<Eigen::Index> all(12);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_NEAR(p.value(x), hand_loss(p.outputs(x), data.y, data.w, all, true), 1e-13);
  EXPECT_LE(fd_error(p, x), 1e-7);
}

TEST(NetworkModel, InitializationIsSeededAndWithinEachLayersBound) {
  const auto data = network_data(10, 64, 10, 5);
  const ex::NetworkProblem p({.kind = "mlp", .hidden = {200}}, data.X, data.y, 10);
  const VecX<double> a = p.initial_parameters(1), b = p.initial_parameters(1), c = p.initial_parameters(2);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  // layer 1: 200 × 64 weights and 200 biases on ±1/8; layer 2: 10 × 200 and 10 on ±1/√200
  const auto check = [&](Eigen::Index from, Eigen::Index count, double bound) {
    const auto seg = a.segment(from, count);
    EXPECT_LE(seg.cwiseAbs().maxCoeff(), bound);
    EXPECT_GE(seg.cwiseAbs().maxCoeff(), 0.95 * bound);                          // fills the interval
    EXPECT_NEAR(seg.squaredNorm() / static_cast<double>(count), bound * bound / 3, 0.1 * bound * bound);  // uniform's variance
  };
  check(0, 200 * 64 + 200, 1.0 / 8);
  check(200 * 64 + 200, 10 * 200 + 10, 1 / std::sqrt(200.0));
}

// `[problem] row_blocks`: the rows cut into blocks (BlockedProblem, as under mpirun), each block its
// own network over its rows. The blocked sums equal the one-problem values to round-off, with and
// without weights (a block of zero weight included), full and by minibatch; one block is the
// problem itself, bit for bit.
TEST(NetworkModel, RowBlocksSumToTheWholeDataAndOneBlockIsTheProblemItself) {
  namespace cp = convlab::problems;
  auto data = network_data(50, 6, 3, convlab::test::test_seed() + 2);
  data.w.segment(10, 10).setZero();  // rows 10..19: block 1 of the blocks of 10 rows weighs nothing
  const ex::NetworkSpec spec{.kind = "mlp", .hidden = {5}, .activation = "tanh"};
  const std::vector<Eigen::Index> batch{3, 12, 12, 31, 49, 0, 27};
  for (const bool weighted : {false, true}) {
    SCOPED_TRACE(weighted ? "weighted" : "unweighted");
    const VecX<double> w = weighted ? data.w : VecX<double>();
    const ex::NetworkProblem whole(spec, data.X, data.y, 3, w);
    const VecX<double> x = whole.initial_parameters(4);
    VecX<double> g(whole.dim()), gb(whole.dim());
    const double f = whole.value_and_gradient(x, g);
    const double fb = whole.value(x, batch);
    whole.gradient(x, batch, gb);
    const auto blocked = [&](Eigen::Index block_rows) {
      const cp::BlockLayout layout(50, 1, block_rows);
      return cp::BlockedProblem<ex::NetworkProblem>(
          cp::split_into_blocks(data.X, data.y, w, layout, 0,
                                [&](MatX<double> X, const VecX<double>& y, const VecX<double>& s) { return ex::NetworkProblem(spec, X, y, 3, s); }),
          layout);
    };
    for (const Eigen::Index rows : {50, 10, 7}) {
      SCOPED_TRACE(fmt::format("blocks of {} rows", rows));
      const auto p = blocked(rows);
      VecX<double> h(p.dim()), hb(p.dim());
      const double tol = rows == 50 ? 0.0 : 1e-14;  // one block: the same bits
      EXPECT_NEAR(p.value_and_gradient(x, h), f, tol * std::abs(f));
      EXPECT_LE((h - g).lpNorm<Eigen::Infinity>(), 1e2 * tol * g.lpNorm<Eigen::Infinity>());
      EXPECT_NEAR(p.value(x, batch), fb, tol * std::abs(fb));
      p.gradient(x, batch, hb);
      EXPECT_LE((hb - gb).lpNorm<Eigen::Infinity>(), 1e2 * tol * gb.lpNorm<Eigen::Infinity>());
    }
  }
}

TEST(NetworkModel, BadShapesAndLabelsAreClearErrors) {
  const auto data = network_data(6, 10, 3, 9);
  const auto message = [](auto&& build) {
    try {
      build();
    } catch (const convlab::InvalidArgument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { ex::NetworkProblem({.kind = "cnn"}, data.X, data.y, 3); }).find("10 features"), std::string::npos);
  VecX<double> y = data.y;
  y[4] = 3;
  EXPECT_NE(message([&] { ex::NetworkProblem({.kind = "mlp"}, data.X, y, 3); }).find("row 5"), std::string::npos);
  y[4] = 0.5;
  EXPECT_NE(message([&] { ex::NetworkProblem({.kind = "mlp"}, data.X, y, 3); }).find("label 0.5"), std::string::npos);
}

namespace {

/// The shipped digits cut into a training file (first 1400 rows) and a test file.
void split_digits(const fs::path& dir) {
  std::ifstream in(convlab::test::data_path("digits.libsvm"));
  std::ofstream train(dir / "train.libsvm"), test(dir / "test.libsvm");
  std::string line;
  for (int i = 0; std::getline(in, line); ++i) (i < 1400 ? train : test) << line << '\n';
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  std::size_t column(const std::string& name) const {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  }
};

Csv read_csv(const fs::path& file) {
  Csv csv;
  std::ifstream in(file);
  std::string line, cell;
  std::getline(in, line);
  for (std::istringstream s(line); std::getline(s, cell, ',');) csv.header.push_back(cell);
  while (std::getline(in, line)) {
    csv.rows.emplace_back();
    for (std::istringstream s(line); std::getline(s, cell, ',');) csv.rows.back().push_back(std::stod(cell));
  }
  return csv;
}

const char* const kDigitsMlp =
    "seed = 3\n[problem]\ntype = \"mlp\"\ndata = \"train.libsvm\"\nhidden = [32]\nstandardize = true\n"
    "[optimizer]\ntype = \"adamw\"\nbatch_size = 64\nweight_decay = 0.0\n[schedule]\ntype = \"linear_decay\"\nlr = 0.01\n"
    "[stop]\nmax_iterations = 600\n[output]\nplots = false\n";

}  // namespace

TEST(NetworkFit, MlpOnDigitsPredictsHeldOutRowsAndEveryMetricIsItsPredictions) {
  const fs::path dir = fresh_dir("mlp-digits");
  split_digits(dir);
  write(dir / "mlp.toml", kDigitsMlp);
  ASSERT_EQ(run_cli("fit " + (dir / "mlp.toml").string() + " --out " + (dir / "out").string()), 0);
  const fs::path run = dir / "out" / "mlp" / "fit";
  const auto s = read_json(run / "summary.json");
  EXPECT_EQ(s["model"]["problem"], "mlp");
  EXPECT_EQ(s["model"]["network"]["hidden"], nlohmann::json::array({32}));
  EXPECT_EQ(s["x"].size(), 64u * 32 + 32 + 32 * 10 + 10);
  EXPECT_LT(s["final_value"].get<double>(), 0.1 * s["initial_value"].get<double>());
  // the final value is the network's mean cross-entropy on the (standardized) training rows at x
  auto train = convlab::problems::load_libsvm((dir / "train.libsvm").string(), {});
  MatX<double> X = train.X.toDense();
  const auto center = s["model"]["standardization"]["center"].get<std::vector<double>>();
  const auto scale = s["model"]["standardization"]["scale"].get<std::vector<double>>();
  for (Eigen::Index j = 0; j < X.cols(); ++j) X.col(j) = ((X.col(j).array() - center[j]) / scale[j]).matrix();
  const auto xs = s["x"].get<std::vector<double>>();
  const VecX<double> x = Eigen::Map<const VecX<double>>(xs.data(), static_cast<Eigen::Index>(xs.size()));
  const ex::NetworkProblem p({.kind = "mlp", .hidden = {32}}, X, train.y, 10);
  EXPECT_NEAR(p.value(x), s["final_value"].get<double>(), 1e-12);

  ASSERT_EQ(run_cli("predict " + run.string() + " " + (dir / "test.libsvm").string() + " --out " + (dir / "p.csv").string()), 0);
  const Csv csv = read_csv(dir / "p.csv");
  const auto metrics = read_json(dir / "p.json");
  ASSERT_EQ(csv.rows.size(), 1797u - 1400u);
  double log_loss = 0, correct = 0;
  for (const auto& row : csv.rows) {
    double total = 0;
    std::size_t best = 0;
    for (std::size_t k = 0; k < 10; ++k) {
      const double pk = row[csv.column(fmt::format("p_{}", k))];
      total += pk;
      if (pk > row[csv.column(fmt::format("p_{}", best))]) best = k;
    }
    EXPECT_NEAR(total, 1.0, 1e-12);
    const auto label = static_cast<std::size_t>(row[csv.column("label")]), y = static_cast<std::size_t>(row[csv.column("y")]);
    EXPECT_EQ(label, best);
    correct += label == y;
    log_loss -= std::log(row[csv.column(fmt::format("p_{}", y))]);
  }
  const double n = static_cast<double>(csv.rows.size());
  EXPECT_NEAR(metrics["log_loss"].get<double>(), log_loss / n, 1e-9);
  EXPECT_DOUBLE_EQ(metrics["accuracy"].get<double>(), correct / n);
  EXPECT_GE(correct / n, 0.9);  // a small network on held-out digits
}

TEST(NetworkFit, RunsAreTheSameBitsForOneAndTwoThreadsAndTheCnnAndRegressionRun) {
  const fs::path dir = fresh_dir("net-threads");
  split_digits(dir);
  write(dir / "mlp.toml", kDigitsMlp);
  const std::string short_run = " --set stop.max_iterations=60";
  for (const char* threads : {"1", "2"})
    ASSERT_EQ(run_cli("fit " + (dir / "mlp.toml").string() + " --out " + (dir / threads).string() + short_run,
                      std::string("OMP_NUM_THREADS=") + threads),
              0);
  const auto one = read_json(dir / "1" / "mlp" / "stop.max_iterations=60" / "summary.json");
  const auto two = read_json(dir / "2" / "mlp" / "stop.max_iterations=60" / "summary.json");
  EXPECT_EQ(one["x"], two["x"]);
  EXPECT_EQ(one["final_value"], two["final_value"]);
  // a cnn on the 8 × 8 images, and the two-pass refined schedule
  const std::string cnn = " --set problem.type=\"cnn\" --set problem.channels=[4,8] --set schedule.type=\"refined\"";
  ASSERT_EQ(run_cli("fit " + (dir / "mlp.toml").string() + " --out " + (dir / "cnn").string() + short_run + cnn), 0);
  // regression: squared_error on diabetes; predict's rmse and mae are its predictions' own
  write(dir / "reg.toml", "[problem]\ntype = \"mlp\"\ndata = \"" + convlab::test::data_path("diabetes.csv") +
                              "\"\nloss = \"squared_error\"\nhidden = [16]\nactivation = \"tanh\"\nstandardize = true\n"
                              "[optimizer]\ntype = \"lion\"\nkappa = \"huber\"\n[schedule]\ntype = \"cosine\"\nlr = 0.5\n"
                              "[stop]\nmax_iterations = 300\n[output]\nplots = false\n");
  ASSERT_EQ(run_cli("fit " + (dir / "reg.toml").string() + " --out " + (dir / "out").string()), 0);
  ASSERT_EQ(run_cli("predict " + (dir / "out" / "reg" / "fit").string() + " " + convlab::test::data_path("diabetes.csv") +
                    " --out " + (dir / "r.csv").string()),
            0);
  const Csv csv = read_csv(dir / "r.csv");
  const auto metrics = read_json(dir / "r.json");
  double sq = 0, abs = 0;
  for (const auto& row : csv.rows) {
    const double r = row[csv.column("prediction")] - row[csv.column("y")];
    sq += r * r, abs += std::abs(r);
  }
  const double n = static_cast<double>(csv.rows.size());
  EXPECT_NEAR(metrics["rmse"].get<double>(), std::sqrt(sq / n), 1e-9);
  EXPECT_NEAR(metrics["mae"].get<double>(), abs / n, 1e-9);
  EXPECT_LT(metrics["rmse"].get<double>(), 70.0);  // the response's standard deviation is 77
}

TEST(NetworkFit, WhatANetworkCannotTakeIsRefusedNamingTheKey) {
  const fs::path dir = fresh_dir("net-refused");
  split_digits(dir);
  write(dir / "mlp.toml", kDigitsMlp);
  const std::string validate = "validate " + (dir / "mlp.toml").string();
  EXPECT_EQ(run_cli(validate), 0);
  for (const char* set : {"reference=\"newton\"", "optimizer.type=\"fista\"", "optimizer.type=\"lasso_cd\"", "problem.l1=0.1",
                          "problem.intercept=true", "schedule.per_lipschitz=true", "problem.hidden=[0]", "problem.channels=[4]",
                          "problem.activation=\"swish\"", "problem.loss=\"hinge\""})
    EXPECT_EQ(run_cli(validate + " --set " + set), 2) << set;
  EXPECT_EQ(run_cli(validate + " --set optimizer.type=\"lion\" --set optimizer.kappa=\"nuclear\""), 2);
  // a cnn needs square images: breast cancer has 30 features
  EXPECT_EQ(run_cli(validate + " --set problem.type=\"cnn\" --set problem.data=\"" + convlab::test::data_path("breast_cancer.csv") + "\""), 2);
  // the fit's seeded start is x0's length
  EXPECT_EQ(run_cli(validate + " --set init.x0=[1,2]"), 2);
}

// `[federated] problem = "mlp"`: every client a copy of the network; the run's test metrics are
// the network's on the test file (what `convlab predict` computes from the run folder), the
// model is the same bits on 1 and 2 threads, and FedAU trains it.
TEST(NetworkFit, FederatedMlpRunsAreTheSameBitsOnOneAndTwoThreadsAndPredictAgreesWithTheirTestMetrics) {
  const fs::path dir = fresh_dir("mlp-federated");
  split_digits(dir);
  const std::string fed =
      "[federated]\nproblem = \"mlp\"\ndata = \"train.libsvm\"\ntest_data = \"test.libsvm\"\nhidden = [16]\nstandardize = true\n"
      "clients = 8\npartition = \"dirichlet\"\nrates = \"label\"\nmethod = \"fedau\"\nrounds = 120\neval_every = 40\n"
      "[federated.local]\nsteps = 5\nbatch = 16\nlr = 0.05\n";
  write(dir / "fed.toml", fed);
  ASSERT_EQ(run_cli("fit " + (dir / "fed.toml").string() + " --out " + (dir / "one").string(), "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("fit " + (dir / "fed.toml").string() + " --out " + (dir / "two").string(), "OMP_NUM_THREADS=2"), 0);
  const fs::path run = dir / "one" / "fed" / "fit";
  const auto one = read_json(run / "summary.json"), two = read_json(dir / "two" / "fed" / "fit" / "summary.json");
  EXPECT_EQ(one["x"], two["x"]);
  EXPECT_EQ(one["model"]["problem"], "mlp");
  EXPECT_EQ(one["x"].size(), 64u * 16 + 16 + 16 * 10 + 10);
  EXPECT_GT(one["final_test_accuracy"].get<double>(), 0.4) << "it trained (chance: 0.1)";

  ASSERT_EQ(run_cli("predict " + run.string() + " " + (dir / "test.libsvm").string() + " --out " + (dir / "p.csv").string()), 0);
  const auto metrics = read_json(dir / "p.json");
  EXPECT_NEAR(metrics["accuracy"].get<double>(), one["final_test_accuracy"].get<double>(), 1e-6);
  EXPECT_NEAR(metrics["log_loss"].get<double>(), one["final_test_loss"].get<double>(), 1e-12);

  // hidden = []: no hidden layer (softmax regression trained as a network), as in [problem]
  std::string linear = fed;
  linear.replace(linear.find("hidden = [16]"), 13, "hidden = []");
  write(dir / "linear.toml", linear);
  ASSERT_EQ(run_cli("fit " + (dir / "linear.toml").string() + " --out " + (dir / "linear").string()), 0);
  const fs::path linear_run = dir / "linear" / "linear" / "fit";
  const auto lin = read_json(linear_run / "summary.json");
  EXPECT_EQ(lin["x"].size(), 64u * 10 + 10);
  EXPECT_TRUE(lin["model"]["network"]["hidden"].empty()) << lin["model"]["network"];
  EXPECT_GT(lin["final_test_accuracy"].get<double>(), 0.4) << "it trained (chance: 0.1)";
  ASSERT_EQ(run_cli("predict " + linear_run.string() + " " + (dir / "test.libsvm").string() + " --out " + (dir / "lp.csv").string()), 0);
  EXPECT_NEAR(read_json(dir / "lp.json")["accuracy"].get<double>(), lin["final_test_accuracy"].get<double>(), 1e-6);

  write(dir / "bad.toml", "[federated]\nproblem = \"mlp\"\ndata = \"train.libsvm\"\nmu = 0.1\nparticipation_rate = 0.5\n");
  EXPECT_EQ(run_cli("validate " + (dir / "bad.toml").string()), 2);
}

// The FedAU network experiment (runner network_fedau): each of its runs is the `convlab fit`
// federated run of the same seed (data_seed, network, participation and minibatches all from
// it), its gains are the paired differences of its own runs.csv, and one and two threads give
// the same bits.
TEST(NetworkFedau, EveryRunIsConvlabFitsRunAndTheGainsFollowFromTheRuns) {
  const fs::path dir = fresh_dir("network-fedau"), configs = dir / "configs";
  fs::create_directories(configs / "f");
  const std::string digits = source_dir() + "/data/digits.libsvm";
  write(configs / "f" / "net.toml", "[experiment]\ntitle = \"t\"\npaper = \"fedau\"\nrunner = \"network_fedau\"\n[network_fedau]\n"
                                    "data = \"" + digits + "\"\nhidden = [8]\nclients = 6\nrounds = 40\neval_every = 20\nseeds = [3, 4]\n"
                                    "methods = [\"fedau\", \"known_prob\", \"average_participating\"]\n");
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + (dir / "one").string(), "OMP_NUM_THREADS=1"), 0);
  ASSERT_EQ(run_cli("reproduce --configs " + configs.string() + " --out " + (dir / "two").string(), "OMP_NUM_THREADS=2"), 0);
  const fs::path suite = dir / "one" / "f" / "net" / "suite";
  const auto read_file = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  const std::string runs = read_file(suite / "runs.csv");
  EXPECT_EQ(runs, read_file(dir / "two" / "f" / "net" / "suite" / "runs.csv"));

  // runs.csv: pattern,method,seed,test_accuracy,test_loss,diverged
  std::map<std::pair<std::string, long long>, std::pair<double, double>> score;
  std::istringstream in(runs);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::istringstream cells(line);
    for (std::string c; std::getline(cells, c, ',');) f.push_back(c);
    ASSERT_EQ(f.size(), 6u) << line;
    EXPECT_EQ(f[5], "0") << "diverged: " << line;
    score[{f[1], std::stoll(f[2])}] = {std::stod(f[3]), std::stod(f[4])};
  }
  ASSERT_EQ(score.size(), 6u);
  const auto s = read_json(suite / "summary.json");
  EXPECT_EQ(s["parameters"].get<double>(), 64 * 8 + 8 + 8 * 10 + 10);
  for (const std::string b : {"known_prob", "average_participating"}) {
    double gain = 0, reduction = 0;
    for (long long seed : {3, 4}) {
      gain += (score[{"fedau", seed}].first - score[{b, seed}].first) / 2;
      reduction += (score[{b, seed}].second - score[{"fedau", seed}].second) / 2;
    }
    EXPECT_NEAR(s["bernoulli_fedau_vs_" + b + "_accuracy_gain"].get<double>(), gain, 1e-5) << b;
    EXPECT_NEAR(s["bernoulli_fedau_vs_" + b + "_loss_reduction"].get<double>(), reduction, 1e-7) << b;
    EXPECT_LE(s["bernoulli_fedau_vs_" + b + "_accuracy_gain_ci_low"].get<double>(), gain + 1e-12);
    EXPECT_GE(s["bernoulli_fedau_vs_" + b + "_accuracy_gain_ci_high"].get<double>(), gain - 1e-12);
  }

  // The same run by `convlab fit`, seed 4: the same final model, so the same test metrics.
  write(dir / "fed.toml", "[federated]\nproblem = \"mlp\"\ndata = \"" + digits + "\"\nhidden = [8]\nstandardize = true\nclients = 6\n"
                          "partition = \"dirichlet\"\nrates = \"label\"\nmethod = \"known_prob\"\nrounds = 40\nseed = 4\ndata_seed = 4\n"
                          "[federated.local]\nsteps = 5\nbatch = 16\nlr = 0.05\n");
  ASSERT_EQ(run_cli("fit " + (dir / "fed.toml").string() + " --out " + (dir / "fit").string()), 0);
  const auto fit = read_json(dir / "fit" / "fed" / "fit" / "summary.json");
  const auto [accuracy, loss] = score[{"known_prob", 4}];
  EXPECT_NEAR(fit["final_test_accuracy"].get<double>(), accuracy, 1e-6);
  EXPECT_NEAR(fit["final_test_loss"].get<double>(), loss, 1e-7 * loss);

  write(configs / "f" / "net.toml", "[experiment]\ntitle = \"t\"\npaper = \"fedau\"\nrunner = \"network_fedau\"\n[network_fedau]\n"
                                    "data = \"" + digits + "\"\nmethods = [\"known_prob\"]\n");
  EXPECT_EQ(run_cli("validate " + (configs / "f" / "net.toml").string() + " 2>" + (dir / "err.txt").string() + " #"), 2);
  const std::string err = read_file(dir / "err.txt");
  EXPECT_NE(err.find("net.toml:7: [network_fedau] key 'methods': must include \"fedau\""), std::string::npos) << err;
}
