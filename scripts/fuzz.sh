#!/usr/bin/env bash
# Builds the libFuzzer harness for the data loaders with clang (ASan + UBSan) and fuzzes
# each loader for SECONDS (default 120), growing tests/fuzz/corpus/<loader>/.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-120}
out=${FUZZ_BUILD_DIR:-$root/build-fuzz}
mkdir -p "$out"
clang++ -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$root/problems/include" -isystem /usr/include/eigen3 \
  "$root/tests/fuzz/loaders_fuzz.cpp" -o "$out/loaders_fuzz"
for loader in libsvm csv; do
  # The first input byte picks the loader (odd: LIBSVM, even: CSV); a fresh corpus per loader
  # keeps each one's inputs together, and -dict helps libFuzzer find the syntax.
  "$out/loaders_fuzz" -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=2048 \
    -artifact_prefix="$out/" \
    -dict="$root/tests/fuzz/$loader.dict" "$root/tests/fuzz/corpus/$loader" 2>&1 | tail -n 3
done
