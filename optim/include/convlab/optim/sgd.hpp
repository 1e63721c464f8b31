#pragma once
/// \file
/// SGD with heavy-ball or Nesterov momentum, matching torch.optim.SGD:
///   g ← g + wd·x;  b ← g (first step) or μ·b + (1 − τ)·g;
///   d ← g + μ·b (Nesterov) or b (heavy ball);  x ← x − lr·d.

#include <vector>

#include <convlab/core/fields.hpp>

#include <convlab/core/parallel.hpp>
#include "optimizer.hpp"

namespace convlab::optim {

struct SgdOptions {
  double momentum = 0.0;      ///< μ, 0 <= μ < 1; 0 is plain SGD
  double dampening = 0.0;     ///< τ, 0 <= τ <= 1 (must be 0 with Nesterov)
  double weight_decay = 0.0;  ///< L2 coupled into the gradient, >= 0
  bool nesterov = false;      ///< Nesterov's look-ahead (needs μ > 0)

  static constexpr std::string_view type_name = "SgdOptions";
  static constexpr auto fields() {
    using O = SgdOptions;
    return std::tuple{
        field("momentum", &O::momentum, "0 <= momentum < 1", [](double v) { return v >= 0 && v < 1; },
              "heavy-ball momentum μ; 0 is plain SGD"),
        field("dampening", &O::dampening, "0 <= dampening <= 1", [](double v) { return v >= 0 && v <= 1; },
              "dampening τ of the momentum buffer"),
        field("weight_decay", &O::weight_decay, "weight_decay >= 0", [](double v) { return v >= 0 && std::isfinite(v); },
              "L2 coupled into the gradient"),
        field("nesterov", &O::nesterov, "Nesterov's look-ahead (needs momentum > 0, dampening = 0)")};
  }
  void validate() const {
    validate_fields(*this);
    detail::require(!nesterov || (momentum > 0 && dampening == 0), "SgdOptions::nesterov", nesterov,
                    "nesterov needs momentum > 0 and dampening = 0");
  }
};

template <class S = double>
class Sgd : public detail::VectorArguments<Sgd<S>, S> {
 public:
  using detail::VectorArguments<Sgd, S>::init;  // a matrix steps as its whole storage
  using detail::VectorArguments<Sgd, S>::step;
  using Scalar = S;
  using Options = SgdOptions;
  static constexpr std::string_view name = "Sgd";
  struct State {
    VecX<S> buffer;  ///< momentum buffer b (empty when μ = 0)
    Eigen::Index size = 0;
    long long steps = 0;
    auto saved() { return std::tie(buffer, steps); }  ///< what state_io.hpp saves
    auto saved() const { return std::tie(buffer, steps); }
  };

  explicit Sgd(const SgdOptions& options = {}) : opt_(options) { opt_.validate(); }
  const SgdOptions& options() const { return opt_; }

  State init(In<S> x) const {
    State s;
    s.size = x.size();
    if (opt_.momentum > 0) s.buffer = VecX<S>::Zero(x.size());
    return s;
  }

  void step(Out<S> x, In<S> g, State& state, S lr) const {
    detail::check_step_sizes(x.size(), g.size(), state.size, "Sgd");
    const S wd = static_cast<S>(opt_.weight_decay), mu = static_cast<S>(opt_.momentum);
    const S keep = static_cast<S>(1 - opt_.dampening);
    const bool first = state.steps == 0, nesterov = opt_.nesterov;
    S* xp = x.data();
    const S* gp = g.data();
    if (mu == 0) {
      convlab::for_each_index(x.size(), [=](Eigen::Index i) { xp[i] -= lr * (gp[i] + wd * xp[i]); });
    } else {
      S* bp = state.buffer.data();
      convlab::for_each_index(x.size(), [=](Eigen::Index i) {
        const S gi = gp[i] + wd * xp[i];
        bp[i] = first ? gi : mu * bp[i] + keep * gi;
        xp[i] -= lr * (nesterov ? gi + mu * bp[i] : bp[i]);
      });
    }
    ++state.steps;
  }

 private:
  SgdOptions opt_;
};

}  // namespace convlab::optim
