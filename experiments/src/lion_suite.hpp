#pragma once
// The Lion-κ suite (Chen, Liu, Liang, Liu 2024): Lion and Lion-κ on least squares and L2-free
// logistic regression with decoupled weight decay λ, against the optimum of
// f + (1/λ)κ*(λx) computed independently; entry into the feasible set, distance and gap,
// the discrete Lyapunov function. See docs/experiments/lion-kappa.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& lion_metrics();

void validate_lion_suite(const toml::table& lion, const std::string& file, const std::filesystem::path& base_dir,
                         const Origins& origins);

nlohmann::json run_lion_suite(const toml::table& lion, const std::string& file, const std::filesystem::path& base_dir,
                              const std::filesystem::path& dir, const std::string& figure_prefix,
                              const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
