#!/usr/bin/env bash
# run_dist_bench.sh BUILD_DIR — the distributed-training benchmark of the
# multi-node issue, on this machine (build with scons mpi=1): for the MLP,
# LeNet and the char-LSTM, 1 process x 2 threads against 2 MPI ranks x 1
# thread at the same global batch (images/s, median epoch), each rank's
# step split into compute and allreduce, and fit's allreduce bandwidth
# next to a plain MPI_Allreduce of the same size; then the latency and
# bandwidth (alpha, beta) of this machine's MPI. Not a test: it prints
# figures. MX_BENCH_EPOCHS (3) epochs per run, MX_BENCH_REPS (3) runs of
# each layout, alternating.
set -euo pipefail
build=${1:?usage: tests/bench/run_dist_bench.sh BUILD_DIR}
data=${MX_BENCH_DATA:-data/mnist}
text=${MX_BENCH_TEXT:-../shared/data/tinyshakespeare/input.txt}
epochs=${MX_BENCH_EPOCHS:-3}
reps=${MX_BENCH_REPS:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
[ -x "$build/bench_allreduce" ] || { echo "run_dist_bench: $build has no MPI programs (scons mpi=1)"; exit 1; }

echo "== mxrt distributed benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(mpirun --version | head -1)"
echo "same global batch both ways; median of $reps alternating runs x $epochs epochs; 2 ranks share the node (shared memory)"
echo

median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# field LOG NAME: the median over epochs of "INFO: NAME = VALUE" lines
field() { sed -n "s/^INFO: *$2 = \([0-9.e+-]*\).*/\1/p" "$1" | median; }

tmp=$(mktemp -d)
model=""
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %12s %12s %7s %11s %11s %11s %9s %12s %12s %11s %11s %7s\n' app "1x2 img/s" "2x1 img/s" "2x1/1x2" "step ms" \
    "compute ms" "allred. ms" "MB/step" "fit GB/s" "plain GB/s" "fused img/s" "fused ar ms" "hidden"
row() { # name global_batch cmd...   (cmd takes --batch-size B --threads T [--kvstore K] last)
    local name=$1 batch=$2 r
    shift 2
    # The two layouts alternate, MX_BENCH_REPS times: a VM whose speed
    # drifts between runs then biases neither side; medians over the reps.
    : >"$tmp/$name.1x2"
    : >"$tmp/$name.2x1"
    : >"$tmp/$name.2x1f"
    for r in $(seq "$reps"); do
        "$@" --threads 2 --batch-size "$batch" >>"$tmp/$name.1x2" 2>&1
        mpirun -np 2 --bind-to core "$@" --threads 1 --batch-size $((batch / 2)) --kvstore dist_sync \
            >>"$tmp/$name.2x1" 2>&1
        # the same with one allreduce after backward (before issue #18's buckets)
        mpirun -np 2 --bind-to core "$@" --threads 1 --batch-size $((batch / 2)) --kvstore dist_sync --bucket-kb 0 \
            >>"$tmp/$name.2x1f" 2>&1
    done
    local s12 s21 t21 ar floats calls steps plain s21f arf callsf
    s21f=$(field "$tmp/$name.2x1f" speed)
    arf=$(field "$tmp/$name.2x1f" allreduce)
    callsf=$(sed -n 's/^INFO: *allreduce = .* in \([0-9]*\) calls.*/\1/p' "$tmp/$name.2x1f" | head -1)
    s12=$(field "$tmp/$name.1x2" speed)
    s21=$(field "$tmp/$name.2x1" speed)
    t21=$(field "$tmp/$name.2x1" time)
    ar=$(field "$tmp/$name.2x1" allreduce)
    calls=$(sed -n 's/^INFO: *allreduce = .* in \([0-9]*\) calls.*/\1/p' "$tmp/$name.2x1" | head -1)
    floats=$(sed -n 's/.*one allreduce of \([0-9]*\) floats.*/\1/p' "$tmp/$name.2x1f" | head -1)
    # buckets: the allreduce time is the wait after backward, calls count every bucket: per step use the fused run's steps
    calls=$callsf
    plain=$(mpirun -np 2 --bind-to core "$build/bench_allreduce" "$floats" | sed -n 's/.*busbw_gbs=\([0-9.]*\).*/\1/p')
    model+="$name:$(awk -v f="$floats" 'BEGIN { printf "%.2f", f * 4 / 1e6 }'):$(awk -v t="$t21" -v r="$ar" -v c="$calls" \
        'BEGIN { printf "%.3f", (t - r) / c * 1e3 }') "
    awk -v n="$name" -v a="$s12" -v b="$s21" -v t="$t21" -v r="$ar" -v c="$calls" -v f="$floats" -v p="$plain" \
        -v bf="$s21f" -v rf="$arf" 'BEGIN {
        step = t / c * 1e3; ar = r / c * 1e3; arf = rf / c * 1e3
        printf "%-10s %12.0f %12.0f %7.2f %11.3f %11.3f %11.3f %9.2f %12.2f %12.2f %11.0f %11.3f %6.0f%%\n", n, a, b, b / a, step,
            step - ar, ar, f * 4 / 1e6, (ar > 0 ? f * 4 / (ar / 1e3) / 1e9 : 0), p, bf, arf,
            (arf > 0 ? 100 * (1 - ar / arf) : 0) }'
}
row mlp 100 "$build/mnist_mlp" --data-dir "$data" --epochs "$epochs"
row lenet 100 "$build/mnist_lenet" --data-dir "$data" --epochs "$epochs" --limit 20000
if [ -f "$text" ]; then
    row char-lstm 32 "$build/char_lstm" train --data "$text" --limit-chars 300000 --epochs "$epochs" --speedometer 0 \
        --checkpoint "$tmp/lstm"
else
    echo "char-lstm: skipped (no text at $text; set MX_BENCH_TEXT)"
fi
echo
echo "step = one rank's training step (epoch time / steps); allreduce = waiting after backward for the sums"
echo "(the buckets started during backward: issue #18), including waiting for the slower rank; fused = one"
echo "allreduce after backward (--bucket-kb 0), hidden = 1 - allreduce / fused allreduce;"
echo "fit GB/s = buffer bytes / allreduce time; plain = MPI_Allreduce alone after a barrier, as ring bus"
echo "bandwidth 2(p-1)/p x bytes / time. Target: 2x1/1x2 >= 0.90."
echo
echo "-- this machine's MPI (alpha-beta): plain MPI_Allreduce, 2 ranks"
mpirun -np 2 --bind-to core "$build/bench_allreduce" 1 1024 65536 1048576 4194304 | sed 's/^/   /'
echo
echo "-- scaling model: ring allreduce over nominal interconnects against the compute per step above"
echo "   (E2: efficiency at 2 nodes; p: nodes at which the allreduce takes as long as the compute)"
awk -v APPS="$model" -f tests/bench/scaling_model.awk | sed 's/^/   /'
