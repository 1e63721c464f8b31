#include "fit/network_model.hpp"

#include <cmath>
#include <sstream>

#include <boost/random/uniform_real_distribution.hpp>
#include <convlab/core/errors.hpp>
#include <convlab/core/random.hpp>
#include <convlab/torch/problem.hpp>
#include <fmt/format.h>
#include <torch/torch.h>

namespace convlab::experiments {

namespace {

torch::nn::AnyModule activation(const std::string& name) {
  if (name == "relu") return torch::nn::AnyModule(torch::nn::ReLU());
  if (name == "tanh") return torch::nn::AnyModule(torch::nn::Tanh());
  if (name == "sigmoid") return torch::nn::AnyModule(torch::nn::Sigmoid());
  if (name == "gelu") return torch::nn::AnyModule(torch::nn::GELU());
  throw InvalidArgument("network: unknown activation '" + name + "' (relu | tanh | sigmoid | gelu)");
}

/// The square images a cnn reads its rows as: side s with s² = d and s divisible by 4 (two 2×2
/// poolings).
long long image_side(Eigen::Index d) {
  const auto s = static_cast<long long>(std::llround(std::sqrt(static_cast<double>(d))));
  if (s * s != d || s < 4 || s % 4 != 0)
    throw InvalidArgument(fmt::format("network: a cnn reads each row as a square image of s × s pixels with s divisible by 4 "
                                      "(8 × 8 = 64, 28 × 28 = 784 features), but the data has {} features",
                                      d));
  return s;
}

torch::nn::Sequential build(const NetworkSpec& spec, Eigen::Index inputs, Eigen::Index outputs) {
  torch::nn::Sequential net;
  long long width = inputs;
  if (spec.kind == "cnn") {  // LeNet-like: (5×5 conv, activation, 2×2 max-pool) twice, then the dense layers
    const long long s = image_side(inputs);
    if (spec.channels.size() != 2) throw InvalidArgument("network: a cnn has two convolutions: give two channel counts");
    net->push_back(torch::nn::Unflatten(torch::nn::UnflattenOptions(1, {1, s, s})));
    long long in = 1;
    for (long long c : spec.channels) {
      net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, c, 5).padding(2)));
      net->push_back(activation(spec.activation));
      net->push_back(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(2)));
      in = c;
    }
    net->push_back(torch::nn::Flatten());
    width = in * (s / 4) * (s / 4);
  } else if (spec.kind != "mlp") {
    throw InvalidArgument("network: unknown kind '" + spec.kind + "' (mlp | cnn)");
  }
  for (long long h : spec.hidden) {
    net->push_back(torch::nn::Linear(width, h));
    net->push_back(activation(spec.activation));
    width = h;
  }
  net->push_back(torch::nn::Linear(width, outputs));
  net->to(torch::kDouble);
  return net;
}

/// Row-major float64 copy of X: one sample per row, as torch reads it.
torch::Tensor rows_of(const MatX<double>& X) {
  auto t = torch::empty({X.rows(), X.cols()}, torch::kDouble);
  Eigen::Map<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(t.data_ptr<double>(), X.rows(), X.cols()) = X;
  return t;
}

}  // namespace

struct NetworkProblem::Impl {
  NetworkSpec spec;
  Eigen::Index features = 0, outputs = 0;
  torch::nn::Sequential net;
  torch::Tensor inputs;  // shared with the problem (torch tensors are references)
  libtorch::TorchProblem<double> problem;
  VecX<double> y;  // the targets (labels for cross_entropy)
  double total_weight = 0;  // Σw (n without weights)
  bool weighted = false;
  double batch_scale = 1;   // (Σw/n) / the mean weight batches are drawn at (set_minibatch_mean_weight)
};

