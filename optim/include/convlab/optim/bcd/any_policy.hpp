#pragma once
/// \file
/// Policies chosen at run time (from a config file or a command line) instead of as template
/// arguments: `AnyPartition`, `AnySelection<P>`, `AnyUpdate<P>` wrap any policy behind a
/// virtual call per iteration (negligible next to a block update) and are made from names:
///
///     auto part = optim::make_partition("sort", 5);              // order | sort | avg | random | vb
///     auto sel  = optim::make_selection<P>("gsl", BlockNorm::L2); // cyclic | random_permutation | random |
///                                                               //   lipschitz | gs | gsl | gsd | gsq
///     auto upd  = optim::make_update<P>("hb");                   // lb | global | la | hb | newton
///     optim::BlockCoordinateDescent bcd(part, std::move(sel), std::move(upd), options);
///
/// The experiment runner uses them so one driver instantiation per problem type serves every
/// rule of the paper's grids.

#include <memory>
#include <string>

#include "context.hpp"
#include "partitions.hpp"
#include "selection.hpp"
#include "updates.hpp"

namespace convlab::optim {

/// A partition named at run time; `variable` is true for VB.
struct AnyPartition {
  std::string kind = "order";
  Eigen::Index tau = 1;
  unsigned long long seed = 0;
  bool variable = false;
  template <class V>
  BlockList blocks(const V& L) const {
    if (kind == "order") return OrderPartition{tau}.blocks(L);
    if (kind == "sort") return SortPartition{tau}.blocks(L);
    if (kind == "avg") return AvgPartition{tau}.blocks(L);
    if (kind == "random") return RandomPartition{tau, seed}.blocks(L);
    return VariableBlocks{tau}.blocks(L);
  }
};

inline AnyPartition make_partition(const std::string& kind, Eigen::Index tau, unsigned long long seed = 0) {
  if (kind != "order" && kind != "sort" && kind != "avg" && kind != "random" && kind != "vb")
    throw InvalidArgument("BCD partition \"" + kind + "\" is not one of order | sort | avg | random | vb");
  detail::require_block_size(tau);
  return {kind, tau, seed, kind == "vb"};
}

template <problems::BlockCoordinate P>
class AnySelection {
 public:
  using Ctx = BcdContext<P>;
  using State = typename P::State;
  static constexpr bool needs_gradient = true;  // decided per rule at run time: see tracks()

  template <class Rule>
  explicit AnySelection(Rule rule) : impl_(std::make_unique<Model<Rule>>(std::move(rule))) {}
  AnySelection(AnySelection&&) noexcept = default;
  AnySelection& operator=(AnySelection&&) noexcept = default;
  AnySelection(const AnySelection& o) : impl_(o.impl_->clone()) {}

  void init(Ctx& c, const State& s) { impl_->init(c, s); }
  SelectedBlock select(Ctx& c, const State& s) { return impl_->select(c, s); }
  void updated(Ctx& c, const State& s, const SelectedBlock& b) { impl_->updated(c, s, b); }
  /// Whether the wrapped rule reads the full gradient.
  bool tracks() const { return impl_->tracks(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void init(Ctx&, const State&) = 0;
    virtual SelectedBlock select(Ctx&, const State&) = 0;
    virtual void updated(Ctx&, const State&, const SelectedBlock&) = 0;
    virtual bool tracks() const = 0;
    virtual std::unique_ptr<Base> clone() const = 0;
  };
  template <class Rule>
  struct Model final : Base {
    explicit Model(Rule r) : rule(std::move(r)) {}
    void init(Ctx& c, const State& s) override { rule.init(c, s); }
    SelectedBlock select(Ctx& c, const State& s) override { return rule.select(c, s); }
    void updated(Ctx& c, const State& s, const SelectedBlock& b) override { rule.updated(c, s, b); }
    bool tracks() const override { return Rule::needs_gradient; }
    std::unique_ptr<Base> clone() const override { return std::make_unique<Model>(rule); }
    Rule rule;
  };
  std::unique_ptr<Base> impl_;
};

template <problems::BlockCoordinate P>
class AnyUpdate {
 public:
  using Ctx = BcdContext<P>;
  using State = typename P::State;
  using S = typename P::Scalar;

  template <class Update>
  explicit AnyUpdate(Update u) : impl_(std::make_unique<Model<Update>>(std::move(u))) {}
  AnyUpdate(AnyUpdate&&) noexcept = default;
  AnyUpdate& operator=(AnyUpdate&&) noexcept = default;
  AnyUpdate(const AnyUpdate& o) : impl_(o.impl_->clone()) {}

  void init(Ctx& c, const State& s) { impl_->init(c, s); }
  BlockStep<S> apply(Ctx& c, State& s, const SelectedBlock& b, const VecX<S>& g) { return impl_->apply(c, s, b, g); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void init(Ctx&, const State&) = 0;
    virtual BlockStep<S> apply(Ctx&, State&, const SelectedBlock&, const VecX<S>&) = 0;
    virtual std::unique_ptr<Base> clone() const = 0;
  };
  template <class Update>
  struct Model final : Base {
    explicit Model(Update x) : u(std::move(x)) {}
    void init(Ctx& c, const State& s) override { u.init(c, s); }
    BlockStep<S> apply(Ctx& c, State& s, const SelectedBlock& b, const VecX<S>& g) override { return u.apply(c, s, b, g); }
    std::unique_ptr<Base> clone() const override { return std::make_unique<Model>(u); }
    Update u;
  };
  std::unique_ptr<Base> impl_;
};

template <problems::BlockCoordinate P>
AnySelection<P> make_selection(const std::string& name, BlockNorm norm = BlockNorm::L2) {
  if (name == "cyclic") return AnySelection<P>(Cyclic{});
  if (name == "random_permutation") return AnySelection<P>(RandomPermutation{});
  if (name == "random") return AnySelection<P>(UniformRandom{});
  if (name == "lipschitz") return AnySelection<P>(LipschitzSampling{});
  if (name == "gs") return AnySelection<P>(GaussSouthwell{norm});
  if (name == "gsl") return AnySelection<P>(GaussSouthwellLipschitz{norm});
  if (name == "gsd") return AnySelection<P>(GaussSouthwellDiagonal{norm});
  if (name == "gsq") return AnySelection<P>(GaussSouthwellQuadratic{});
  throw InvalidArgument("BCD selection \"" + name +
                        "\" is not one of cyclic | random_permutation | random | lipschitz | gs | gsl | gsd | gsq");
}

template <problems::BlockCoordinate P>
AnyUpdate<P> make_update(const std::string& name) {
  if (name == "lb") return AnyUpdate<P>(GradientUpdate{});
  if (name == "global") return AnyUpdate<P>(GlobalGradientUpdate{});
  if (name == "la") return AnyUpdate<P>(AdaptiveGradientUpdate{});
  if (name == "hb") return AnyUpdate<P>(MatrixUpdate{});
  if (name == "newton") {
    if constexpr (problems::BlockNewton<P>) return AnyUpdate<P>(NewtonUpdate{});
    else throw InvalidArgument("BCD update \"newton\" needs a problem with block Hessians (BlockNewton)");
  }
  throw InvalidArgument("BCD update \"" + name + "\" is not one of lb | global | la | hb | newton");
}

}  // namespace convlab::optim
