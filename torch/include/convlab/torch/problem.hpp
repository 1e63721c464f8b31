#pragma once
/// \file
/// A LibTorch network, its loss and its data as a convlab `FiniteSum` problem over the flat
/// vector of its parameters (docs/torch.md), so that `minimize`, schedules, refinement and
/// every convlab optimizer run on networks unchanged; autograd gives the gradients.
///
///     auto net = torch::nn::Sequential(torch::nn::Linear(64, 32), torch::nn::Tanh(), torch::nn::Linear(32, 10));
///     convlab::libtorch::TorchProblem<float> f(net->parameters(), [&](const torch::Tensor& x) { return net->forward(x); },
///                                              [](const torch::Tensor& out, const torch::Tensor& y) {
///                                                return torch::nn::functional::cross_entropy(out, y); }, X, y);
///     Eigen::VectorXf x = f.parameters();                     // the network's current weights
///     auto summary = convlab::optim::minimize(f, opt, x, {.max_iterations = 2000, .batch_size = 64});
///     f.set_parameters(x);                                    // write the result into the network
///
/// x is laid out as the parameters in the order given, each in its own (row-major) memory order.
/// The loss must be the MEAN over the rows it is given (torch's default reduction): the value
/// and gradient of a batch are then means over the batch, as `FiniteSum` requires. Each call
/// writes x into the parameters, so the module holds the last x evaluated (not necessarily the
/// last iterate: call `set_parameters`). Not for concurrent use: calls share the module.

#include <torch/torch.h>

#include <convlab/core/errors.hpp>
#include <convlab/problems/concepts.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace convlab::libtorch {

template <class S = float>
class TorchProblem {
  static_assert(sizeof(Eigen::Index) == sizeof(std::int64_t), "batch indices are read as torch::kLong");

 public:
  using Scalar = S;
  using Forward = std::function<::torch::Tensor(const ::torch::Tensor& inputs)>;
  using Loss = std::function<::torch::Tensor(const ::torch::Tensor& outputs, const ::torch::Tensor& targets)>;

  /// `params`: the tensors x stands for (typically `module->parameters()`), dense, contiguous CPU
  /// tensors of scalar type S. `inputs` and `targets` hold one sample per row (dimension 0).
  TorchProblem(std::vector<::torch::Tensor> params, Forward forward, Loss loss, ::torch::Tensor inputs, ::torch::Tensor targets)
      : params_(std::move(params)), forward_(std::move(forward)), loss_(std::move(loss)), inputs_(std::move(inputs)),
        targets_(std::move(targets)) {
    if (params_.empty()) throw InvalidArgument("TorchProblem: no parameters");
    if (!forward_ || !loss_) throw InvalidArgument("TorchProblem: the forward function and the loss must be given");
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& p = params_[i];
      const std::string what = "TorchProblem: parameter " + std::to_string(i);
      if (!p.defined() || !p.device().is_cpu() || p.layout() != ::torch::kStrided || !p.is_contiguous())
        throw InvalidArgument(what + " is not a dense, contiguous CPU tensor");
      if (p.scalar_type() != ::c10::CppTypeToScalarType<S>::value)
        throw InvalidArgument(what + " has dtype " + std::string(::c10::toString(p.scalar_type())) + "; this problem is over " +
                              std::string(::c10::toString(::c10::CppTypeToScalarType<S>::value)));
      if (!p.requires_grad()) throw InvalidArgument(what + " does not require a gradient; leave frozen tensors out");
      offsets_.push_back(dim_);
      dim_ += p.numel();
    }
    if (!inputs_.defined() || !targets_.defined() || inputs_.dim() == 0 || targets_.dim() == 0)
      throw InvalidArgument("TorchProblem: inputs and targets need one sample per row");
    if (inputs_.size(0) != targets_.size(0) || inputs_.size(0) == 0)
      throw InvalidArgument("TorchProblem: inputs have " + std::to_string(inputs_.size(0)) + " rows, targets " +
                            std::to_string(targets_.size(0)) + "; they must agree and be at least 1");
  }

  Eigen::Index dim() const { return dim_; }
  Eigen::Index num_samples() const { return inputs_.size(0); }

  /// The parameters' current values as one vector (a starting point).
  VecX<S> parameters() const {
    VecX<S> x(dim_);
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto p = params_[i].detach();
      std::copy_n(p.template data_ptr<S>(), p.numel(), x.data() + offsets_[i]);
    }
    return x;
  }

  /// Writes x into the parameters.
  void set_parameters(In<S> x) const {
    if (x.size() != dim_)
      throw InvalidArgument("TorchProblem: x has " + std::to_string(x.size()) + " entries; the parameters " + std::to_string(dim_));
    ::torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i)
      std::copy_n(x.data() + offsets_[i], params_[i].numel(), params_[i].template data_ptr<S>());
  }

  S value(In<S> x) const { return loss_at(x, inputs_, targets_); }
  S value(In<S> x, Batch batch) const {
    const auto idx = indices(batch);
    return loss_at(x, inputs_.index_select(0, idx), targets_.index_select(0, idx));
  }
  S value_and_gradient(In<S> x, Out<S> g) const { return backward_at(x, inputs_, targets_, g); }
  void gradient(In<S> x, Batch batch, Out<S> g) const {
    const auto idx = indices(batch);
    (void)backward_at(x, inputs_.index_select(0, idx), targets_.index_select(0, idx), g);
  }

 private:
  ::torch::Tensor indices(Batch batch) const {
    if (batch.empty()) throw InvalidArgument("TorchProblem: an empty batch");
    return ::torch::from_blob(const_cast<Eigen::Index*>(batch.data()), {static_cast<std::int64_t>(batch.size())}, ::torch::kLong);
  }

  S loss_at(In<S> x, const ::torch::Tensor& inputs, const ::torch::Tensor& targets) const {
    set_parameters(x);
    ::torch::NoGradGuard no_grad;
    return checked_loss(inputs, targets).template item<S>();
  }

  S backward_at(In<S> x, const ::torch::Tensor& inputs, const ::torch::Tensor& targets, Out<S> g) const {
    if (g.size() != dim_)
      throw InvalidArgument("TorchProblem: g has " + std::to_string(g.size()) + " entries; the parameters " + std::to_string(dim_));
    set_parameters(x);
    for (auto& p : params_) p.mutable_grad().reset();  // backward writes fresh gradients
    ::torch::AutoGradMode enable_grad(true);
    const auto loss = checked_loss(inputs, targets);
    loss.backward();
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto& grad = params_[i].grad();
      auto out = g.segment(offsets_[i], params_[i].numel());
      if (grad.defined())
        std::copy_n(grad.contiguous().template data_ptr<S>(), out.size(), out.data());
      else
        out.setZero();  // the loss does not depend on this parameter
    }
    return loss.template item<S>();
  }

  ::torch::Tensor checked_loss(const ::torch::Tensor& inputs, const ::torch::Tensor& targets) const {
    auto loss = loss_(forward_(inputs), targets);
    if (loss.numel() != 1 || loss.scalar_type() != ::c10::CppTypeToScalarType<S>::value)
      throw InvalidArgument("TorchProblem: the loss must return one value of the parameters' dtype (a mean over the rows); it returned " +
                            std::to_string(loss.numel()) + " values of dtype " + std::string(::c10::toString(loss.scalar_type())));
    return loss;
  }

  std::vector<::torch::Tensor> params_;
  Forward forward_;
  Loss loss_;
  ::torch::Tensor inputs_, targets_;
  std::vector<Eigen::Index> offsets_;
  Eigen::Index dim_ = 0;
};

}  // namespace convlab::libtorch