NetworkProblem::NetworkProblem(const NetworkSpec& spec, const MatX<double>& X, const VecX<double>& y, Eigen::Index outputs,
                               const VecX<double>& w) {
  const Eigen::Index n = X.rows();
  const bool classes = spec.loss == "cross_entropy";
  if (!classes && spec.loss != "squared_error") throw InvalidArgument("network: unknown loss '" + spec.loss + "' (cross_entropy | squared_error)");
  if (classes ? outputs < 2 : outputs != 1)
    throw InvalidArgument(fmt::format("network: {} outputs; cross_entropy needs one per class (>= 2), squared_error one", outputs));
  if (y.size() != n || (w.size() && w.size() != n))
    throw InvalidArgument(fmt::format("network: {} rows, {} targets, {} weights", n, y.size(), w.size()));
  if (n == 0) throw InvalidArgument("network: no rows");
  for (long long h : spec.hidden)
    if (h < 1) throw InvalidArgument("network: a hidden layer of width " + std::to_string(h));
  if (classes)
    for (Eigen::Index i = 0; i < n; ++i)
      if (!(y[i] >= 0 && y[i] < static_cast<double>(outputs) && y[i] == std::floor(y[i])))
        throw InvalidArgument(fmt::format("network: row {} (counting data rows from 1) has label {}; cross_entropy takes the "
                                          "classes 0 … {}",
                                          i + 1, y[i], outputs - 1));
  // targets: the label (or value) and the row's weight factor wᵢ·n/Σw (1 without weights)
  auto targets = torch::ones({n, 2}, torch::kDouble);
  auto acc = targets.accessor<double, 2>();
  for (Eigen::Index i = 0; i < w.size(); ++i)
    if (!(w[i] >= 0 && std::isfinite(w[i])))
      throw InvalidArgument(fmt::format("network: row {} (counting data rows from 1) has weight {}; weights are finite and >= 0", i + 1, w[i]));
  const double total = w.size() ? w.sum() : static_cast<double>(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    acc[i][0] = y[i];
    if (w.size()) acc[i][1] = total > 0 ? w[i] * static_cast<double>(n) / total : 0.0;
  }
  auto net = build(spec, X.cols(), outputs);
  auto forward = [net](const torch::Tensor& in) mutable { return net->forward(in); };
  auto loss = [classes](const torch::Tensor& out, const torch::Tensor& t) {
    const auto target = t.select(1, 0), factor = t.select(1, 1);
    namespace F = torch::nn::functional;
    const auto per_row = classes ? F::cross_entropy(out, target.to(torch::kLong), F::CrossEntropyFuncOptions().reduction(torch::kNone))
                                 : 0.5 * (out.squeeze(1) - target).square();
    return (per_row * factor).mean();
  };
  const auto inputs = rows_of(X);
  impl_ = std::make_unique<Impl>(Impl{spec, X.cols(), outputs, net, inputs,
                                      libtorch::TorchProblem<double>(net->parameters(), forward, loss, inputs, targets), y, total,
                                      w.size() > 0});
}

NetworkProblem::~NetworkProblem() = default;
NetworkProblem::NetworkProblem(NetworkProblem&&) noexcept = default;
NetworkProblem& NetworkProblem::operator=(NetworkProblem&&) noexcept = default;

Eigen::Index NetworkProblem::dim() const { return impl_->problem.dim(); }
Eigen::Index NetworkProblem::num_samples() const { return impl_->problem.num_samples(); }
Eigen::Index NetworkProblem::num_features() const { return impl_->features; }
Eigen::Index NetworkProblem::num_outputs() const { return impl_->outputs; }
double NetworkProblem::total_weight() const { return impl_->total_weight; }
bool NetworkProblem::weighted() const { return impl_->weighted; }
void NetworkProblem::set_minibatch_mean_weight(double m) {
  if (!(m > 0 && std::isfinite(m))) throw InvalidArgument(fmt::format("network: a mean weight of {}; expected 0 < m < inf", m));
  impl_->batch_scale = impl_->total_weight / static_cast<double>(num_samples()) / m;
}

double NetworkProblem::value(In<double> x) const { return impl_->problem.value(x); }
double NetworkProblem::value_and_gradient(In<double> x, Out<double> g) const { return impl_->problem.value_and_gradient(x, g); }
// The rows' factors wᵢ·n/Σw hold this block's mean weight; batch_scale moves them to the data's.
double NetworkProblem::value(In<double> x, Batch batch) const {
  return impl_->batch_scale * impl_->problem.value(x, batch);
}
void NetworkProblem::gradient(In<double> x, Batch batch, Out<double> g) const {
  impl_->problem.gradient(x, batch, g);
  g *= impl_->batch_scale;
}

VecX<double> NetworkProblem::initial_parameters(std::uint64_t seed) const {
  Rng rng(seed);
  VecX<double> x(dim());
  Eigen::Index at = 0;
  double bound = 1;
  for (const auto& p : impl_->net->parameters()) {
    if (p.dim() >= 2) bound = 1 / std::sqrt(static_cast<double>(p.numel() / p.size(0)));  // a weight: fan_in = its row length
    boost::random::uniform_real_distribution<double> u(-bound, bound);                    // a bias takes its weight's bound
    for (std::int64_t k = 0; k < p.numel(); ++k) x[at++] = u(rng);
  }
  return x;
}

MatX<double> NetworkProblem::outputs(In<double> x) const {
  impl_->problem.set_parameters(x);
  torch::NoGradGuard no_grad;
  const auto out = impl_->net->forward(impl_->inputs).contiguous();
  return Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(out.data_ptr<double>(), out.size(0),
                                                                                                  out.size(1));
}

bool NetworkProblem::classifies() const { return impl_->spec.loss == "cross_entropy"; }

double NetworkProblem::accuracy(In<double> x) const {
  if (!classifies()) throw InvalidArgument("network: accuracy needs cross_entropy (class labels); this network has squared_error");
  const MatX<double> out = outputs(x);
  Eigen::Index right = 0;
  for (Eigen::Index i = 0; i < out.rows(); ++i) {
    Eigen::Index k = 0;
    out.row(i).maxCoeff(&k);
    right += static_cast<double>(k) == impl_->y[i];
  }
  return static_cast<double>(right) / static_cast<double>(out.rows());
}

std::string NetworkProblem::describe() const {
  std::ostringstream os;
  os << *impl_->net;
  return os.str();
}

}  // namespace convlab::experiments
