#pragma once
/// \file
/// `BcdPolicyOptions`: the partition, selection rule and update of a BCD run by name, as
/// declared fields (core/fields.hpp), so a config file reads them without the BCD templates;
/// `make_block_coordinate_descent` (any_policy.hpp) builds the driver from them.

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <tuple>

#include <convlab/core/fields.hpp>

namespace convlab::optim {

/// The three policies of a BCD run by name (the keys of `[optimizer] type = "bcd"`). "auto"
/// picks the paper's greedy choice for the problem: GSL with the Lipschitz update on a smooth
/// f, GS-q with the proximal-gradient update on f + r.
struct BcdPolicyOptions {
  std::string partition = "vb";  ///< order | sort | avg | random (fixed blocks) | vb (any τ coordinates)
  long long block_size = 5;      ///< τ, >= 1
  std::string rule = "auto";     ///< the selection rule (make_selection's names) or auto
  std::string update = "auto";   ///< the block update (make_update's names) or auto
  std::string norm = "l2";       ///< block norm of the fixed-block greedy rules: l2 (the paper) | l1

  static constexpr std::string_view type_name = "BcdPolicyOptions";
  static constexpr auto fields() {
    using O = BcdPolicyOptions;
    constexpr auto one_of = [](auto names) { return [names](const std::string& v) { return std::find(names.begin(), names.end(), v) != names.end(); }; };
    return std::tuple{
        field("partition", &O::partition, "order | sort | avg | random | vb",
              one_of(std::array<std::string_view, 5>{"order", "sort", "avg", "random", "vb"}),
              "blocks: fixed (order, sort by L_i, avg, random) or variable (vb: any τ coordinates)"),
        field("block_size", &O::block_size, ">= 1", [](long long v) { return v >= 1; }, "τ, coordinates per block"),
        field("rule", &O::rule,
              "auto | cyclic | random_permutation | random | lipschitz | gs | gsl | gsd | gsq | gs_q | gs_q_manifold",
              one_of(std::array<std::string_view, 11>{"auto", "cyclic", "random_permutation", "random", "lipschitz", "gs", "gsl", "gsd",
                                                      "gsq", "gs_q", "gs_q_manifold"}),
              "block selection (docs/bcd.md); auto = gsl, or gs_q with an l1 term"),
        field("update", &O::update, "auto | lb | global | la | hb | newton | pg | pn",
              one_of(std::array<std::string_view, 8>{"auto", "lb", "global", "la", "hb", "newton", "pg", "pn"}),
              "block update (docs/bcd.md); auto = lb, or pg with an l1 term (which needs pg or pn)"),
        field("norm", &O::norm, "l2 | l1", one_of(std::array<std::string_view, 2>{"l2", "l1"}),
              "block norm of the fixed-block greedy rules")};
  }
  void validate() const { validate_fields(*this); }

  /// These names with "auto" replaced by its choice for a smooth or a composite (f + r) problem.
  BcdPolicyOptions resolved(bool composite) const {
    BcdPolicyOptions o = *this;
    if (o.rule == "auto") o.rule = composite ? "gs_q" : "gsl";
    if (o.update == "auto") o.update = composite ? "pg" : "lb";
    return o;
  }
};

}  // namespace convlab::optim
