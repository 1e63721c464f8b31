#!/bin/sh
# `mpirun -n R convlab fit` on the shipped run configs of experiments/examples (EXAMPLES), run by CTest:
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR same R  — R ranks give the one-process summary.json x, bit
#       for bit: logistic_breast_cancer.toml (CSV, standardized, full-batch gradient descent, Newton
#       reference), the same by minibatch AdamW, by fista with an l1 term and with a weights column
#       (0, 1 or 2 per row: each rank reads its rows' weights), and multinomial_digits.toml (LIBSVM,
#       minibatch momentum)
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR network R — the same for networks ([problem] row_blocks):
#       mlp_digits.toml (LIBSVM, minibatch AdamW) and an mlp on breast cancer with a weights column, on
#       R ranks and in one process with the same row_blocks; fewer row blocks than ranks is a config error
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR bad     — a parse error in rank 2's rows: one message,
#       from rank 2, naming file:line
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR kill    — rank 1 SIGKILLed mid-run: the job ends, no hang
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR diverge — a diverging run on 2 ranks: they agree, rank 0
#       writes summary.json with status non_finite, and the job exits 1 (no MPI_Abort before the write)
#   mpi_sharded_fit_test.sh CONVLAB EXAMPLES WORKDIR time    — a 1-second time limit on 3 ranks: all stop together
#       (without the agreement the rank that stops first leaves the others waiting forever)
set -u
convlab=$1 examples=$2 work=$3 mode=$4
shift 4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
config=$examples/logistic_breast_cancer.toml
out="$work/$mode${1:-}"
rm -rf "$out"
mkdir -p "$out"
# The "x" array of a summary.json (one number per line).
x_of() { sed -n '/^  "x": \[/,/\]/p' "$1"/*/*/summary.json; }
case $mode in
  same)
    variant=0
    awk 'NR == 1 { print $0 ",w"; next } { print $0 "," (NR % 3) }' "$examples/../../data/breast_cancer.csv" > "$out/weighted.csv"
    for run in "logistic_breast_cancer --set stop.max_iterations=4000" \
               "logistic_breast_cancer --set stop.max_iterations=300 --set optimizer.type=adamw --set optimizer.batch_size=32 --set schedule.per_lipschitz=false --set schedule.lr=0.01" \
               "multinomial_digits --set stop.max_iterations=300 --set reference=none" \
               "logistic_breast_cancer --set stop.max_iterations=500 --set stop.tolerance=0 --set optimizer.type=fista --set problem.l1=0.01 --set reference=none" \
               "logistic_breast_cancer --set stop.max_iterations=2000 --set problem.data=$out/weighted.csv --set problem.weights=w"; do
      variant=$((variant + 1))
      config=$examples/${run%% *}.toml sets=${run#* }
      "$convlab" fit "$config" $sets --out "$out/one$variant" > /dev/null || { echo "one-process run $variant failed"; exit 1; }
      mpirun -n "$1" "$convlab" fit "$config" $sets --out "$out/mpi$variant" > "$out/mpi$variant.log" 2>&1 || { cat "$out/mpi$variant.log"; echo "mpirun failed"; exit 1; }
      [ -n "$(x_of "$out/one$variant")" ] || { echo "no x in summary.json"; exit 1; }
      [ "$(x_of "$out/one$variant")" = "$(x_of "$out/mpi$variant")" ] || { echo "variant $variant: x differs from the one-process run"; exit 1; }
      grep -q "\"ranks\": $1," "$out/mpi$variant"/*/*/summary.json || { echo "summary.json does not record $1 ranks"; exit 1; }
      [ "$(grep -c 'run folder' "$out/mpi$variant.log")" -eq 1 ] || { echo "only rank 0 should report"; exit 1; }
    done
    echo "summary.json x identical on $1 ranks ($variant variants)" ;;
  network)
    awk 'NR == 1 { print $0 ",w"; next } { print $0 "," (NR % 3) }' "$examples/../../data/breast_cancer.csv" > "$out/weighted.csv"
    variant=0
    for sets in "--set stop.max_iterations=150 --set problem.row_blocks=3" \
                "--set stop.max_iterations=150 --set problem.row_blocks=4 --set problem.data=$out/weighted.csv --set problem.weights=w"; do
      variant=$((variant + 1))
      "$convlab" fit "$examples/mlp_digits.toml" $sets --out "$out/one$variant" > /dev/null || { echo "one-process run $variant failed"; exit 1; }
      mpirun -n "$1" "$convlab" fit "$examples/mlp_digits.toml" $sets --out "$out/mpi$variant" > "$out/mpi$variant.log" 2>&1 || { cat "$out/mpi$variant.log"; echo "mpirun failed"; exit 1; }
      [ -n "$(x_of "$out/one$variant")" ] || { echo "no x in summary.json"; exit 1; }
      [ "$(x_of "$out/one$variant")" = "$(x_of "$out/mpi$variant")" ] || { echo "network variant $variant: x differs from the one-process run"; exit 1; }
      grep -q "\"ranks\": $1," "$out/mpi$variant"/*/*/summary.json || { echo "summary.json does not record $1 ranks"; exit 1; }
    done
    log=$(mpirun -n "$1" "$convlab" fit "$examples/mlp_digits.toml" --set problem.row_blocks=1 --out "$out/few" 2>&1)
    code=$?
    [ "$code" -eq 2 ] || { echo "$log"; echo "row_blocks = 1 on $1 ranks: expected exit 2 (config error), got $code"; exit 1; }
    echo "$log" | grep -q "row_blocks = 1: .* fewer than the $1 ranks" || { echo "$log"; echo "expected the row_blocks message"; exit 1; }
    echo "network x identical on $1 ranks ($variant variants); too few row blocks refused" ;;
  bad)
    # 600 rows, blocks of 64: rank 2 of 3 holds blocks 6..9 = rows 384..599; the 550th data row is line 551.
    awk 'BEGIN { print "y,a,b"; for (i = 1; i <= 600; ++i) print (i == 550 ? "1,0.5,oops" : (i % 2) ",0." i % 7 ",0.25") }' > "$out/bad.csv"
    log=$(mpirun -n 3 "$convlab" fit "$config" --set problem.data="$out/bad.csv" --out "$out/run" 2>&1)
    code=$?
    echo "$log" | grep convlab
    [ "$code" -ne 0 ] || { echo "expected a non-zero exit"; exit 1; }
    echo "$log" | grep -q "convlab: error (rank 2 of 3): .*bad.csv:551" || { echo "expected rank 2 to report bad.csv:551"; exit 1; }
    [ "$(echo "$log" | grep -c '^convlab: error')" -eq 1 ] || { echo "expected exactly one error message"; exit 1; }
    echo "one message, from rank 2, with file:line" ;;
  diverge)
    mpirun -n 2 "$convlab" fit "$config" --set schedule.lr=1e6 --set problem.type=least_squares --set reference=none \
      --out "$out/run" > "$out/log" 2>&1
    code=$?
    tail -3 "$out/log"
    [ "$code" -eq 1 ] || { echo "expected exit 1 (diverged), got $code"; exit 1; }
    grep -q '"status": "non_finite"' "$out/run"/*/*/summary.json || { echo "expected summary.json with status non_finite"; exit 1; }
    echo "diverged on 2 ranks: exit 1, summary.json written" ;;
  time)
    start=$(date +%s)
    timeout 60 mpirun -n 3 "$convlab" fit "$config" --set stop.max_iterations=100000000 --set stop.tolerance=0 --set stop.time_limit=1 \
      --set reference=none --out "$out/run" > "$out/log" 2>&1
    code=$?
    tail -3 "$out/log"
    [ "$code" -ne 124 ] || { echo "hung: the ranks did not stop together"; exit 1; }
    grep -q '"status": "time_limit"' "$out/run"/*/*/summary.json || { echo "expected status time_limit"; exit 1; }
    echo "stopped together after $(( $(date +%s) - start )) s (exit $code)" ;;
  kill)
    start=$(date +%s)
    mpirun -n 2 "$convlab" fit "$config" --set stop.max_iterations=100000000 --set stop.tolerance=0 --set stop.time_limit=60 \
      --set reference=none --out "$out/run" > "$out/log" 2>&1 &
    launcher=$!
    killed=""
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
      sleep 0.5
      for pid in $(pgrep -f "convlab fit .*$out/run"); do
        if tr '\0' '\n' < "/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1"; then kill -9 "$pid" && killed=$pid; fi
      done
      [ -n "$killed" ] && break
    done
    [ -n "$killed" ] || { kill "$launcher"; echo "did not find rank 1"; exit 1; }
    wait "$launcher"
    code=$?
    tail -3 "$out/log"
    [ "$code" -ne 0 ] || { echo "expected a non-zero exit"; exit 1; }
    [ $(( $(date +%s) - start )) -lt 30 ] || { echo "took too long to end"; exit 1; }
    echo "rank 1 killed: exit $code after $(( $(date +%s) - start )) s" ;;
esac
