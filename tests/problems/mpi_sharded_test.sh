#!/bin/sh
# CTest driver of mpi_sharded_test under mpirun:
#   mpi_sharded_test.sh BINARY DATA_DIR WORKDIR check R    — R ranks: bit-identical to one process
#   mpi_sharded_test.sh BINARY DATA_DIR WORKDIR gz R       — the same with gzip copies of the data
#   mpi_sharded_test.sh BINARY DATA_DIR WORKDIR bad        — a bad line in rank 2's rows (3 ranks),
#                                                            in a LIBSVM and in a CSV file, plain and gzip
set -u
bin=$1 data=$2 work=$3 mode=$4
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
case $mode in
  check) mpirun -n "$5" "$bin" check "$data/digits.libsvm" "$data/breast_cancer.libsvm" "$data/breast_cancer.csv" "$data/diabetes.csv" ;;
  gz)
    mkdir -p "$work"
    for f in digits.libsvm breast_cancer.libsvm breast_cancer.csv diabetes.csv; do gzip -c "$data/$f" > "$work/$f.gz"; done
    mpirun -n "$5" "$bin" check "$work/digits.libsvm.gz" "$work/breast_cancer.libsvm.gz" "$work/breast_cancer.csv.gz" "$work/diabetes.csv.gz" ;;
  bad)
    mkdir -p "$work"
    # 600 rows in 64-row blocks: 10 blocks, rank 2 owns blocks 6..9 = rows 385..600, so the 501st row.
    awk 'BEGIN { for (i = 1; i <= 600; ++i) print (i == 501 ? "1 1:0.5 2:oops" : (i % 2) " 1:0.5 2:0.25") }' > "$work/bad.libsvm"
    awk 'BEGIN { print "y,a,b"; for (i = 1; i <= 600; ++i) print (i == 501 ? "1,0.5,oops" : (i % 2) ",0.5,0.25") }' > "$work/bad.csv"
    gzip -c "$work/bad.libsvm" > "$work/bad.libsvm.gz"
    gzip -c "$work/bad.csv" > "$work/bad.csv.gz"
    for file in bad.libsvm:501 bad.csv:502 bad.libsvm.gz:501 bad.csv.gz:502; do
      out=$(mpirun -n 3 "$bin" bad "$work/${file%:*}" 2>&1)
      code=$?
      echo "$out" | tail -5
      [ "$code" -ne 0 ] || { echo "expected a non-zero exit"; exit 1; }
      echo "$out" | grep -q "rank 2: .*$file" || { echo "expected rank 2 to report $file"; exit 1; }
      [ "$(echo "$out" | grep -c '^rank [01]:')" -eq 0 ] || { echo "other ranks should stay quiet"; exit 1; }
    done
    echo "rank 2 reported file:line" ;;
esac
