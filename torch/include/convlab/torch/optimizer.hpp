#pragma once
/// \file
/// Any convlab optimizer as a `torch::optim::Optimizer` (LibTorch), stepping the parameters'
/// own memory through the C++ step (docs/torch.md):
///
///     using Lion = convlab::libtorch::Optimizer<convlab::optim::LionK<float, convlab::optim::AnyKappa>>;
///     Lion opt(model->parameters(), Lion::Options(1e-4, {{.weight_decay = 1.0}, convlab::optim::NuclearK{}}));
///     loss.backward(); opt.step(); opt.zero_grad();
///
/// Each torch parameter group has its own `Options`: the lr (what torch's LR schedulers change)
/// and a convlab optimizer object (its options and κ; fixed once the group has stepped). A
/// group is stepped with the optimizer's tensor-list step: a tensor of shape (d0, d1, …) is its
/// memory read as the column-major (d1·…) × d0 matrix, its transpose, which the nuclear κ
/// treats alike (msign(Wᵀ) = msign(W)ᵀ). Parameters must be dense, contiguous CPU tensors of the
/// optimizer's scalar type; every parameter needs a gradient at each step (a missing one is an
/// error, never a silently skipped tensor). `torch::save(opt, ...)` / `torch::load(opt, ...)`
/// carry each group's lr and the convlab state bytes (optim/state_io.hpp), checked on load.

#include <torch/optim/optimizer.h>
#include <torch/serialize/archive.h>

#include <convlab/core/errors.hpp>
#include <convlab/optim/param_groups.hpp>
#include <convlab/optim/state_io.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace convlab::libtorch {

/// A group's options: its lr and the convlab optimizer that steps it.
template <class Opt>
struct GroupOptions : ::torch::optim::OptimizerCloneableOptions<GroupOptions<Opt>> {
  explicit GroupOptions(double lr_ = 1e-3, Opt optimizer_ = Opt{}) : lr(lr_), optimizer(std::move(optimizer_)) {}
  double lr;
  Opt optimizer;
  double get_lr() const override { return lr; }
  void set_lr(const double value) override { lr = value; }
};

/// A tensor's memory as a convlab tensor (see the file comment for the shape). `what()` names
/// the tensor in an error; it is called only then, so a step builds no strings.
template <class T, class What>
optim::Tensor<T> tensor_view(const ::torch::Tensor& t, What&& what) {
  using S = std::remove_const_t<T>;
  if (!t.defined()) throw InvalidArgument(what() + " is undefined");
  if (!t.device().is_cpu() || t.layout() != ::torch::kStrided)
    throw InvalidArgument(what() + " is not a dense CPU tensor; convlab steps CPU memory");
  if (t.scalar_type() != ::c10::CppTypeToScalarType<S>::value)
    throw InvalidArgument(what() + " has dtype " + std::string(::c10::toString(t.scalar_type())) + "; this optimizer steps " +
                          std::string(::c10::toString(::c10::CppTypeToScalarType<S>::value)));
  if (!t.is_contiguous()) throw InvalidArgument(what() + " is not contiguous; make it so (p.set_data(p.contiguous())) first");
  auto* data = const_cast<S*>(t.template data_ptr<S>());
  if (t.dim() <= 1) return {data, static_cast<Eigen::Index>(t.numel()), 1};
  return {data, static_cast<Eigen::Index>(t.numel() / t.size(0)), static_cast<Eigen::Index>(t.size(0))};
}

template <class Opt>
class Optimizer : public ::torch::optim::Optimizer {
 public:
  using S = typename Opt::Scalar;
  using Options = GroupOptions<Opt>;
  using State = decltype(std::declval<const Opt&>().init(std::declval<optim::Tensors<S>>()));

  Optimizer(std::vector<::torch::optim::OptimizerParamGroup> groups, Options defaults)
      : ::torch::optim::Optimizer(std::move(groups), std::make_unique<Options>(std::move(defaults))) {}
  Optimizer(std::vector<::torch::Tensor> params, Options defaults)
      : Optimizer(std::vector<::torch::optim::OptimizerParamGroup>{::torch::optim::OptimizerParamGroup(std::move(params))},
                  std::move(defaults)) {}

