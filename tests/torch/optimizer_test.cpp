// convlab optimizers as torch::optim::Optimizer (torch/optimizer.hpp): AdamW against torch's own
// AdamW under torch's StepLR, clipped Nesterov SGD (a chain) against clipping + torch's SGD, Lion
// against Lion written with torch ops, the nuclear κ against U Vᵀ from torch's SVD, groups against
// separate optimizers, save/load resuming to the same bits, and the mistakes a user makes named.
#include <convlab/optim/adamw.hpp>
#include <convlab/optim/any_kappa.hpp>
#include <convlab/optim/chain.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/optim/sgd.hpp>
#include <convlab/torch/optimizer.hpp>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <sstream>

namespace co = convlab::optim;
namespace cl = convlab::libtorch;

namespace {

struct Net : torch::nn::Module {
  explicit Net(torch::Dtype dtype) {
    fc1 = register_module("fc1", torch::nn::Linear(8, 16));
    fc2 = register_module("fc2", torch::nn::Linear(16, 1));
    to(dtype);
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2->forward(torch::tanh(fc1->forward(x))); }
  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};

std::shared_ptr<Net> make_net(torch::Dtype dtype, std::uint64_t seed = 0) {
  torch::manual_seed(seed);
  return std::make_shared<Net>(dtype);
}

// A copy with the same parameter values.
std::shared_ptr<Net> twin_of(const std::shared_ptr<Net>& net, torch::Dtype dtype) {
  auto twin = make_net(dtype, 99);
  torch::NoGradGuard no_grad;
  auto a = net->parameters(), b = twin->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) b[i].copy_(a[i]);
  return twin;
}

void backward(Net& net, const torch::Tensor& X, const torch::Tensor& y) {
  net.zero_grad();
  torch::mse_loss(net.forward(X), y).backward();
}

double max_difference(const std::shared_ptr<Net>& a, const std::shared_ptr<Net>& b) {
  double d = 0;
  auto pa = a->parameters(), pb = b->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) d = std::max(d, (pa[i] - pb[i]).abs().max().item<double>());
  return d;
}

