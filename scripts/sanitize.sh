#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer build of convlab's tests, and a run of them.
#   scripts/sanitize.sh        the CI subset: the library's unit tests of problems (loaders,
#                              objectives), schedules, optim (minimize, optimizers, Lion-κ) and
#                              federated (server, checkpoints), plus the loader fuzz corpora —
#                              about 9 minutes on 2 cores from a cold cache
#   scripts/sanitize.sh all    every target and the whole CTest suite (the CLI, bad configs,
#                              MPI cases without the leak check); about 45 minutes on 2 cores
# Build folder: $SANITIZE_BUILD_DIR (default build-sanitize). Exit code non-zero on any finding.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${SANITIZE_BUILD_DIR:-$root/build-sanitize}
mode=${1:-subset}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# -O1 keeps the build and the tests quick while the sanitizers see every access. LibTorch is
# off: Debian's libtorch is not built with the sanitizers, and its allocator trips ASan.
cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
  -DCONVLAB_SANITIZE=address,undefined -DCONVLAB_BUILD_BENCH=OFF -DCONVLAB_WITH_PYTHON=OFF -DCONVLAB_WITH_TORCH=OFF -DCONVLAB_BUILD_EXPERIMENTS="$([ "$mode" = all ] && echo ON || echo OFF)" > /dev/null
if [ "$mode" = all ]; then
  cmake --build "$out"
  status=0
  ctest --test-dir "$out" --output-on-failure -j2 -LE "consumer|mpi" || status=1
  # Under mpirun, LeakSanitizer reports only Open MPI's own allocations (its plugins, hwloc, the
  # PMIx client; Open MPI does not free them at MPI_Finalize), so the MPI cases run with the
  # address and undefined-behaviour checks but without the leak check.
  ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0} ctest --test-dir "$out" --output-on-failure -j2 -L mpi || status=1
  exit $status
fi
binaries=(problems_tests schedules_tests optim_tests federated_tests fuzz_replay)
cmake --build "$out" --target "${binaries[@]}"
status=0
for b in "${binaries[@]}"; do
  [ "$b" = fuzz_replay ] && continue
  echo "sanitize: $b"
  "$out/tests/$b" --gtest_brief=1 || status=1
done
for corpus in libsvm csv; do
  "$out/tests/fuzz_replay" "$corpus" "$root/tests/fuzz/corpus/$corpus" || status=1
done
[ $status -eq 0 ] && echo "sanitize: no findings (address, undefined)"
exit $status
