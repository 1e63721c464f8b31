#pragma once
// The papers' training claims on small networks (LibTorch, docs/torch.md): the refined-schedules
// comparison on a multilayer perceptron (runner network_schedules, table [network_schedules]) and
// Lion-κ's box on a network's weights with κ compared at tuned lr (runner network_lion, table
// [network_lion]). Built only with LibTorch (CONVLAB_WITH_TORCH); see
// docs/experiments/networks.md.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "config.hpp"

namespace convlab::experiments {

const std::vector<std::string>& network_schedule_metrics();
void validate_network_schedules(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                                const Origins& origins);
nlohmann::json run_network_schedules(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                                     const std::filesystem::path& dir, const std::string& figure_prefix,
                                     const std::function<void(std::size_t, std::size_t)>& progress);

const std::vector<std::string>& network_lion_metrics();
void validate_network_lion(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                           const Origins& origins);
nlohmann::json run_network_lion(const toml::table& t, const std::string& file, const std::filesystem::path& base_dir,
                                const std::filesystem::path& dir, const std::string& figure_prefix,
                                const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace convlab::experiments