TEST(TorchOptimizer, AdamWEqualsTorchsAdamWUnderTorchsStepLR) {
  auto net = make_net(torch::kFloat64);
  auto twin = twin_of(net, torch::kFloat64);
  torch::manual_seed(1);
  const auto X = torch::randn({64, 8}, torch::kFloat64), y = torch::randn({64, 1}, torch::kFloat64);
  using AdamW = cl::Optimizer<co::AdamW<double>>;
  AdamW ours(net->parameters(), AdamW::Options(1e-2, co::AdamW<double>({.weight_decay = 0.1})));
  torch::optim::AdamW theirs(twin->parameters(), torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
  torch::optim::StepLR s1(ours, 5, 0.5), s2(theirs, 5, 0.5);
  for (int t = 0; t < 20; ++t) {
    backward(*net, X, y);
    backward(*twin, X, y);
    ours.step();
    theirs.step();
    s1.step();
    s2.step();
  }
  EXPECT_LT(max_difference(net, twin), 1e-12);
  EXPECT_GT((net->fc1->weight - make_net(torch::kFloat64)->fc1->weight).abs().max().item<double>(), 1e-3) << "it moved";
}

// Clipping written with torch ops (torch's clip_grad_norm_ adds 1e-6 to the norm; ClipByGlobalNorm
// does not). Returns whether it clipped.
bool clip_by_global_norm(const std::vector<torch::Tensor>& params, double max_norm) {
  double sq = 0;
  for (const auto& p : params) sq += p.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(sq);
  if (norm <= max_norm) return false;
  for (const auto& p : params) p.grad().mul_(max_norm / norm);
  return true;
}

TEST(TorchOptimizer, ClippedNesterovEqualsClippingAndTorchsSGD) {
  auto net = make_net(torch::kFloat64);
  auto twin = twin_of(net, torch::kFloat64);
  torch::manual_seed(2);
  const auto X = torch::randn({64, 8}, torch::kFloat64), y = 3 * torch::randn({64, 1}, torch::kFloat64);
  using Clipped = cl::Optimizer<co::Chain<co::Sgd<double>, co::ClipByGlobalNorm>>;
  Clipped ours(net->parameters(),
               Clipped::Options(0.05, co::chain(co::ClipByGlobalNorm{0.5},
                                                co::Sgd<double>({.momentum = 0.9, .weight_decay = 1e-3, .nesterov = true}))));
  torch::optim::SGD theirs(twin->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(1e-3).nesterov(true));
  int clipped = 0;
  for (int t = 0; t < 30; ++t) {
    backward(*net, X, y);
    backward(*twin, X, y);
    clipped += clip_by_global_norm(twin->parameters(), 0.5);
    ours.step();
    theirs.step();
  }
  EXPECT_GT(clipped, 5) << "the clipping was exercised";
  EXPECT_LT(max_difference(net, twin), 1e-12);
}

TEST(TorchOptimizer, LionEqualsLionWrittenWithTorchOpsAndGroupsKeepTheirOwnOptions) {
  auto net = make_net(torch::kFloat32);
  auto twin = twin_of(net, torch::kFloat32);
  torch::manual_seed(2);
  const auto X = torch::randn({64, 8}), y = torch::randn({64, 1});
  // Weights with weight decay 0.5, biases without: two torch groups, each its own Lion.
  using Lion = cl::Optimizer<co::LionK<float, co::AnyKappa>>;
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{net->fc1->weight, net->fc2->weight},
                      std::make_unique<Lion::Options>(1e-3, co::LionK<float, co::AnyKappa>({.weight_decay = 0.5})));
  groups.emplace_back(std::vector<torch::Tensor>{net->fc1->bias, net->fc2->bias});
  Lion ours(std::move(groups), Lion::Options(1e-3));
  std::vector<torch::Tensor> m;
  for (const auto& p : twin->parameters()) m.push_back(torch::zeros_like(p));
  for (int t = 0; t < 30; ++t) {
    backward(*net, X, y);
    backward(*twin, X, y);
    ours.step();
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> p{twin->fc1->weight, twin->fc1->bias, twin->fc2->weight, twin->fc2->bias};
    for (std::size_t i = 0; i < p.size(); ++i) {
      const double wd = (i % 2 == 0) ? 0.5 : 0.0;
      const auto c = 0.9 * m[i] + 0.1 * p[i].grad();
      p[i].mul_(1 - 1e-3 * wd).add_(torch::sign(c), -1e-3);
      m[i] = 0.99 * m[i] + 0.01 * p[i].grad();
    }
  }
  EXPECT_LT(max_difference(net, twin), 1e-5);  // float32; a flipped sign would move a value by 2e-3
}

TEST(TorchOptimizer, NuclearKappaStepsEachWeightMatrixByItsPolarFactor) {
  // β₁ = β₂ = 0 and no weight decay: one step is W ← W − lr·msign(G); compare with U Vᵀ from
  // torch's SVD of the gradient matrix (as torch stores it: out × in).
  torch::manual_seed(3);
  auto W = torch::randn({6, 4}, torch::kFloat64).requires_grad_(true);
  const auto G = torch::randn({6, 4}, torch::kFloat64);
  W.mutable_grad() = G.clone();
  const auto W0 = W.detach().clone();
  using Lion = cl::Optimizer<co::LionK<double, co::NuclearK>>;
  Lion opt(std::vector<torch::Tensor>{W}, Lion::Options(0.1, co::LionK<double, co::NuclearK>({.beta1 = 0, .beta2 = 0})));
  opt.step();
  const auto [U, S, Vh] = torch::linalg_svd(G, false);
  const auto expected = W0 - 0.1 * torch::matmul(U, Vh);
  EXPECT_LT((W.detach() - expected).abs().max().item<double>(), 1e-9);
}

