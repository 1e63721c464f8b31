#pragma once
// FedAU (Wang & Ji, ICLR 2024) against its baselines under Bernoulli, Markov and cyclic
// participation, on the spec's small heterogeneous logistic federation and on digits split
// non-iid over 250 clients. See docs/experiments/fedau.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& fedau_metrics();

void validate_fedau_suite(const toml::table& fedau, const std::string& file, const std::filesystem::path& base_dir,
                                const Origins& origins);

nlohmann::json run_fedau_suite(const toml::table& fedau, const std::string& file, const std::filesystem::path& base_dir,
                                     const std::filesystem::path& dir, const std::string& figure_prefix,
                                     const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
