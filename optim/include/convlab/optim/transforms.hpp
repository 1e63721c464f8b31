#pragma once
/// \file
/// Gradient and parameter transforms for `chain` (chain.hpp), in the spirit of optax but in
/// place on buffers allocated once:
///
/// | transform | what it does | like |
/// |---|---|---|
/// | `ClipByGlobalNorm{max_norm}` | g ← g·max_norm/‖g‖ when ‖g‖ > max_norm, ‖g‖ over all tensors together | optax.clip_by_global_norm |
/// | `ClipByValue{limit}` | gᵢ ← clamp(gᵢ, −limit, limit) | optax.clip |
/// | `Accumulate{every}` | sums `every` gradients; the optimizer steps on their mean every `every`-th call | optax.MultiSteps |
/// | `ParamAverage{kind, decay}` | after each step: an EMA (a ← βa + (1 − β)x) or the uniform (Polyak) average of the iterates | optax.ema, Polyak–Ruppert |
///
/// A gradient transform has `apply(g, state) -> bool` over the list of gradient buffers (false:
/// do not step now); a parameter transform has `after_step(k, x, state)` per tensor. Each has
/// options with `validate()` (declared fields, core/fields.hpp), an explicit `State<S>` made by
/// `init`, and never allocates after `init`. All arithmetic is in a fixed order (norms summed
/// tensor by tensor in double), so results do not depend on the thread count.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include <convlab/core/fields.hpp>

#include "param_groups.hpp"

namespace convlab::optim {

/// The gradient buffers a chain hands to its transforms, one per tensor.
template <class S>
using GradientBuffers = std::vector<VecX<S>>;

struct ClipByGlobalNorm {
  double max_norm = 1.0;  ///< > 0

  static constexpr std::string_view type_name = "ClipByGlobalNorm";
  static constexpr auto fields() {
    return std::tuple{field("max_norm", &ClipByGlobalNorm::max_norm, "max_norm > 0",
                            [](double v) { return v > 0 && std::isfinite(v); },
                            "the largest global gradient norm; larger gradients are scaled down to it")};
  }
  void validate() const { validate_fields(*this); }

  template <class S>
  struct State {
    double last_norm = 0;  ///< the global norm before clipping, of the latest call
    auto saved() { return std::tie(last_norm); }
    auto saved() const { return std::tie(last_norm); }
  };
  template <class S>
  State<S> init(const GradientBuffers<S>&) const { return {}; }
  template <class S>
  bool apply(GradientBuffers<S>& g, State<S>& st) const {
    double sq = 0;
    for (const auto& t : g) sq += t.template cast<double>().squaredNorm();
    st.last_norm = std::sqrt(sq);
    if (st.last_norm > max_norm) {
      const S scale = static_cast<S>(max_norm / st.last_norm);
      for (auto& t : g) t *= scale;
    }
    return true;
  }
};

struct ClipByValue {
  double limit = 1.0;  ///< > 0

  static constexpr std::string_view type_name = "ClipByValue";
  static constexpr auto fields() {
    return std::tuple{field("limit", &ClipByValue::limit, "limit > 0", [](double v) { return v > 0 && std::isfinite(v); },
                            "every gradient value is clamped to [-limit, limit]")};
  }
  void validate() const { validate_fields(*this); }

  template <class S>
  struct State {
    auto saved() const { return std::tuple<>{}; }
    auto saved() { return std::tuple<>{}; }
  };
  template <class S>
  State<S> init(const GradientBuffers<S>&) const { return {}; }
  template <class S>
  bool apply(GradientBuffers<S>& g, State<S>&) const {
    const S l = static_cast<S>(limit);
    for (auto& t : g) t = t.cwiseMax(-l).cwiseMin(l);
    return true;
  }
};

struct Accumulate {
  long long every = 1;  ///< >= 1; 1 steps on every call

  static constexpr std::string_view type_name = "Accumulate";
  static constexpr auto fields() {
    return std::tuple{field("every", &Accumulate::every, "every >= 1", [](long long v) { return v >= 1; },
                            "gradients summed per optimizer step (their mean is stepped)")};
  }
  void validate() const { validate_fields(*this); }

  template <class S>
  struct State {
    GradientBuffers<S> sum;
    long long count = 0;  ///< gradients in `sum`
    auto saved() { return std::tie(sum, count); }
    auto saved() const { return std::tie(sum, count); }
  };
  template <class S>
  State<S> init(const GradientBuffers<S>& g) const {
    State<S> st;
    for (const auto& t : g) st.sum.push_back(VecX<S>::Zero(t.size()));
    return st;
  }
  template <class S>
  bool apply(GradientBuffers<S>& g, State<S>& st) const {
    for (std::size_t k = 0; k < g.size(); ++k) st.sum[k] += g[k];
    if (++st.count < every) return false;
    const S n = static_cast<S>(every);
    for (std::size_t k = 0; k < g.size(); ++k) {
      g[k] = st.sum[k] / n;
      st.sum[k].setZero();
    }
    st.count = 0;
    return true;
  }
};

struct ParamAverage {
  enum class Kind { Ema, Polyak };
  Kind kind = Kind::Ema;
  double decay = 0.999;  ///< β of the EMA, 0 <= β < 1 (unused by Polyak)

  static constexpr std::string_view type_name = "ParamAverage";
  static constexpr auto fields() {
    return std::tuple{field("decay", &ParamAverage::decay, "0 <= decay < 1", [](double v) { return v >= 0 && v < 1; },
                            "EMA decay β: a ← βa + (1 − β)x after each step")};
  }
  void validate() const { validate_fields(*this); }

  template <class S>
  struct State {
    GradientBuffers<S> average;  ///< one per tensor; starts at the parameters given to init
    long long count = 0;         ///< steps averaged
    auto saved() { return std::tie(average, count); }
    auto saved() const { return std::tie(average, count); }
  };
  template <class S, class Params>
  State<S> init(const Params& params) const {
    State<S> st;
    for (const Tensor<S>& p : params) st.average.push_back(p.vector());
    return st;
  }
  template <class S>
  void after_step(std::size_t k, const Tensor<S>& x, State<S>& st, bool last_tensor) const {
    auto& a = st.average[k];
    if (kind == Kind::Ema) {
      const S b = static_cast<S>(decay);
      a = b * a + (1 - b) * x.vector();
    } else {
      a += (x.vector() - a) / static_cast<S>(st.count + 1);  // the mean of the iterates after each step
    }
    if (last_tensor) ++st.count;
  }
};

}  // namespace convlab::optim
