#pragma once
// FedAU on a network (runner network_fedau, table [network_fedau]): a fully connected network
// over the shipped digits, split non-iid over clients whose participation rates follow their
// labels and are unknown to the server; FedAU against averaging over the participants and against
// weighting by the known rates, over seeds, with paired confidence intervals. Built only with
// LibTorch (the clients are NetworkProblem); see docs/experiments/networks.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& network_fedau_metrics();
void validate_network_fedau(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                            const Origins& origins);
nlohmann::json run_network_fedau(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                                 const std::filesystem::path& dir, const std::string& figure_prefix,
                                 const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
