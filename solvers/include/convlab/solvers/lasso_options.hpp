#pragma once
/// \file
/// The options of the certified lasso / elastic-net solver (lasso_cd, lasso_path, lasso_cd_fit;
/// docs/solvers.md), apart from the solver so that a config reader can hold them without the
/// solver's headers.

#include <string_view>
#include <tuple>

#include <convlab/core/fields.hpp>

namespace convlab::solvers {

/// Options of lasso_cd, lasso_path and lasso_cd_fit. Declared once (core/fields.hpp): `convlab fit`
/// reads the accelerations as `[optimizer]` keys of `type = "lasso_cd"`.
struct LassoOptions {
  double alpha = 1.0;            ///< elastic-net mixing, 0 < alpha <= 1 (1 = lasso)
  double tolerance = 1e-8;       ///< relative duality gap at which to stop, > 0
  long long max_epochs = 100000; ///< passes over the working set, in total
  bool working_sets = true;      ///< grow working sets from the dual (celer/skglm); off: cyclic CD on all features
  bool screening = true;         ///< gap-safe screening (drop features certified to be 0), of all features and within each working set
  bool anderson = true;          ///< Anderson extrapolation of the working-set iterates
  bool gram = true;              ///< update through the working set's Gram matrix when cheaper (glmnet's covariance updates)
  int anderson_memory = 5;       ///< iterates combined, >= 2

  static constexpr std::string_view type_name = "LassoOptions";
  static constexpr auto fields() {
    using O = LassoOptions;
    return std::tuple{
        field("alpha", &O::alpha, "0 < alpha <= 1", [](double v) { return v > 0 && v <= 1; }, "elastic-net mixing (1 = lasso)"),
        field("tolerance", &O::tolerance, "> 0", [](double v) { return v > 0; }, "relative duality gap at which to stop"),
        field("max_epochs", &O::max_epochs, ">= 1", [](long long v) { return v >= 1; }, "passes over the working set, in total"),
        field("working_sets", &O::working_sets, "solve over growing working sets"),
        field("screening", &O::screening, "gap-safe screening"),
        field("anderson", &O::anderson, "Anderson extrapolation of the iterates"),
        field("gram", &O::gram, "updates through the working set's Gram matrix when cheaper"),
        field("anderson_memory", &O::anderson_memory, ">= 2", [](int v) { return v >= 2; }, "iterates Anderson extrapolation combines")};
  }
  void validate() const { validate_fields(*this); }
};

}  // namespace convlab::solvers
