#pragma once
/// \file
/// AdamW, matching torch.optim.AdamW (Loshchilov & Hutter, 2019) step for step:
///   x ← x·(1 − lr·wd);  m ← m + (1 − β₁)(g − m);  v ← β₂v + (1 − β₂)g²;  (v̂ ← max(v̂, v) if amsgrad)
///   x ← x − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε),  t = 1, 2, ...

#include <cmath>
#include <type_traits>

#include <convlab/core/fields.hpp>

#include "detail/adamw_kernels.hpp"
#include <convlab/core/parallel.hpp>
#include "optimizer.hpp"

namespace convlab::optim {

struct AdamWOptions {
  double beta1 = 0.9;          ///< 0 <= β₁ < 1
  double beta2 = 0.999;        ///< 0 <= β₂ < 1
  double eps = 1e-8;           ///< > 0, added to √v̂ (outside the root, as PyTorch)
  double weight_decay = 1e-2;  ///< decoupled, scaled by lr; >= 0 (PyTorch's default 1e-2)
  bool amsgrad = false;        ///< use the running max of v

  static constexpr std::string_view type_name = "AdamWOptions";
  static constexpr auto fields() {
    using O = AdamWOptions;
    return std::tuple{
        field("beta1", &O::beta1, "0 <= beta1 < 1", [](double v) { return v >= 0 && v < 1; }, "first-moment decay β₁"),
        field("beta2", &O::beta2, "0 <= beta2 < 1", [](double v) { return v >= 0 && v < 1; }, "second-moment decay β₂"),
        field("eps", &O::eps, "eps > 0", [](double v) { return v > 0 && std::isfinite(v); }, "added to √v̂, outside the root"),
        field("weight_decay", &O::weight_decay, "weight_decay >= 0", [](double v) { return v >= 0 && std::isfinite(v); },
              "decoupled decay, multiplied by the lr (PyTorch's default)"),
        field("amsgrad", &O::amsgrad, "use the running maximum of v")};
  }
  void validate() const { validate_fields(*this); }
};

template <class S = double>
class AdamW : public detail::VectorArguments<AdamW<S>, S> {
 public:
  using detail::VectorArguments<AdamW, S>::init;  // a matrix steps as its whole storage
  using detail::VectorArguments<AdamW, S>::step;
  using Scalar = S;
  using Options = AdamWOptions;
  static constexpr std::string_view name = "AdamW";
  struct State {
    VecX<S> m, v, v_max;  ///< first/second moments; v_max only with amsgrad
    long long t = 0;      ///< steps taken
    auto saved() { return std::tie(m, v, v_max, t); }  ///< what state_io.hpp saves
    auto saved() const { return std::tie(m, v, v_max, t); }
  };

  explicit AdamW(const AdamWOptions& options = {}) : opt_(options) { opt_.validate(); }
  const AdamWOptions& options() const { return opt_; }

  State init(In<S> x) const {
    State s;
    s.m = VecX<S>::Zero(x.size());
    s.v = VecX<S>::Zero(x.size());
    if (opt_.amsgrad) s.v_max = VecX<S>::Zero(x.size());
    return s;
  }

  void step(Out<S> x, In<S> g, State& state, S lr) const {
    detail::check_step_sizes(x.size(), g.size(), state.m.size(), "AdamW");
    ++state.t;
    // Bias corrections in double, as PyTorch computes them in Python floats.
    const double bc1 = 1 - std::pow(opt_.beta1, static_cast<double>(state.t));
    const double bc2 = 1 - std::pow(opt_.beta2, static_cast<double>(state.t));
    const S b1 = static_cast<S>(opt_.beta1), b2 = static_cast<S>(opt_.beta2);
    const detail::AdamWCoefficients<S> c{.decay = static_cast<S>(1 - static_cast<double>(lr) * opt_.weight_decay),
                                         .one_minus_b1 = 1 - b1,
                                         .b2 = b2,
                                         .one_minus_b2 = 1 - b2,
                                         .step_size = static_cast<S>(static_cast<double>(lr) / bc1),
                                         .sqrt_bc2 = static_cast<S>(std::sqrt(bc2)),
                                         .eps = static_cast<S>(opt_.eps)};
    S *xp = x.data(), *mp = state.m.data(), *vp = state.v.data(), *vmaxp = opt_.amsgrad ? state.v_max.data() : nullptr;
    const S* gp = g.data();
    // Elementwise, every operation correctly rounded (detail/adamw_kernels.hpp): the same bits for
    // any chunking, thread count, vector width or x86-64 CPU.
    convlab::for_each_chunk(x.size(), [=](Eigen::Index b, Eigen::Index len) {
      S* vmax = vmaxp ? vmaxp + b : nullptr;
      Eigen::Index i = 0;
#if CONVLAB_X86_64_DISPATCH
      if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double>)
        i = detail::use_avx2() ? detail::adamw_avx2(xp + b, gp + b, mp + b, vp + b, vmax, len, c)
                               : detail::adamw_sse2(xp + b, gp + b, mp + b, vp + b, vmax, len, c);
#endif
      for (; i < len; ++i) detail::adamw_entry(xp + b, gp + b, mp + b, vp + b, vmax, i, c);
    });
  }

 private:
  AdamWOptions opt_;
};

}  // namespace convlab::optim
