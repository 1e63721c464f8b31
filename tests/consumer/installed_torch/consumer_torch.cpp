// A LibTorch user's first step with convlab's Lion, checked against the closed form: from zero
// momentum the sign-κ Lion step is x ← x − lr·sign(g) (docs/torch.md, docs/optim.md).
#include <convlab/optim/lion_k.hpp>
#include <convlab/torch/optimizer.hpp>

#include <cstdio>

int main() {
  using Lion = convlab::libtorch::Optimizer<convlab::optim::LionK<float>>;
  torch::Tensor w = torch::tensor({0.5f, -1.0f, 2.0f, 0.0f}).requires_grad_(true);
  const torch::Tensor x0 = w.detach().clone();
  const torch::Tensor g = torch::tensor({3.0f, -0.25f, 0.5f, -7.0f});
  Lion opt(std::vector<torch::Tensor>{w}, Lion::Options(0.1));
  w.mutable_grad() = g.clone();
  opt.step();
  const torch::Tensor expected = x0 - 0.1f * torch::sign(g);
  const double err = (w.detach() - expected).abs().max().item<double>();
  std::printf("max |w - (w0 - lr sign g)| = %.3e\n", err);
  return err == 0 ? 0 : 1;
}