TEST(TorchOptimizer, NuclearKappaRunsRepeatBitForBit) {
  torch::manual_seed(3);
  const auto X = torch::randn({128, 64}), y = torch::randint(0, 10, {128}, torch::kLong);
  using LionK = cl::Optimizer<co::LionK<float, co::AnyKappa>>;
  auto run = [&] {
    torch::manual_seed(0);
    torch::nn::Sequential net(torch::nn::Linear(64, 64), torch::nn::ReLU(), torch::nn::Linear(64, 10));
    LionK opt(net->parameters(), LionK::Options(3e-2, co::LionK<float, co::AnyKappa>({.weight_decay = 0.1}, co::NuclearK{})));
    for (int t = 0; t < 60; ++t) {
      opt.zero_grad();
      torch::nn::functional::cross_entropy(net->forward(X), y).backward();
      opt.step();
    }
    return net->parameters();
  };
  const auto a = run();
  for (int r = 0; r < 5; ++r) {
    const auto b = run();
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << "tensor " << i << ", repeat " << r;
  }
}

TEST(TorchOptimizer, SavedAndLoadedStateResumesToTheSameBits) {
  torch::manual_seed(4);
  const auto X = torch::randn({32, 8}), y = torch::randn({32, 1});
  using AdamW = cl::Optimizer<co::AdamW<float>>;
  auto straight = make_net(torch::kFloat32);
  auto resumed = twin_of(straight, torch::kFloat32);
  AdamW a(straight->parameters(), AdamW::Options(1e-2));
  torch::optim::StepLR sa(a, 3, 0.5);
  for (int t = 0; t < 10; ++t) {
    backward(*straight, X, y);
    a.step();
    sa.step();
  }
  std::stringstream archive;
  {
    AdamW first(resumed->parameters(), AdamW::Options(1e-2));
    torch::optim::StepLR s(first, 3, 0.5);
    for (int t = 0; t < 4; ++t) {
      backward(*resumed, X, y);
      first.step();
      s.step();
    }
    torch::save(first, archive);
  }
  AdamW second(resumed->parameters(), AdamW::Options(1.0));  // the lr comes from the archive
  torch::load(second, archive);
  // LibTorch's C++ schedulers keep no state to save: halve the lr where StepLR(3, 0.5) would
  // (its k-th step() halves when k − 1 is a positive multiple of 3: after steps 3, 6, 9).
  for (int t = 4; t < 10; ++t) {
    backward(*resumed, X, y);
    second.step();
    if (t % 3 == 0) second.param_groups()[0].options().set_lr(second.param_groups()[0].options().get_lr() * 0.5);
  }
  EXPECT_EQ(max_difference(straight, resumed), 0.0);
  // Another optimizer's options refuse the archive, naming the difference.
  std::stringstream again;
  torch::save(second, again);
  AdamW other(resumed->parameters(), AdamW::Options(1e-2, co::AdamW<float>({.beta2 = 0.99})));
  try {
    torch::load(other, again);
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_NE(std::string(e.what()).find("beta2"), std::string::npos) << e.what();
  }
}

TEST(TorchOptimizer, MistakesAreNamed) {
  using AdamW = cl::Optimizer<co::AdamW<float>>;
  auto p = torch::zeros({3, 4}, torch::kFloat64).requires_grad_(true);
  p.mutable_grad() = torch::zeros({3, 4}, torch::kFloat64);
  AdamW wrong_dtype(std::vector<torch::Tensor>{p}, AdamW::Options(1e-3));
  try {
    wrong_dtype.step();
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "parameter 0 of group 0 has dtype Double; this optimizer steps Float");
  }
  auto q = torch::zeros({4, 3}).t().requires_grad_(true);  // a transposed view: not contiguous
  q.mutable_grad() = torch::zeros({3, 4});
  AdamW strided(std::vector<torch::Tensor>{q}, AdamW::Options(1e-3));
  EXPECT_THROW(strided.step(), convlab::InvalidArgument);
  auto r = torch::zeros({5}).requires_grad_(true);
  AdamW no_grad(std::vector<torch::Tensor>{r}, AdamW::Options(1e-3));
  try {
    no_grad.step();
    ADD_FAILURE() << "no error";
  } catch (const convlab::InvalidArgument& e) {
    EXPECT_STREQ(e.what(), "convlab::libtorch::Optimizer::step: parameter 0 of group 0 has no gradient");
  }
}

}  // namespace
