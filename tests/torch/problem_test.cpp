// TorchProblem (torch/problem.hpp): a network as a convlab FiniteSum. Its gradient against central
// finite differences, batch means against per-sample values and gradients, `minimize` with AdamW
// against torch's own AdamW loop (same iterates to round-off), minibatch runs repeatable bit for
// bit, the refined-schedule two-pass driver and the federated simulator (FedAU; the same bits for 1
// and 2 threads) on a network, and the mistakes a user makes named.
#include <convlab/federated/aggregators.hpp>
#include <convlab/federated/participation.hpp>
#include <convlab/federated/server.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/minimize.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/optim/two_pass_refinement.hpp>
#include <convlab/torch/problem.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>

#include <omp.h>

namespace co = convlab::optim;
using convlab::libtorch::TorchProblem;

namespace {

torch::nn::Sequential make_net(torch::Dtype dtype, std::uint64_t seed = 0) {
  torch::manual_seed(seed);
  torch::nn::Sequential net(torch::nn::Linear(5, 8), torch::nn::Tanh(), torch::nn::Linear(8, 1));
  net->to(dtype);
  return net;
}

struct Data {
  torch::Tensor X, y;
};

// A teacher-network regression: y = tanh(X a) b + noise.
Data teacher_data(torch::Dtype dtype, std::int64_t n = 40) {
  torch::manual_seed(5);
  const auto X = torch::randn({n, 5}, dtype);
  const auto y = torch::tanh(X.matmul(torch::randn({5, 3}, dtype))).matmul(torch::randn({3, 1}, dtype)) + 0.05 * torch::randn({n, 1}, dtype);
  return {X, y};
}

template <class S>
TorchProblem<S> regression(torch::nn::Sequential& net, const Data& d) {
  return TorchProblem<S>(net->parameters(), [net](const torch::Tensor& x) mutable { return net->forward(x); },
                         [](const torch::Tensor& out, const torch::Tensor& y) { return torch::mse_loss(out, y); }, d.X, d.y);
}

TEST(TorchProblem, GradientEqualsCentralFiniteDifferences) {
  auto net = make_net(torch::kFloat64);
  const auto d = teacher_data(torch::kFloat64);
  const auto f = regression<double>(net, d);
  ASSERT_EQ(f.dim(), 5 * 8 + 8 + 8 + 1);
  const Eigen::VectorXd x = f.parameters();
  Eigen::VectorXd g(f.dim());
  const double value = f.value_and_gradient(x, g);
  EXPECT_EQ(value, f.value(x));
  for (Eigen::Index i = 0; i < f.dim(); ++i) {
    const double h = 1e-6;
    Eigen::VectorXd xp = x, xm = x;
    xp[i] += h;
    xm[i] -= h;
    const double fd = (f.value(xp) - f.value(xm)) / (2 * h);
    EXPECT_NEAR(g[i], fd, 1e-8 * std::max(1.0, std::abs(fd))) << "coordinate " << i;
  }
}

TEST(TorchProblem, BatchValuesAndGradientsAreMeansOverTheBatch) {
  auto net = make_net(torch::kFloat64);
  const auto d = teacher_data(torch::kFloat64);
  const auto f = regression<double>(net, d);
  const Eigen::VectorXd x = f.parameters();
  const std::vector<Eigen::Index> batch{3, 17, 17, 0, 39};
  Eigen::VectorXd g(f.dim()), gi(f.dim()), mean = Eigen::VectorXd::Zero(f.dim());
  double mean_value = 0;
  for (const auto i : batch) {
    const Eigen::Index one[] = {i};
    f.gradient(x, one, gi);
    mean += gi / static_cast<double>(batch.size());
    mean_value += f.value(x, one) / static_cast<double>(batch.size());
  }
  f.gradient(x, batch, g);
  EXPECT_LT((g - mean).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_NEAR(f.value(x, batch), mean_value, 1e-14);
  std::vector<Eigen::Index> all(static_cast<std::size_t>(f.num_samples()));
  std::iota(all.begin(), all.end(), 0);
  Eigen::VectorXd full(f.dim());
  f.value_and_gradient(x, full);
  f.gradient(x, all, g);
  EXPECT_LT((g - full).cwiseAbs().maxCoeff(), 1e-14);
}

TEST(TorchProblem, MinimizeWithAdamWFollowsTorchsAdamW) {
  const auto d = teacher_data(torch::kFloat64);
  auto net = make_net(torch::kFloat64), twin = make_net(torch::kFloat64);
  const auto f = regression<double>(net, d);
  Eigen::VectorXd x = f.parameters();
  const auto summary = co::minimize(f, co::AdamW<double>({.weight_decay = 0.1}), x, {.max_iterations = 60}, 1e-2);
  EXPECT_EQ(summary.iterations, 60);
  torch::optim::AdamW theirs(twin->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  for (int t = 0; t < 60; ++t) {
    theirs.zero_grad();
    torch::mse_loss(twin->forward(d.X), d.y).backward();
    theirs.step();
  }
  const auto reference = regression<double>(twin, d).parameters();
  EXPECT_LT((x - reference).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT(summary.final_value, 0.5 * summary.initial_value) << "it trained";
  f.set_parameters(x);
  EXPECT_EQ(f.parameters(), x);
  EXPECT_NEAR(torch::mse_loss(net->forward(d.X), d.y).item<double>(), summary.final_value, 1e-12) << "the module holds x";
}

TEST(TorchProblem, MinibatchRunsRepeatBitForBitAndTheTwoPassRefinementTrains) {
  torch::set_num_threads(1);
  const auto d = teacher_data(torch::kFloat32, 200);
  auto net = make_net(torch::kFloat32);
  const auto f = regression<float>(net, d);
  const Eigen::VectorXf x0 = f.parameters();
  const co::MinimizeOptions options{.max_iterations = 300, .batch_size = 16, .seed = 3};
  Eigen::VectorXf a = x0, b = x0;
  const co::Lion<float> lion({.weight_decay = 0.1});
  co::minimize(f, lion, a, options, 1e-3);
  co::minimize(f, lion, b, options, 1e-3);
  EXPECT_EQ(a, b);
  Eigen::VectorXf x = x0;
  const auto r = co::two_pass_refinement(f, lion, x, options, 3e-3, 3e-3);
  ASSERT_FALSE(r.shape.empty());
  EXPECT_EQ(*std::max_element(r.shape.begin(), r.shape.end()), 1.0) << "a refined shape peaks at 1";
  EXPECT_EQ(r.first.step_gradient_norms.size(), 300u);
  EXPECT_LT(r.first.final_value, 0.5 * r.first.initial_value);
  EXPECT_LT(r.second.final_value, 0.5 * r.second.initial_value);
  EXPECT_EQ(r.second.initial_value, r.first.initial_value) << "both passes start at x0";
}

// FedAU over six clients, each its own copy of the network (clients run in parallel threads,
// and a TorchProblem's calls write its module) and its own rows of the teacher data.
convlab::federated::ServerState federated_run(const Data& d, int threads) {
  namespace cf = convlab::federated;
  std::vector<torch::nn::Sequential> nets;
  std::vector<TorchProblem<double>> clients;
  for (std::int64_t n = 0; n < 6; ++n) {
    nets.push_back(make_net(torch::kFloat64));
    clients.push_back(regression<double>(nets.back(), {d.X.slice(0, 20 * n, 20 * n + 20), d.y.slice(0, 20 * n, 20 * n + 20)}));
  }
  const std::vector<double> p{0.9, 0.7, 0.5, 0.4, 0.3, 0.2};
  cf::Participation part(p, {.seed = 4});
  cf::Aggregator agg(cf::AggregatorKind::FedAU, clients.size(), clients[0].dim());
  cf::InProcessBackend backend(clients[0].dim());
  cf::ServerState s{.x = clients[0].parameters()};
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  cf::run_server(clients, convlab::optim::Sgd<double>(), {.steps = 5, .batch = 8, .lr = 0.05}, part, agg,
                 {.rounds = 40, .eval_every = 10, .seed = 2}, backend, s);
  omp_set_num_threads(before);
  return s;
}

TEST(TorchProblem, TheFederatedSimulatorTrainsANetworkWithTheSameBitsOnOneAndTwoThreads) {
  torch::set_num_threads(1);  // torch's own pool inside the simulator's threads: one each
  const auto d = teacher_data(torch::kFloat64, 120);
  const auto one = federated_run(d, 1), two = federated_run(d, 2);
  ASSERT_FALSE(one.diverged) << one.message;
  EXPECT_EQ(one.x, two.x);
  EXPECT_LT(one.history.back().objective, 0.5 * one.history.front().objective) << "it trained";
}

TEST(TorchProblem, MistakesAreNamed) {
  auto net = make_net(torch::kFloat64);
  const auto d = teacher_data(torch::kFloat64);
  const auto forward = [net](const torch::Tensor& x) mutable { return net->forward(x); };
  const auto mse = [](const torch::Tensor& out, const torch::Tensor& y) { return torch::mse_loss(out, y); };
  try {
    TorchProblem<float>(net->parameters(), forward, mse, d.X, d.y);
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "TorchProblem: parameter 0 has dtype Double; this problem is over Float");
  }
  try {
    TorchProblem<double>(net->parameters(), forward, mse, d.X, d.y.slice(0, 0, 10));
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "TorchProblem: inputs have 40 rows, targets 10; they must agree and be at least 1");
  }
  const TorchProblem<double> per_row(
      net->parameters(), forward,
      [](const torch::Tensor& out, const torch::Tensor& y) { return torch::mse_loss(out, y, torch::Reduction::None); }, d.X, d.y);
  try {
    per_row.value(per_row.parameters());
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("the loss must return one value"), std::string::npos) << e.what();
  }
  const auto f = regression<double>(net, d);
  EXPECT_THROW(f.value(Eigen::VectorXd::Zero(3)), convlab::InvalidArgument);
}

}  // namespace
