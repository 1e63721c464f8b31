#pragma once
// The network problems of `convlab fit` (`[problem] type = "mlp" | "cnn"`, docs/configs.md):
// a LibTorch network and its loss over the rows of a data set, as a convlab FiniteSum over the
// flat vector of its parameters. The LibTorch code sits behind this header (network_model.cpp,
// through convlab::libtorch::TorchProblem), so fit.cpp and predict.cpp never see its headers.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <convlab/problems/concepts.hpp>

namespace convlab::experiments {

/// The architecture, as `[problem]` gives it.
struct NetworkSpec {
  std::string kind = "mlp";                 // mlp | cnn
  std::vector<long long> hidden{32};        // widths of the fully connected hidden layers
  std::vector<long long> channels{6, 16};   // cnn: output channels of its two 5×5 convolutions
  std::string activation = "relu";          // relu | tanh | sigmoid | gelu
  std::string loss = "cross_entropy";       // cross_entropy (labels 0 … K−1) | squared_error
};

/// The mean loss of a network over rows X (one sample per row; a cnn reads each row as a square
/// image, row-major) with targets y and optional row weights w ≥ 0: row i's loss counts with
/// weight wᵢ·n/Σw, so the full mean is Σ wᵢℓᵢ/Σw and a batch mean is an unbiased estimate of it
/// (every weight 0: the loss is 0). The loss is the cross-entropy of softmax(outputs)
/// (outputs = classes) or ½(output − y)² (outputs = 1). Computed in float64. Not for concurrent
/// use (the calls share one module). A row block of a larger data set is a BlockedProblem's
/// block (total_weight, set_minibatch_mean_weight), as for the linear models.
class NetworkProblem {
 public:
  using Scalar = double;
  /// Throws InvalidArgument naming the dimension for a shape that does not fit (a cnn's rows must
  /// be s² pixels with s divisible by 4) and for labels outside 0 … outputs − 1 (naming the row).
  NetworkProblem(const NetworkSpec& spec, const MatX<double>& X, const VecX<double>& y, Eigen::Index outputs,
                 const VecX<double>& w = {});
  ~NetworkProblem();
  NetworkProblem(NetworkProblem&&) noexcept;
  NetworkProblem& operator=(NetworkProblem&&) noexcept;

  Eigen::Index dim() const;
  Eigen::Index num_samples() const;
  Eigen::Index num_features() const;
  Eigen::Index num_outputs() const;

  /// Σw (n without weights).
  double total_weight() const;
  bool weighted() const;
  /// A batch row's loss counts with wᵢ/m: m is the mean weight of the data the batch is drawn
  /// from (Σw/n by default; a BlockedProblem sets the whole data's).
  void set_minibatch_mean_weight(double m);

  double value(In<double> x) const;
  double value(In<double> x, Batch batch) const;
  double value_and_gradient(In<double> x, Out<double> g) const;
  void gradient(In<double> x, Batch batch, Out<double> g) const;

  /// A starting point: every layer's weights and biases uniform on ±1/√fan_in (LibTorch's default
  /// initialization of Linear and Conv2d), drawn by Boost.Random from `seed`, layer by layer in
  /// the order of x.
  VecX<double> initial_parameters(std::uint64_t seed) const;
  /// The network's outputs at x on every row: n × outputs (class scores, or the prediction).
  MatX<double> outputs(In<double> x) const;
  /// Whether the loss is cross_entropy, so that the targets are class labels.
  bool classifies() const;
  /// The fraction of rows whose largest output is their label (unweighted); cross_entropy only.
  double accuracy(In<double> x) const;
  /// The layers, one line each ("Linear(64 -> 32)", ...), for the run's log.
  std::string describe() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace convlab::experiments
