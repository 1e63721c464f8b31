#!/usr/bin/env bash
# Installs every build and run dependency of convlab from Debian 12 packages, only when
# missing. Idempotent and quiet when everything is present. Runs apt-get as root (or
# through sudo when not root).
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config  # toolchain
  libeigen3-dev                                        # linear algebra (header-only)
  libceres-dev                                         # reference solver, autodiff
  libboost-dev libboost-math-dev                       # Boost.Math, Boost.Random
  zlib1g-dev                                           # .csv.gz / .libsvm.gz data
  libopenmpi-dev openmpi-bin                           # MPI simulator
  libgtest-dev libgmock-dev librapidcheck-dev          # tests, property tests
  libbenchmark-dev                                     # bench/
  libtomlplusplus-dev libcli11-dev                     # configs, CLI
  nlohmann-json3-dev                                   # summary.json (written and read back to resume)
  libfmt-dev libspdlog-dev                             # output
  gnuplot-nox                                          # plots for run folders and reports
  clang libclang-rt-14-dev                             # libFuzzer harnesses (tests/fuzz)
  pybind11-dev python3-dev python3-numpy python3-pytest  # the Python package (python/) and its tests
  python3-torch python3-sklearn python3-scipy          # convlab.torch, convlab.linear_model; tests against both
  libtorch-dev                                         # the LibTorch bridge (torch/), its tests and examples
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
