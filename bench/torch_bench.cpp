// The LibTorch bridge's speed (issue 22, item 4), each figure against LibTorch itself in the
// same process:
// - an optimizer step over a model's parameters: convlab's Lion and AdamW through the
//   torch::optim::Optimizer adapter against torch::optim::AdamW and a Lion written with
//   LibTorch's in-place tensor ops (the fastest torch form; bench/peers/optim_torch.py is its
//   Python twin). The model is four square Linear layers of width w, 4(w² + w) float32 values:
//   w = 158, 500, 1581 give 1.0e5, 1.0e6, 1.0e7 parameters; gradients are fixed random tensors.
// - a TorchProblem evaluation (x copied in, forward, loss, backward, gradients copied out)
//   against the plain LibTorch forward/backward it wraps, on the same network and rows.
// Threads 1 and 2 (torch::set_num_threads also sets OpenMP's count, which convlab's step uses).
// `--smoke` runs tiny sizes so CTest can execute every benchmark once.
#include <benchmark/benchmark.h>

#include "smoke_main.hpp"

#include <convlab/optim/adamw.hpp>
#include <convlab/optim/lion_k.hpp>
#include <convlab/torch/optimizer.hpp>
#include <convlab/torch/problem.hpp>

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

namespace co = convlab::optim;
namespace cl = convlab::libtorch;

namespace {
using convlab::bench::smoke;

constexpr double kLr = 1e-4, kWeightDecay = 1e-2, kBeta1 = 0.9, kBeta2 = 0.99;

// Four square layers with random gradients; torch's seed fixed so every benchmark sees the same.
struct Model {
  explicit Model(std::int64_t w) {
    torch::manual_seed(0);
    for (int l = 0; l < 4; ++l) net->push_back(torch::nn::Linear(w, w));
    for (auto& p : net->parameters()) p.mutable_grad() = torch::randn_like(p);
  }
  std::int64_t numel() const {
    std::int64_t n = 0;
    for (const auto& p : net->parameters()) n += p.numel();
    return n;
  }
  torch::nn::Sequential net;
};

std::int64_t width_of(const benchmark::State& st) { return smoke ? 16 : st.range(0); }

template <class Step>
void time_steps(benchmark::State& st, const Model& model, Step&& step) {
  torch::set_num_threads(static_cast<int>(st.range(1)));
  step();  // the first step allocates the state: init's cost, not a step's
  for (auto _ : st) {
    step();
    benchmark::ClobberMemory();
  }
  st.SetItemsProcessed(st.iterations() * model.numel());
  st.counters["params"] = static_cast<double>(model.numel());
}

template <class Opt>
void BM_Convlab(benchmark::State& st, Opt optimizer) {
  Model model(width_of(st));
  cl::Optimizer<Opt> opt(model.net->parameters(), typename cl::Optimizer<Opt>::Options(kLr, std::move(optimizer)));
  time_steps(st, model, [&] { opt.step(); });
}

void BM_ConvlabLion(benchmark::State& st) {
  BM_Convlab(st, co::Lion<float>({.beta1 = kBeta1, .beta2 = kBeta2, .weight_decay = kWeightDecay}));
}
void BM_ConvlabAdamW(benchmark::State& st) { BM_Convlab(st, co::AdamW<float>({.weight_decay = kWeightDecay})); }

void BM_TorchAdamW(benchmark::State& st) {
  Model model(width_of(st));
  torch::optim::AdamW opt(model.net->parameters(), torch::optim::AdamWOptions(kLr).weight_decay(kWeightDecay));
  time_steps(st, model, [&] { opt.step(); });
}

// Lion (Chen et al. 2023, Algorithm 2) in LibTorch's in-place ops, one scratch tensor per
// parameter so no step allocates.
void BM_TorchLion(benchmark::State& st) {
  Model model(width_of(st));
  auto params = model.net->parameters();
  std::vector<torch::Tensor> m, c;
  for (const auto& p : params) {
    m.push_back(torch::zeros_like(p));
    c.push_back(torch::empty_like(p));
  }
  time_steps(st, model, [&] {
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto& g = params[i].grad();
      torch::mul_out(c[i], m[i], kBeta1).add_(g, 1 - kBeta1);
      params[i].mul_(1 - kLr * kWeightDecay).add_(c[i].sign_(), -kLr);
      m[i].mul_(kBeta2).add_(g, 1 - kBeta2);
    }
  });
}

