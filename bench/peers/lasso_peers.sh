#!/usr/bin/env bash
# Lasso speed against glmnet (R) and scikit-learn (Python), side by side, on the same problems
# and held to the same stopping criterion: a relative duality gap ≤ 1e-8, measured for every
# solver's answer by one formula (bench/peers/lasso_tool gap). For each peer the fastest
# stopping threshold of its ladder that reaches the gap is reported. The peers are installed
# here from Debian packages (r-cran-glmnet, python3-sklearn); they are never library
# dependencies. Usage: bench/peers/lasso_peers.sh [BUILD_DIR] [lasso|l1|l2|all|scale|l1scale]
# (after cmake --build; the second argument runs one table, default all; `scale` runs the lasso
# table on the two large problems of issue 24 instead, about an hour, and `l1scale` L1-logistic on
# them, one λ and a path; neither is part of `all`)
set -euo pipefail
# One thread for everyone: Eigen (OpenMP), numpy's BLAS, R's BLAS.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
only=${2:-all}
case $only in lasso|l1|l2|all|scale|l1scale) ;; *) echo "lasso_peers.sh: '$only' is not one of lasso | l1 | l2 | all | scale | l1scale" >&2; exit 2 ;; esac
tool=$build/bench/lasso_tool
[ -x "$tool" ] || { echo "lasso_peers.sh: $tool not built (cmake --build $build)" >&2; exit 2; }
py=/usr/bin/python3  # Debian's Python, where python3-sklearn lives (not a pyenv shim)
if ! Rscript -e 'library(glmnet)' >/dev/null 2>&1 || ! $py -c 'import sklearn' >/dev/null 2>&1; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
  $sudo_cmd apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q r-cran-glmnet python3-sklearn
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
reps=7 peer_limit=3600 glmnet_ladder="" sklearn_ladder=""
if [ "$only" = scale ] || [ "$only" = l1scale ]; then
  "$tool" writescale "$work"
  # Shorter ladders around the thresholds that reached the gap on the small problems.
  lasso_names="sparse100000x100000 wide1000x100000" reps=3 peer_limit=900 glmnet_ladder=1e-9,1e-11,1e-13 sklearn_ladder=1e-7,1e-8,1e-9
  [ "$only" = scale ] || lasso_names="" peer_limit=600
else
  "$tool" write "$work" "$here/../../data"
  lasso_names="sparse500x2000 diabetes"; [ "$only" = all ] || [ "$only" = lasso ] || lasso_names=""
fi
if [ -n "$lasso_names" ]; then
  echo "| problem | solver | one λ (s) | gap | 50-λ path (s) | worst gap | ours / solver (one λ, path) |"
  echo "|---|---|---|---|---|---|---|"
fi
for name in $lasso_names; do  # lasso
  read -r ours1 ours2 gap1 gap2 < <("$tool" time "$work" "$name" $reps)
  echo "| $name | convlab lasso_cd (tolerance 1e-8) | $ours1 | $gap1 | $ours2 | $gap2 | 1, 1 |"
  for peer in glmnet sklearn; do
    # A ladder cut by the time limit still reports the thresholds it finished.
    if [ $peer = glmnet ]; then timeout $peer_limit Rscript "$here/glmnet_lasso.R" "$work" "$name" "$work" $glmnet_ladder > "$work/$peer.txt" || true
    else timeout $peer_limit $py "$here/sklearn_lasso.py" "$work" "$name" "$work" $sklearn_ladder > "$work/$peer.txt" || true; fi
    if [ ! -s "$work/$peer.txt" ]; then echo "| $name | $peer | no threshold finished within $peer_limit s | | | | |"; continue; fi
    best1=""; best2=""; last1=""; last2=""
    while read -r tol t1 t2; do
      g1=$("$tool" gap "$work" "$name" "$work/${peer}_${name}_one_${tol}.csv" | cut -d' ' -f1)
      g2=$("$tool" gap "$work" "$name" "$work/${peer}_${name}_path_${tol}.csv" | cut -d' ' -f1)
      if [ -z "$best1" ] && awk -v g="$g1" 'BEGIN{exit !(g <= 1e-8)}'; then best1="$t1 $g1 $tol"; fi
      if [ -z "$best2" ] && awk -v g="$g2" 'BEGIN{exit !(g <= 1e-8)}'; then best2="$t2 $g2 $tol"; fi
      last1="$t1 $g1 ${tol}(gap-not-reached)"; last2="$t2 $g2 ${tol}(gap-not-reached)"
    done < "$work/$peer.txt"
    # A peer that never reaches the gap is reported at its tightest threshold, marked.
    read -r p1 pg1 ptol1 <<< "${best1:-$last1}"
    read -r p2 pg2 ptol2 <<< "${best2:-$last2}"
    r1=$(awk -v a="$ours1" -v b="$p1" 'BEGIN{printf "%.3f", a/b}'); r2=$(awk -v a="$ours2" -v b="$p2" 'BEGIN{printf "%.3f", a/b}')
    echo "| $name | $peer (threshold $ptol1 / $ptol2) | $p1 | $pg1 | $p2 | $pg2 | $r1, $r2 |"
  done
done

