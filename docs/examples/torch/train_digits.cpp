// convlab's optimizers in a LibTorch training loop (docs/torch.md): a 64-64-10 network on the
// digits data, minibatches of 64, trained three times — Lion with decoupled weight decay on the
// weight matrices only (two parameter groups) under a warmup-cosine schedule, AdamW, and Lion-κ
// with the nuclear κ (Muon-like) on the weight matrices — then saved with torch::save and
// restored into a fresh optimizer. Each optimizer is one line; the loop is torch's. Built and
// run by CTest (label docs); it fails unless every run reaches 90% test accuracy and Lion's
// weights stay in the box |W| <= 1/λ that its weight decay implies (lion-kappa.md).
#include <convlab/core/random.hpp>
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/problems/data_io.hpp>
#include <convlab/schedules/warmup.hpp>
#include <convlab/torch/optimizer.hpp>

#include <torch/torch.h>

#include <cstdio>
#include <numeric>
#include <sstream>

namespace optim = convlab::optim;
using convlab::libtorch::Optimizer;

struct Data {
  torch::Tensor X_train, y_train, X_test, y_test;
};

// The shipped digits (pixels 0..16 scaled to [0, 1]), a seeded split of 1500 training rows.
Data load_digits() {
  const auto ds = convlab::problems::load_libsvm(CONVLAB_DATA_DIR "/digits.libsvm", {.num_features = 64});
  const Eigen::MatrixXf X = (Eigen::MatrixXd(ds.X) / 16.0).cast<float>();
  std::vector<std::int64_t> order(static_cast<std::size_t>(X.rows()));
  std::iota(order.begin(), order.end(), 0);
  convlab::Rng rng(7);
  convlab::shuffle(order.begin(), order.end(), rng);
  auto rows = torch::empty({X.rows(), 64});
  auto labels = torch::empty({X.rows()}, torch::kLong);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto r = order[i];
    for (int j = 0; j < 64; ++j) rows[static_cast<std::int64_t>(i)][j] = X(r, j);  // column j: LIBSVM index j + 1
    labels[static_cast<std::int64_t>(i)] = static_cast<std::int64_t>(ds.y[r]);
  }
  return {rows.slice(0, 0, 1500), labels.slice(0, 0, 1500), rows.slice(0, 1500), labels.slice(0, 1500)};
}

torch::nn::Sequential make_net() {
  torch::manual_seed(0);
  return torch::nn::Sequential(torch::nn::Linear(64, 64), torch::nn::ReLU(), torch::nn::Linear(64, 10));
}

double accuracy(torch::nn::Sequential& net, const Data& d) {
  torch::NoGradGuard no_grad;
  return net->forward(d.X_test).argmax(1).eq(d.y_test).to(torch::kDouble).mean().item<double>();
}

// Weight matrices and biases as two torch parameter groups.
std::pair<std::vector<torch::Tensor>, std::vector<torch::Tensor>> weights_and_biases(torch::nn::Sequential& net) {
  std::vector<torch::Tensor> weights, biases;
  for (const auto& p : net->named_parameters()) (p.key().find("weight") != std::string::npos ? weights : biases).push_back(p.value());
  return {weights, biases};
}

// One minibatch: forward, backward, step.
void step(torch::nn::Sequential& net, torch::optim::Optimizer& opt, const Data& d, std::int64_t b) {
  opt.zero_grad();
  torch::nn::functional::cross_entropy(net->forward(d.X_train.slice(0, b, b + 64)), d.y_train.slice(0, b, b + 64)).backward();
  opt.step();
}

// torch's loop; group k's lr is scale[k] × schedule(t).
template <class Schedule>
void train(torch::nn::Sequential& net, torch::optim::Optimizer& opt, const Data& d, const Schedule& schedule, int epochs,
           std::vector<double> scale = {1.0, 1.0}) {
  std::int64_t t = 0;
  for (int e = 0; e < epochs; ++e)
    for (std::int64_t b = 0; b < 1500; b += 64, ++t) {
      for (std::size_t k = 0; k < opt.param_groups().size(); ++k) opt.param_groups()[k].options().set_lr(scale[k] * schedule(t));
      step(net, opt, d, b);
    }
}

