#!/usr/bin/env bash
# AdamW and Lion steps against PyTorch on the same sizes and thread counts (bench/README.md):
# ours from optim_bench (Google Benchmark, float32), torch from optim_torch.py. PyTorch comes
# from Debian (python3-torch); it is never a library dependency.
# Usage: bench/peers/optim_peers.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
bench=$build/bench/optim_bench
[ -x "$bench" ] || { echo "optim_peers.sh: $bench not built (cmake --build $build)" >&2; exit 2; }
py=/usr/bin/python3
if ! $py -c 'import torch' >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q python3-torch
fi
echo "| n (float32) | threads | convlab AdamW | torch AdamW | torch AdamW foreach | torch / ours (best torch) | convlab Lion | torch Lion | torch / ours |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in 1000000 10000000; do
  for t in 1 2; do
    ours=$("$bench" --benchmark_filter="BM_(AdamW|Lion)<float>/$n/$t/" --benchmark_min_time=0.5 --benchmark_format=csv 2>/dev/null |
      awk -F, '/AdamW/{a=$3} /Lion/{l=$3} END{print a/1000, l/1000}')  # ms per step -> s
    read -r adamw lion <<<"$ours"
    torch=$(cd "$here" && OMP_NUM_THREADS=$t $py optim_torch.py $n $t | awk '{printf "%s ", $2}')
    read -r ta taf tl <<<"$torch"
    awk -v n=$n -v t=$t -v a=$adamw -v ta=$ta -v taf=$taf -v l=$lion -v tl=$tl 'BEGIN{
      best = ta < taf ? ta : taf
      printf "| %d | %d | %.3g ms | %.3g ms | %.3g ms | %.2f | %.3g ms | %.3g ms | %.2f |\n",
        n, t, a*1e3, ta*1e3, taf*1e3, best/a, l*1e3, tl*1e3, tl/l }'
  done
done