# Logistic regression, one λ, the same gap rule: L1 (labels y > 0, λ = 0.05·λ_max; lasso_tool
# ltime / lgap) and L2 (λ = 1/n; rtime / rgap).
# The fastest threshold of a peer's ladder (lines "threshold seconds" in file $1) whose answer
# (file $2 with {} for the threshold) `lasso_tool $3` certifies to a gap ≤ 1e-8, else its
# tightest threshold, marked: prints "seconds gap threshold".
best_threshold() {
  local best="" last="" tol t g
  while read -r tol t; do
    g=$("$tool" "$3" "$work" "$name" "${2//\{\}/$tol}" | cut -d' ' -f1)
    if [ -z "$best" ] && awk -v g="$g" 'BEGIN{exit !(g <= 1e-8)}'; then best="$t $g $tol"; fi
    last="$t $g ${tol}(gap-not-reached)"
  done < "$1"
  echo "${best:-$last}"
}
case $only in all) penalties="l1 l2" ;; lasso|scale|l1scale) penalties="" ;; *) penalties=$only ;; esac
for penalty in $penalties; do
  if [ $penalty = l1 ]; then mode=l; solvers="glmnet sklearn-liblinear sklearn-saga"
  else mode=r; solvers="glmnet sklearn-liblinear sklearn-lbfgs sklearn-newton-cg sklearn-newton-cholesky sklearn-saga"; fi
  echo
  echo "| problem | solver ($penalty-logistic) | one λ (s) | gap | ours / solver |"
  echo "|---|---|---|---|---|"
  names="sparse500x2000 breast_cancer"; [ $penalty = l2 ] && names="$names wide1000x20000 tall20000x200"
  for name in $names; do
    read -r ours gap method < <("$tool" ${mode}time "$work" "$name" 7)
    echo "| $name | convlab ($method, tolerance 1e-8) | $ours | $gap | 1 |"
    for peer in $solvers; do
      # Newton-Cholesky factors the p × p Hessian: 3.2 GB and hours at p = 20000.
      if [ $peer = sklearn-newton-cholesky ] && [ $name = wide1000x20000 ]; then echo "| $name | $peer | not run (p × p Hessian, p = 20000) | | |"; continue; fi
      case $peer in
        # A ladder that runs past 5 minutes is cut: the thresholds it finished are still reported.
        glmnet) timeout 300 Rscript "$here/glmnet_logistic.R" "$work" "$name" "$work" $penalty > "$work/$peer.txt" || true ;;
        sklearn-*) timeout 300 $py "$here/sklearn_logistic.py" "$work" "$name" "$work" "${peer#sklearn-}" $penalty > "$work/$peer.txt" || true ;;
      esac
      if [ ! -s "$work/$peer.txt" ]; then echo "| $name | $peer | no threshold finished within 5 minutes | | |"; continue; fi
      read -r p1 pg ptol < <(best_threshold "$work/$peer.txt" "$work/${peer}_${name}_${penalty}log_{}.csv" ${mode}gap)
      r1=$(awk -v a="$ours" -v b="$p1" 'BEGIN{printf "%.3g", a/b}')
      echo "| $name | $peer (threshold $ptol) | $p1 | $pg | $r1 |"
    done
  done
done

# L1-logistic at scale (issue 24): one λ (0.05·λ_max) and the 50-λ path down to it, on both large
# problems; glmnet and liblinear (saga needed tens of seconds on 500 × 2000). Each peer's ladder
# for one λ and for the path is one run, cut after $peer_limit seconds (the thresholds it finished
# still count); liblinear cannot warm-start, so its path is 50 fits from 0.
if [ "$only" = l1scale ]; then
  echo "| problem | solver (L1-logistic) | one λ (s) | gap | 50-λ path (s) | worst gap | ours / solver (one λ, path) |"
  echo "|---|---|---|---|---|---|---|"
  for name in sparse100000x100000 wide1000x100000; do
    read -r ours1 gap1 _ < <("$tool" ltime "$work" "$name" 3)
    read -r ours2 gap2 < <("$tool" lptime "$work" "$name" 1)
    echo "| $name | convlab logistic_l1 (tolerance 1e-8) | $ours1 | $gap1 | $ours2 | $gap2 | 1, 1 |"
    for peer in glmnet sklearn-liblinear; do
      row=""
      for what in one path; do
        suffix=""; [ $what = path ] && suffix=_path
        # 50 cold fits that would take longer than the limit are not started.
        read -r t_one _ <<< "$row"
        if [ $what = path ] && [ $peer = sklearn-liblinear ] && awk -v t="$t_one" -v l=$peer_limit 'BEGIN{exit !(t == "-" || 50 * t > l)}'; then
          row="$row - not-run:50-fits-of-the-one-λ-time-exceed-${peer_limit}s -"; continue
        fi
        if [ $peer = glmnet ]; then timeout $peer_limit Rscript "$here/glmnet_logistic.R" "$work" "$name" "$work" l1 1e-10,1e-14 $what > "$work/$peer.$what.txt" || true
        else timeout $peer_limit $py "$here/sklearn_logistic.py" "$work" "$name" "$work" liblinear l1 1e-8,1e-10 $what > "$work/$peer.$what.txt" || true; fi
        if [ -s "$work/$peer.$what.txt" ]; then
          read -r t g tol < <(best_threshold "$work/$peer.$what.txt" "$work/${peer}_${name}_l1log${suffix}_{}.csv" lgap)
        else t="-"; g="none-within-${peer_limit}s"; tol="-"; fi
        row="$row $t $g $tol"
      done
      read -r p1 pg1 ptol1 p2 pg2 ptol2 <<< "$row"
      r1=$(awk -v a="$ours1" -v b="$p1" 'BEGIN{if (b + 0 > 0) printf "%.3f", a/b; else printf "-"}')
      r2=$(awk -v a="$ours2" -v b="$p2" 'BEGIN{if (b + 0 > 0) printf "%.3f", a/b; else printf "-"}')
      echo "| $name | $peer (threshold $ptol1 / $ptol2) | $p1 | $pg1 | $p2 | $pg2 | $r1, $r2 |"
    done
  done
fi