// A TorchProblem evaluation against the plain LibTorch evaluation it wraps, on one network
// (inputs → hidden → hidden → 10, tanh, cross-entropy over random rows). Each iteration times
// one of each, alternating, so drifts of this shared machine hit both alike; the counters are
// the medians and their ratio. The plain side is what a LibTorch loop writes: gradients set to
// none, forward, loss, backward, the loss read. TorchProblem also copies x into the parameters
// and the gradients out, and for a minibatch gathers its rows by index (index_select), while
// the plain side is handed its batch's rows already gathered.
struct Classifier {
  Classifier(std::int64_t inputs, std::int64_t hidden, std::int64_t rows) {
    torch::manual_seed(0);
    net = torch::nn::Sequential(torch::nn::Linear(inputs, hidden), torch::nn::Tanh(), torch::nn::Linear(hidden, hidden),
                                torch::nn::Tanh(), torch::nn::Linear(hidden, 10));
    X = torch::randn({rows, inputs});
    y = torch::randint(10, {rows});
  }
  static torch::Tensor loss(const torch::Tensor& out, const torch::Tensor& y) { return torch::nn::functional::cross_entropy(out, y); }
  torch::nn::Sequential net{nullptr};
  torch::Tensor X, y;
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
  return v[v.size() / 2];
}

template <class Fn>
double seconds(Fn&& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Arguments: inputs, hidden width, rows, batch (0: all rows, value_and_gradient), threads.
void BM_TorchProblemOverhead(benchmark::State& st) {
  torch::set_num_threads(static_cast<int>(st.range(4)));
  auto c = smoke ? Classifier(8, 8, 16) : Classifier(st.range(0), st.range(1), st.range(2));
  const std::int64_t rows = c.X.size(0), batch = st.range(3) == 0 ? rows : std::min(st.range(3), rows);
  cl::TorchProblem<float> f(
      c.net->parameters(), [&](const torch::Tensor& x) { return c.net->forward(x); }, Classifier::loss, c.X, c.y);
  const Eigen::VectorXf x = f.parameters();
  Eigen::VectorXf g(f.dim());
  std::vector<Eigen::Index> indices(static_cast<std::size_t>(batch));
  std::iota(indices.begin(), indices.end(), Eigen::Index{0});
  const auto Xb = c.X.narrow(0, 0, batch), yb = c.y.narrow(0, 0, batch);
  std::vector<double> plain, ours;
  float value = 0;
  for (auto _ : st) {
    plain.push_back(seconds([&] {
      c.net->zero_grad(/*set_to_none=*/true);
      auto loss = Classifier::loss(c.net->forward(Xb), yb);
      loss.backward();
      value = loss.item<float>();
    }));
    ours.push_back(seconds([&] {
      if (batch == rows) value = f.value_and_gradient(x, g);
      else f.gradient(x, indices, g);
    }));
    benchmark::DoNotOptimize(value);
  }
  const double p = median(plain), o = median(ours);
  st.counters["plain_us"] = 1e6 * p;
  st.counters["problem_us"] = 1e6 * o;
  st.counters["overhead"] = o / p - 1;
  st.counters["params"] = static_cast<double>(f.dim());
}

void step_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"w", "threads"})->Unit(benchmark::kMillisecond)->UseRealTime();
  for (const std::int64_t w : {158, 500, 1581})
    for (const std::int64_t t : {1, 2}) b->Args({w, t});
}

// The digits network of the reproductions' size (64 → 128 → 128 → 10) on 1437 rows and a wider
// one on 784 inputs (28×28 images) with 512 rows; all rows, and minibatches of 64.
void problem_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"in", "hidden", "rows", "batch", "threads"})->Unit(benchmark::kMicrosecond)->UseRealTime();
  for (const std::int64_t t : {1, 2})
    for (const std::int64_t batch : {0, 64}) {
      b->Args({64, 128, 1437, batch, t});
      b->Args({784, 512, 512, batch, t});
    }
}

BENCHMARK(BM_ConvlabLion)->Apply(step_args);
BENCHMARK(BM_TorchLion)->Apply(step_args);
BENCHMARK(BM_ConvlabAdamW)->Apply(step_args);
BENCHMARK(BM_TorchAdamW)->Apply(step_args);
BENCHMARK(BM_TorchProblemOverhead)->Apply(problem_args);

}  // namespace

int main(int argc, char** argv) { return convlab::bench::run(argc, argv); }
