#pragma once
/// \file
/// Policies chosen at run time (from a config file or a command line) instead of as template
/// arguments: `AnyPartition`, `AnySelection<P>`, `AnyUpdate<P>` wrap any policy behind a
/// virtual call per iteration (negligible next to a block update) and are made from names:
///
///     auto part = optim::make_partition("sort", 5);              // order | sort | avg | random | vb
///     auto sel  = optim::make_selection<P>("gsl", BlockNorm::L2); // cyclic | random_permutation | random |
///                                                               //   lipschitz | gs | gsl | gsd | gsq; gs_q (composite);
///                                                               //   greedy_tree | greedy_tree_l | random_tree (graphs)
///     auto upd  = optim::make_update<P>("hb");                   // lb | global | la | hb | newton; pg | pn | tmp
///                                                               //   (composite); forest (graphs)
///     optim::BlockCoordinateDescent bcd(part, std::move(sel), std::move(upd), options);
///
/// or all three from one declared options struct (what `convlab fit` reads from a config):
///
///     auto bcd = optim::make_block_coordinate_descent<P>({.partition = "vb", .block_size = 5}, options);
///
/// The experiment runner uses them so one driver instantiation per problem type serves every
/// rule of the paper's grids.

#include <memory>
#include <string>

#include "block_coordinate_descent.hpp"
#include "context.hpp"
#include "message_passing.hpp"
#include "partitions.hpp"
#include "policy_options.hpp"
#include "proximal.hpp"
#include "selection.hpp"
#include "updates.hpp"

namespace convlab::optim {

/// A partition named at run time; `variable` is true for VB; kind "fixed" returns `list`
/// (e.g. a graph partition from message_passing.hpp).
struct AnyPartition {
  std::string kind = "order";
  Eigen::Index tau = 1;
  unsigned long long seed = 0;
  bool variable = false;
  BlockList list;
  template <class V>
  BlockList blocks(const V& L) const {
    if (kind == "fixed") return list;
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
  return {kind, tau, seed, kind == "vb", {}};
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
  if (name == "gs_q" || name == "gs_q_manifold") {
    if constexpr (CompositeProblem<P>) {
      if (name == "gs_q") return AnySelection<P>(GaussSouthwellProximal{});
      return AnySelection<P>(ManifoldNewtonSelection<>{});
    } else {
      throw InvalidArgument("BCD selection \"" + name + "\" needs a composite problem (f + separable regularizer)");
    }
  }
  if (name == "greedy_tree" || name == "greedy_tree_l" || name == "random_tree") {
    if constexpr (SparseQuadratic<P>) {
      using S = typename P::Scalar;
      if (name == "random_tree") return AnySelection<P>(RandomTree<S>{});
      GreedyTree<S> rule;
      rule.lipschitz = name == "greedy_tree_l";
      return AnySelection<P>(rule);
    } else {
      throw InvalidArgument("BCD selection \"" + name + "\" needs a sparse quadratic (a problem with matrix())");
    }
  }
  throw InvalidArgument("BCD selection \"" + name +
                        "\" is not one of cyclic | random_permutation | random | lipschitz | gs | gsl | gsd | gsq | gs_q | gs_q_manifold | "
                        "greedy_tree | greedy_tree_l | random_tree");
}

template <problems::BlockCoordinate P>
AnyUpdate<P> make_update(const std::string& name) {
  // A smooth update on f + r would minimize f alone: a wrong answer, not a slow one.
  if constexpr (CompositeProblem<P>)
    if (name == "lb" || name == "global" || name == "la" || name == "hb" || name == "newton")
      throw InvalidArgument("BCD update \"" + name + "\" ignores the regularizer of a composite problem (f + separable r); use pg | pn" +
                            (std::remove_cvref_t<decltype(std::declval<const P&>().regularizer())>::nonnegative ? " | tmp" : ""));
  if (name == "lb") return AnyUpdate<P>(GradientUpdate{});
  if (name == "global") return AnyUpdate<P>(GlobalGradientUpdate{});
  if (name == "la") return AnyUpdate<P>(AdaptiveGradientUpdate{});
  if (name == "hb") return AnyUpdate<P>(MatrixUpdate{});
  if (name == "newton") {
    if constexpr (problems::BlockNewton<P>) return AnyUpdate<P>(NewtonUpdate{});
    else throw InvalidArgument("BCD update \"newton\" needs a problem with block Hessians (BlockNewton)");
  }
  if (name == "pg" || name == "pn" || name == "tmp") {
    if constexpr (CompositeProblem<P>) {
      if (name == "pg") return AnyUpdate<P>(ProxGradientUpdate{});
      if (name == "pn") return AnyUpdate<P>(ProxNewtonUpdate{});
      if constexpr (std::remove_cvref_t<decltype(std::declval<const P&>().regularizer())>::nonnegative)
        return AnyUpdate<P>(TwoMetricProjectionUpdate{});
      else throw InvalidArgument("BCD update \"tmp\" is for non-negative problems");
    } else {
      throw InvalidArgument("BCD update \"" + name + "\" needs a composite problem (f + separable regularizer)");
    }
  }
  if (name == "forest") {
    if constexpr (SparseQuadratic<P>) return AnyUpdate<P>(ForestUpdate<typename P::Scalar>{});
    else throw InvalidArgument("BCD update \"forest\" needs a sparse quadratic (a problem with matrix())");
  }
  throw InvalidArgument("BCD update \"" + name + "\" is not one of lb | global | la | hb | newton | pg | pn | tmp | forest");
}

/// A BCD driver over P with the named policies (random ones draw from options.seed).
template <problems::BlockCoordinate P>
BlockCoordinateDescent<AnyPartition, AnySelection<P>, AnyUpdate<P>> make_block_coordinate_descent(const BcdPolicyOptions& names,
                                                                                                  const BcdOptions& options) {
  const BcdPolicyOptions o = names.resolved(CompositeProblem<P>);
  o.validate();
  return {make_partition(o.partition, o.block_size, options.seed),
          make_selection<P>(o.rule, o.norm == "l1" ? BlockNorm::L1 : BlockNorm::L2), make_update<P>(o.update), options};
}

}  // namespace convlab::optim
