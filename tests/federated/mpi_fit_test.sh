#!/bin/sh
# MPI tests of `convlab fit` on a federated config (run by CTest):
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR invariance R [KEY=VALUE ...] — R ranks give the in-process model, bit for bit
#       (each KEY=VALUE is passed as --set federated.KEY=VALUE)
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR kill|throw     — rank 1 dies / throws: non-zero exit naming rank 1, no hang
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR diverge        — a diverging run, in-process and on 2 ranks: exit 1,
#       summary.json with status non_finite and the same last finite model
#   mpi_fit_test.sh CONVLAB CONFIG WORKDIR resume [METHOD] — killed after a checkpoint, rerun on 3 ranks: the uninterrupted model
set -u
convlab=$1 config=$2 work=$3 mode=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
rounds="--set federated.rounds=240 --set federated.checkpoint_every=100"
stem=$(basename "$config" .toml)
name=$mode  # the folder under WORKDIR
[ "$mode" = resume ] && [ $# -ge 5 ] && rounds="$rounds --set federated.method=$5" && name="resume_$5"
if [ "$mode" = invariance ] && [ $# -gt 5 ]; then
  ranks=$5
  shift 5
  for kv in "$@"; do rounds="$rounds --set federated.$kv"; done
  name="invariance_$(echo "$ranks $*" | tr ' =' '__')"
  set -- "$convlab" "$config" "$work" invariance "$ranks"
fi
rm -rf "$work/$name"
# The run folder under an --out folder (one per config and --set variant; docs/configs.md).
folder() { set -- "$1/$stem"/*/; echo "${1%/}"; }
reference() {
  "$convlab" fit "$config" $rounds --out "$work/$name/ref" > /dev/null || { echo "in-process run failed"; exit 1; }
}
case $mode in
  invariance)
    reference
    mpirun -n "$5" "$convlab" fit "$config" $rounds --out "$work/$name/mpi" || { echo "mpirun failed"; exit 1; }
    cmp "$(folder "$work/$name/ref")/x.csv" "$(folder "$work/$name/mpi")/x.csv" || { echo "model differs from the in-process run"; exit 1; }
    cmp "$(folder "$work/$name/ref")/metrics.csv" "$(folder "$work/$name/mpi")/metrics.csv" || { echo "objective history differs"; exit 1; }
    echo "identical on $5 ranks" ;;
  kill|throw)
    start=$(date +%s)
    out=$(CONVLAB_FAULT="1:150:$mode" mpirun -n 2 -x CONVLAB_FAULT "$convlab" fit "$config" $rounds --out "$work/$name/mpi" 2>&1)
    code=$?
    echo "$out" | tail -5
    [ "$code" -ne 0 ] || { echo "expected a non-zero exit"; exit 1; }
    echo "$out" | grep -q "rank 1" || { echo "the message does not name rank 1"; exit 1; }
    [ $(( $(date +%s) - start )) -lt 30 ] || { echo "took too long to end"; exit 1; }
    echo "exit $code, rank 1 named" ;;
  diverge)
    sets="--set federated.rounds=40 --set federated.global_lr=1e150 --set federated.checkpoint_every=0"
    "$convlab" fit "$config" $sets --out "$work/$name/ref" > "$work/$name.log" 2>&1
    code=$?
    [ "$code" -eq 1 ] || { cat "$work/$name.log"; echo "in-process: expected exit 1 (diverged), got $code"; exit 1; }
    mpirun -n 2 "$convlab" fit "$config" $sets --out "$work/$name/mpi" > "$work/$name.log" 2>&1
    code=$?
    [ "$code" -eq 1 ] || { cat "$work/$name.log"; echo "2 ranks: expected exit 1 (diverged), got $code"; exit 1; }
    for run in ref mpi; do
      grep -q '"status": "non_finite"' "$(folder "$work/$name/$run")/summary.json" || { echo "$run: expected status non_finite"; exit 1; }
      grep -qi 'nan\|inf' "$(folder "$work/$name/$run")/x.csv" && { echo "$run: x.csv is not the last finite model"; exit 1; }
    done
    cmp "$(folder "$work/$name/ref")/x.csv" "$(folder "$work/$name/mpi")/x.csv" || { echo "last finite model differs"; exit 1; }
    echo "diverged: exit 1 and summary.json, in-process and on 2 ranks" ;;
  resume)
    reference
    CONVLAB_FAULT="1:150:kill" mpirun -n 2 -x CONVLAB_FAULT "$convlab" fit "$config" $rounds --out "$work/$name/mpi" > /dev/null 2>&1 && { echo "the faulty run should fail"; exit 1; }
    mpirun -n 3 "$convlab" fit "$config" $rounds --out "$work/$name/mpi" 2>&1 | grep "resuming" || { echo "did not resume"; exit 1; }
    cmp "$(folder "$work/$name/ref")/x.csv" "$(folder "$work/$name/mpi")/x.csv" || { echo "resumed model differs"; exit 1; }
    cmp "$(folder "$work/$name/ref")/metrics.csv" "$(folder "$work/$name/mpi")/metrics.csv" || { echo "resumed history differs"; exit 1; }
    echo "resumed run identical" ;;
  *) echo "unknown mode $mode"; exit 1 ;;
esac
