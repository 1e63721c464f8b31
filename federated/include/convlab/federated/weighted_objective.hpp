#pragma once
/// \file
/// f_w(x) = Σₙ wₙ Fₙ(x) / Σₙ wₙ over client problems: with wₙ = 1 the federated objective
/// (1/N) Σ Fₙ, whose minimizer x* an unbiased method should reach; with wₙ = pₙ the
/// participation-weighted objective FedAvg over participants converges to (spec fedau.md (a),
/// Theorem 1); with wₙ = 1 − (1 − pₙ)ᴷ the one FedAU with cutoff K converges to (spec (f)).
/// Differentiable (and TwiceDifferentiable when the clients are), so optim::newton solves it.
/// Sums run in client order.

#include <vector>

#include <convlab/problems/concepts.hpp>
#include <convlab/core/errors.hpp>

namespace convlab::federated {

template <problems::Differentiable P>
class WeightedObjective {
 public:
  using Scalar = double;
  WeightedObjective(const std::vector<P>& clients, std::vector<double> weights) : clients_(clients), w_(std::move(weights)) {
    if (clients_.empty()) throw InvalidArgument("WeightedObjective: no clients");
    if (w_.size() != clients_.size()) throw InvalidArgument("WeightedObjective: one weight per client");
    double total = 0;
    for (double v : w_) {
      if (!(v >= 0 && std::isfinite(v))) throw InvalidArgument("WeightedObjective: weights must be finite and >= 0");
      total += v;
    }
    if (!(total > 0)) throw InvalidArgument("WeightedObjective: the weights sum to 0");
    for (double& v : w_) v /= total;
  }
  Eigen::Index dim() const { return clients_.front().dim(); }
  double value(In<double> x) const {
    double f = 0;
    for (std::size_t n = 0; n < clients_.size(); ++n) f += w_[n] * clients_[n].value(x);
    return f;
  }
  double value_and_gradient(In<double> x, Out<double> g) const {
    g.setZero();
    VecX<double> gn(x.size());
    double f = 0;
    for (std::size_t n = 0; n < clients_.size(); ++n) {
      f += w_[n] * problems::value_and_gradient(clients_[n], x, gn);
      g += w_[n] * gn;
    }
    return f;
  }
  void hessian(In<double> x, Eigen::Ref<MatX<double>> H) const
    requires problems::TwiceDifferentiable<P>
  {
    H.setZero();
    MatX<double> Hn(x.size(), x.size());
    for (std::size_t n = 0; n < clients_.size(); ++n) {
      clients_[n].hessian(x, Hn);
      H += w_[n] * Hn;
    }
  }

 private:
  const std::vector<P>& clients_;
  std::vector<double> w_;
};

}  // namespace convlab::federated
