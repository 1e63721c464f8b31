#!/bin/sh
# MPI tests of `convlab fit` on a federated config (run by CTest):
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR invariance R   — R ranks give the in-process model, bit for bit
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR kill|throw     — rank 1 dies / throws: non-zero exit naming rank 1, no hang
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR diverge        — a diverging run, in-process and on 2 ranks: exit 1,
#       summary.json with status non_finite and the same last finite model
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR resume [METHOD] — killed after a checkpoint, rerun on 3 ranks: the uninterrupted model
set -u
convlab=$1 config=$2 work=$3 mode=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rounds="--set federated.rounds=240 --set federated.checkpoint_every=100"
stem=$(basename "$config" .toml)
[ "$mode" = resume ] && [ $# -ge 5 ] && rounds="$rounds --set federated.method=$5" && mode="resume_$5"
rm -rf "$work/$mode"
reference() {
  "$convlab" fit "$config" $rounds --out "$work/$mode/ref" > /dev/null || { echo "in-process run failed"; exit 1; }
}
case $mode in
  invariance)
    reference
    mpirun -n "$5" "$convlab" fit "$config" $rounds --out "$work/$mode/mpi" || { echo "mpirun failed"; exit 1; }
    cmp "$work/$mode/ref/$stem/fit/x.csv" "$work/$mode/mpi/$stem/fit/x.csv" || { echo "model differs from the in-process run"; exit 1; }
    cmp "$work/$mode/ref/$stem/fit/metrics.csv" "$work/$mode/mpi/$stem/fit/metrics.csv" || { echo "objective history differs"; exit 1; }
    echo "identical on $5 ranks" ;;
  kill|throw)
    start=$(date +%s)
    out=$(CONVLAB_FAULT="1:150:$mode" mpirun -n 2 -x CONVLAB_FAULT "$convlab" fit "$config" $rounds --out "$work/$mode/mpi" 2>&1)
    code=$?
    echo "$out" | tail -5
    [ "$code" -ne 0 ] || { echo "expected a non-zero exit"; exit 1; }
    echo "$out" | grep -q "rank 1" || { echo "the message does not name rank 1"; exit 1; }
    [ $(( $(date +%s) - start )) -lt 30 ] || { echo "took too long to end"; exit 1; }
    echo "exit $code, rank 1 named" ;;
  diverge)
    sets="--set federated.rounds=40 --set federated.global_lr=1e150 --set federated.checkpoint_every=0"
    "$convlab" fit "$config" $sets --out "$work/$mode/ref" > "$work/$mode.log" 2>&1
    code=$?
    [ "$code" -eq 1 ] || { cat "$work/$mode.log"; echo "in-process: expected exit 1 (diverged), got $code"; exit 1; }
    mpirun -n 2 "$convlab" fit "$config" $sets --out "$work/$mode/mpi" > "$work/$mode.log" 2>&1
    code=$?
    [ "$code" -eq 1 ] || { cat "$work/$mode.log"; echo "2 ranks: expected exit 1 (diverged), got $code"; exit 1; }
    for run in ref mpi; do
      grep -q '"status": "non_finite"' "$work/$mode/$run/$stem/fit/summary.json" || { echo "$run: expected status non_finite"; exit 1; }
      grep -qi 'nan\|inf' "$work/$mode/$run/$stem/fit/x.csv" && { echo "$run: x.csv is not the last finite model"; exit 1; }
    done
    cmp "$work/$mode/ref/$stem/fit/x.csv" "$work/$mode/mpi/$stem/fit/x.csv" || { echo "last finite model differs"; exit 1; }
    echo "diverged: exit 1 and summary.json, in-process and on 2 ranks" ;;
  resume*)
    reference
    CONVLAB_FAULT="1:150:kill" mpirun -n 2 -x CONVLAB_FAULT "$convlab" fit "$config" $rounds --out "$work/$mode/mpi" > /dev/null 2>&1 && { echo "the faulty run should fail"; exit 1; }
    mpirun -n 3 "$convlab" fit "$config" $rounds --out "$work/$mode/mpi" 2>&1 | grep "resuming" || { echo "did not resume"; exit 1; }
    cmp "$work/$mode/ref/$stem/fit/x.csv" "$work/$mode/mpi/$stem/fit/x.csv" || { echo "resumed model differs"; exit 1; }
    cmp "$work/$mode/ref/$stem/fit/metrics.csv" "$work/$mode/mpi/$stem/fit/metrics.csv" || { echo "resumed history differs"; exit 1; }
    echo "resumed run identical" ;;
esac