  ::torch::Tensor step(LossClosure closure = nullptr) override {
    ::torch::Tensor loss;
    if (closure) {
      ::torch::AutoGradMode enable_grad(true);
      loss = closure();
    }
    ::torch::NoGradGuard no_grad;
    for (std::size_t k = 0; k < param_groups_.size(); ++k) {
      const auto& o = options(k);
      views(k);
      const auto& tensors = param_groups_[k].params();
      grads_.clear();
      for (std::size_t i = 0; i < tensors.size(); ++i) {
        const auto& g = tensors[i].grad();
        if (!g.defined()) throw InvalidArgument("convlab::libtorch::Optimizer::step: " + name(i, k) + " has no gradient");
        grads_.push_back(tensor_view<const S>(g, [&] { return "the gradient of " + name(i, k); }));
      }
      if (states_.size() <= k) states_.push_back(o.optimizer.init(optim::Tensors<S>(params_)));
      o.optimizer.step(optim::Tensors<S>(params_), optim::Gradients<S>(grads_), states_[k], static_cast<S>(o.lr));
    }
    return loss;
  }

  /// The convlab state of group k (made at its first step).
  const State& state(std::size_t k) const { return states_.at(k); }

  void save(::torch::serialize::OutputArchive& archive) const override {
    archive.write("convlab/groups", ::torch::tensor(static_cast<std::int64_t>(param_groups_.size())));
    for (std::size_t k = 0; k < param_groups_.size(); ++k) {
      const std::string key = "convlab/group" + std::to_string(k);
      archive.write(key + "/lr", ::torch::tensor(options(k).lr, ::torch::kFloat64));
      std::vector<char> bytes;
      if (k < states_.size()) {
        views(k);
        bytes = optim::state_bytes(options(k).optimizer, states_[k]);
      }
      archive.write(key + "/state", ::torch::from_blob(bytes.data(), {static_cast<std::int64_t>(bytes.size())}, ::torch::kUInt8).clone());
    }
  }

  /// All or nothing: every group's state is decoded and checked (optimizer, options, shapes)
  /// before any is replaced.
  void load(::torch::serialize::InputArchive& archive) override {
    ::torch::Tensor count;
    if (!archive.try_read("convlab/groups", count))
      throw InvalidArgument("convlab::libtorch::Optimizer::load: not a convlab optimizer's archive");
    if (count.item<std::int64_t>() != static_cast<std::int64_t>(param_groups_.size()))
      throw InvalidArgument("convlab::libtorch::Optimizer::load: the archive holds " + std::to_string(count.item<std::int64_t>()) +
                            " parameter groups, this optimizer " + std::to_string(param_groups_.size()));
    std::vector<State> loaded;
    std::vector<double> lrs;
    for (std::size_t k = 0; k < param_groups_.size(); ++k) {
      const std::string key = "convlab/group" + std::to_string(k);
      ::torch::Tensor lr, bytes;
      archive.read(key + "/lr", lr);
      archive.read(key + "/state", bytes);
      lrs.push_back(lr.item<double>());
      bytes = bytes.contiguous();
      const auto* b = bytes.data_ptr<std::uint8_t>();
      views(k);
      State st = options(k).optimizer.init(optim::Tensors<S>(params_));
      if (bytes.numel() > 0)
        optim::load_state_bytes(std::vector<char>(b, b + bytes.numel()), "the archive's " + key, options(k).optimizer, st);
      loaded.push_back(std::move(st));
    }
    states_ = std::move(loaded);
    for (std::size_t k = 0; k < lrs.size(); ++k) options(k).lr = lrs[k];
  }

 private:
  Options& options(std::size_t k) { return static_cast<Options&>(param_groups_[k].options()); }
  const Options& options(std::size_t k) const { return static_cast<const Options&>(param_groups_[k].options()); }

  static std::string name(std::size_t i, std::size_t k) {
    return "parameter " + std::to_string(i) + " of group " + std::to_string(k);
  }

  // Group k's parameters as convlab tensors (remade at each use: a tensor's storage may change).
  void views(std::size_t k) const {
    params_.clear();
    const auto& tensors = param_groups_[k].params();
    for (std::size_t i = 0; i < tensors.size(); ++i)
      params_.push_back(tensor_view<S>(tensors[i], [&] { return name(i, k); }));
  }

  std::vector<State> states_;
  mutable std::vector<optim::Tensor<S>> params_;
  std::vector<optim::Tensor<const S>> grads_;
};

}  // namespace convlab::libtorch
