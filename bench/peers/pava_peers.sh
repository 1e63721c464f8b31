#!/usr/bin/env bash
# PAVA against scikit-learn's IsotonicRegression on 1e6 points, side by side on the same numbers
# (bench/peers/pava_tool writes them). scikit-learn is installed here from Debian
# (python3-sklearn); it is never a library dependency. Usage: bench/peers/pava_peers.sh [BUILD_DIR]
set -euo pipefail
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
tool=$build/bench/pava_tool
[ -x "$tool" ] || { echo "pava_peers.sh: $tool not built (cmake --build $build)" >&2; exit 2; }
py=/usr/bin/python3
if ! $py -c 'import sklearn' >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q python3-sklearn
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$tool" write "$work/points.csv" 1000000
read -r ours_fit ours_iso ours_sum1 ours_sum2 < <("$tool" time "$work/points.csv" 7)
read -r sk_fit sk_iso sk_sum1 sk_sum2 < <(cd "$here" && $py sklearn_isotonic.py "$work/points.csv")
echo "| task (1e6 points) | convlab | scikit-learn | ours / scikit-learn | fitted sums (ours, sklearn) |"
echo "|---|---|---|---|---|"
awk -v a="$ours_fit" -v b="$sk_fit" -v s="$ours_sum1" -v t="$sk_sum1" 'BEGIN{printf "| fit on (x, y): sort, ties, PAVA | %.4g s | %.4g s | %.3f | %.10g, %.10g |\n", a, b, a/b, s, t}'
awk -v a="$ours_iso" -v b="$sk_iso" -v s="$ours_sum2" -v t="$sk_sum2" 'BEGIN{printf "| PAVA on ordered y | %.4g s | %.4g s | %.3f | %.10g, %.10g |\n", a, b, a/b, s, t}'