int main() {
  torch::set_num_threads(1);
  const Data d = load_digits();
  const int epochs = 20;
  const std::int64_t steps = epochs * ((1500 + 63) / 64);
  const auto schedule = convlab::schedules::warmup_cosine(0.0, 3e-3, steps / 10, steps);
  bool ok = true;

  {  // Lion, λ = 2 on the weights: every weight ends in [−1/λ, 1/λ].
    auto net = make_net();
    auto [weights, biases] = weights_and_biases(net);
    using Lion = Optimizer<optim::LionK<float, optim::AnyKappa>>;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(weights, std::make_unique<Lion::Options>(0.0, optim::LionK<float, optim::AnyKappa>({.weight_decay = 2.0})));
    groups.emplace_back(biases);
    Lion opt(std::move(groups), Lion::Options(0.0));
    train(net, opt, d, schedule, epochs);
    double largest = 0;
    for (const auto& w : weights) largest = std::max(largest, w.abs().max().item<double>());
    std::printf("Lion (weight decay 2 on weights), warmup-cosine: test accuracy %.3f, max |W| = %.3f <= 0.5\n", accuracy(net, d), largest);
    ok = ok && accuracy(net, d) >= 0.9 && largest <= 0.5 + 1e-6;

    // Saved with torch::save, restored into a fresh optimizer: the next step is the same.
    std::stringstream archive;
    torch::save(opt, archive);
    auto copy = make_net();
    {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < copy->parameters().size(); ++i) copy->parameters()[i].copy_(net->parameters()[i]);
    }
    auto [w2, b2] = weights_and_biases(copy);
    std::vector<torch::optim::OptimizerParamGroup> groups2;
    groups2.emplace_back(w2, std::make_unique<Lion::Options>(0.0, optim::LionK<float, optim::AnyKappa>({.weight_decay = 2.0})));
    groups2.emplace_back(b2);
    Lion restored(std::move(groups2), Lion::Options(0.0));
    torch::load(restored, archive);
    step(net, opt, d, 0);
    step(copy, restored, d, 0);
    bool same = true;
    for (std::size_t i = 0; i < net->parameters().size(); ++i) same = same && torch::equal(net->parameters()[i], copy->parameters()[i]);
    std::printf("saved and restored: the next step %s\n", same ? "is the same" : "DIFFERS");
    ok = ok && same;
  }
  {  // AdamW (decoupled weight decay 0.01 on every tensor).
    auto net = make_net();
    using AdamW = Optimizer<optim::AdamW<float>>;
    AdamW opt(net->parameters(), AdamW::Options(0.0));
    train(net, opt, d, schedule, epochs);
    std::printf("AdamW, warmup-cosine: test accuracy %.3f\n", accuracy(net, d));
    ok = ok && accuracy(net, d) >= 0.9;
  }
  {  // Lion-κ with the nuclear κ (each weight matrix steps by its polar factor), sign on biases.
    auto net = make_net();
    auto [weights, biases] = weights_and_biases(net);
    using LionK = Optimizer<optim::LionK<float, optim::AnyKappa>>;
    std::vector<torch::optim::OptimizerParamGroup> groups;
    groups.emplace_back(weights, std::make_unique<LionK::Options>(0.0, optim::LionK<float, optim::AnyKappa>({}, optim::NuclearK{})));
    groups.emplace_back(biases);
    LionK opt(std::move(groups), LionK::Options(0.0));
    const auto nuclear_schedule = convlab::schedules::warmup_cosine(0.0, 0.05, steps / 10, steps);
    train(net, opt, d, nuclear_schedule, epochs, {1.0, 0.06});  // the biases' sign steps at 3e-3
    std::printf("Lion-kappa (nuclear on weights), warmup-cosine: test accuracy %.3f\n", accuracy(net, d));
    ok = ok && accuracy(net, d) >= 0.9;
  }
  return ok ? 0 : 1;
}
