#pragma once
// `convlab fit` for federated run configs (a [federated] table): FedAU or a baseline over the
// clients of a federation, in-process or — under mpirun — over MPI ranks, with checkpoints every
// `checkpoint_every` rounds that a rerun of the same config resumes from. See docs/federated.md.
#include <string>

#include <toml++/toml.h>

#include "config/config.hpp"

namespace convlab::experiments {

bool is_federated_config(const toml::table& root);
int command_federated_validate(const std::string& path, const Overrides& overrides);
int command_federated_fit(const std::string& path, const Overrides& overrides, const std::string& out);

}  // namespace convlab::experiments
