#!/usr/bin/env bash
# test_mpi.sh BUILD_DIR — distributed training under mpirun (build with
# scons mpi=1): 2 ranks at batch 50 train like one process at batch 100,
# every rank holds what rank 0 checkpoints, a stop asked on one rank ends
# every rank at the same step, the apps train with
# --kvstore dist_sync (also on stand-in GPUs), and a rank that fails (missing data, killed) ends
# the whole job non-zero within seconds, with its message.
set -uo pipefail
build=${1:?usage: tests/test_mpi.sh BUILD_DIR}
export MX_TEST_DATA=${MX_TEST_DATA:-data/mnist}
data=$MX_TEST_DATA
# Open MPI refuses root unless told; 2 ranks fit the 2 cores of CI.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
mpirun=(mpirun -np 2)
# shellcheck source=tests/test_lib.sh
. "$(dirname "$0")/test_lib.sh"

echo "MPI tests: $build"
if ! command -v mpirun >/dev/null; then
    echo "  FAIL mpirun not found (apt-get install openmpi-bin)"
    exit 1
fi

# Equivalence: one epoch over the first samples, shuffled with one seed.
# 3000 samples = 30 steps of the MLP, 1000 = 10 of LeNet.
for net in mlp:3000 lenet:1000; do
    name=${net%%:*} limit=${net##*:}
    mkdir -p "$tmp/$name-one" "$tmp/$name-two" "$tmp/$name-half"
    check "$name: one process at batch 100" "$build/dist_check" train "$name" local 100 "$limit" "$tmp/$name-one"
    out=$("${mpirun[@]}" "$build/dist_check" train "$name" dist_sync 50 "$limit" "$tmp/$name-two" 2>&1)
    if [ $? -eq 0 ] && [ "$(grep -c 'equal to the checkpoint' <<<"$out")" -eq 2 ]; then
        ok "$name: 2 ranks at batch 50: both ranks hold exactly rank 0's checkpoint"
    else
        bad "$name: 2 ranks at batch 50" "$out"
    fi
    check "$name: 2 ranks x 50 = 1 process x 100 within 1e-5 ($((limit / 100)) steps)" \
        "$build/dist_check" compare "$tmp/$name-one/$name-0001.params" "$tmp/$name-two/$name-0001.params" 1e-5
    # The comparison can fail: one process at batch 50 takes other steps.
    "$build/dist_check" train "$name" local 50 "$limit" "$tmp/$name-half" >/dev/null 2>&1
    if "$build/dist_check" compare "$tmp/$name-one/$name-0001.params" "$tmp/$name-half/$name-0001.params" 1e-5 \
        >/dev/null 2>&1; then
        bad "$name: control: batch 50 alone should differ from batch 100"
    else
        ok "$name: control: one process at batch 50 differs beyond 1e-5"
    fi
done

# Stopping: a batch callback on rank 1 alone asks to stop after step 5.
# Both ranks stop at that step (none is left in an allreduce), hold rank
# 0's checkpoint, and match one process at batch 100 stopped after step 5.
mkdir -p "$tmp/stop-one" "$tmp/stop-two"
check "mlp: one process at batch 100 stopped after step 5" \
    "$build/dist_check" train mlp local 100 3000 "$tmp/stop-one" 0 5
start=$SECONDS
out=$(timeout 60 "${mpirun[@]}" "$build/dist_check" train mlp dist_sync 50 3000 "$tmp/stop-two" 1 5 2>&1)
rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c ', 5 steps: .* equal to the checkpoint' <<<"$out")" -eq 2 ]; then
    ok "mlp: a stop asked on rank 1 alone ends both ranks after step 5 ($((SECONDS - start))s), same weights"
else
    bad "mlp: a stop asked on rank 1 alone (exit $rc, $((SECONDS - start))s)" "$out"
fi
check "mlp: stopped, 2 ranks x 50 = 1 process x 100 within 1e-5" \
    "$build/dist_check" compare "$tmp/stop-one/mlp-0001.params" "$tmp/stop-two/mlp-0001.params" 1e-5
if "$build/dist_check" compare "$tmp/mlp-one/mlp-0001.params" "$tmp/stop-two/mlp-0001.params" 1e-5 >/dev/null 2>&1; then
    bad "mlp: control: the stopped run should differ from the whole epoch"
else
    ok "mlp: control: the stopped run differs from the whole epoch beyond 1e-5"
fi

# GPU + MPI over host stand-ins (device.h; builds without cuda=1): a GPU
# context's dist_sync path — the page-locked buffer, gradients copied off
# the device, the sum copied back — must train the very bits of the CPU run.
case $build in
*cuda*) echo "  skipped: GPU stand-ins exist only in builds without cuda=1 ($build)" ;;
*)
    args=(--kvstore dist_sync --data-dir "$data" --epochs 1 --batch-size 50 --seed 7 --quiet)
    "${mpirun[@]}" "$build/mnist_mlp" --context cpu "${args[@]}" --checkpoint "$tmp/sc" >"$tmp/sc.log" 2>&1
    MX_TEST_STAND_IN_GPUS=1 "${mpirun[@]}" -x MX_TEST_STAND_IN_GPUS "$build/mnist_mlp" --context gpu:0 "${args[@]}" \
        --checkpoint "$tmp/sg" >"$tmp/sg.log" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && [ "$(grep -c 'host stand-ins' "$tmp/sg.log")" -eq 2 ] &&
       cmp -s "$tmp/sc-0001.params" "$tmp/sg-0001.params"; then
        ok "mnist_mlp --context gpu:0 --kvstore dist_sync, 2 ranks on stand-in GPUs: the CPU run's weights, bit for bit"
    else
        bad "2 ranks on stand-in GPUs (exit $rc)" "$(tail -5 "$tmp/sg.log"; tail -3 "$tmp/sc.log")"
    fi
    ;;
esac

# Gradient buckets whose MPI_Iallreduce starts during backward (issue #18)
# give the one fused MPI_Allreduce's weights bit for bit (two ranks: each
# element is one sum of two floats either way), for every app.
for app in mnist_mlp mnist_lenet; do
    for kb in 0 16; do
        "${mpirun[@]}" "$build/$app" --kvstore dist_sync --data-dir "$data" --epochs 1 --limit 2000 --batch-size 50 \
            --bucket-kb $kb --checkpoint "$tmp/bk-$app-$kb" >"$tmp/bk-$app-$kb.log" 2>&1
    done
    if grep -q 'allreduces started during backward' "$tmp/bk-$app-16.log" && [ -s "$tmp/bk-$app-0-0001.params" ] &&
        cmp -s "$tmp/bk-$app-0-0001.params" "$tmp/bk-$app-16-0001.params"; then
        ok "$app, 2 ranks: $(grep -o '[0-9]* allreduces started during backward' "$tmp/bk-$app-16.log") give the fused allreduce's .params"
    else
        bad "$app, 2 ranks: buckets against one allreduce" "$(tail -n 5 "$tmp/bk-$app-"*.log)"
    fi
done

# The apps: rank 0 alone logs and checkpoints; every rank reports its placement.
out=$("${mpirun[@]}" "$build/mnist_mlp" --kvstore dist_sync --data-dir "$data" --epochs 1 --batch-size 50 \
      --checkpoint "$tmp/mlp" 2>&1)
rc=$?
acc=$(sed -n 's/^final validation accuracy = //p' <<<"$out")
if [ $rc -eq 0 ] && [ "$(grep -c '^final validation accuracy' <<<"$out")" -eq 1 ] &&
   [ "$(grep -c '== Epoch 001/001' <<<"$out")" -eq 1 ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' &&
   grep -q 'rank 0/2 on' <<<"$out" && grep -q 'rank 1/2 on' <<<"$out" && grep -q 'dist_sync over 2 workers' <<<"$out" &&
   [ -f "$tmp/mlp-0001.params" ] && [ -f "$tmp/mlp-symbol.json" ]; then
    ok "mnist_mlp --kvstore dist_sync: one log, both placements, accuracy $acc, checkpoint written"
else
    bad "mnist_mlp --kvstore dist_sync (exit $rc)" "$out"
fi
out=$("${mpirun[@]}" "$build/mnist_lenet" --kvstore dist_sync --data-dir "$data" --epochs 1 --limit 4000 \
      --batch-size 50 --init xavier 2>&1)
rc=$?
acc=$(sed -n 's/^final validation accuracy = //p' <<<"$out")
if [ $rc -eq 0 ] && awk -v a="$acc" 'BEGIN { exit !(a > 0.8) }'; then
    ok "mnist_lenet --kvstore dist_sync: accuracy $acc"
else
    bad "mnist_lenet --kvstore dist_sync" "$out"
fi
text=${MX_TEST_TEXT:-../shared/data/tinyshakespeare/input.txt}
if [ ! -f "$text" ]; then # any English will do: the repository's own prose
    text=$tmp/text.txt
    for _ in $(seq 40); do cat README.md; done >"$text"
fi
if [ -f "$text" ]; then
    out=$("${mpirun[@]}" "$build/char_lstm" train --kvstore dist_sync --data "$text" --limit-chars 100000 --epochs 1 \
          --num-hidden 32 --num-embed 16 --seq-len 16 --checkpoint "$tmp/lstm" --speedometer 0 --bucket-kb 16 2>&1)
    if [ $? -eq 0 ] && grep -q '^final validation perplexity' <<<"$out" && [ -f "$tmp/lstm-vocab" ] &&
       [ -f "$tmp/lstm-0001.params" ]; then
        ok "char_lstm train --kvstore dist_sync: $(grep '^final validation perplexity' <<<"$out")"
    else
        bad "char_lstm train --kvstore dist_sync" "$out"
    fi
    "${mpirun[@]}" "$build/char_lstm" train --kvstore dist_sync --data "$text" --limit-chars 100000 --epochs 1 \
        --num-hidden 32 --num-embed 16 --seq-len 16 --checkpoint "$tmp/lstm0" --speedometer 0 --bucket-kb 0 \
        >"$tmp/lstm0.log" 2>&1
    if grep -q 'allreduces started during backward' <<<"$out" && cmp -s "$tmp/lstm-0001.params" "$tmp/lstm0-0001.params" &&
        cmp -s "$tmp/lstm-0001.states" "$tmp/lstm0-0001.states"; then
        ok "char_lstm, 2 ranks: buckets started during backward give the fused allreduce's .params and .states"
    else
        bad "char_lstm, 2 ranks: buckets against one allreduce" "$(grep dist_sync <<<"$out"; tail -n 3 "$tmp/lstm0.log")"
    fi
else
    echo "  skipped: char_lstm under mpirun: no text at $text (set MX_TEST_TEXT)"
fi

# Failure: rank 1 given a missing data folder ends the job, with its message.
start=$SECONDS
out=$(timeout 60 "${mpirun[@]}" bash -c 'd=$1; [ "$OMPI_COMM_WORLD_RANK" = 1 ] && d=$2
      exec "$0" --kvstore dist_sync --epochs 1 --data-dir "$d"' "$build/mnist_mlp" "$data" "$tmp/nope" 2>&1)
rc=$?
took=$((SECONDS - start))
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $took -le 30 ] && grep -q "\[rank 1\]: data: $tmp/nope/train-images" <<<"$out"; then
    ok "a rank with a missing data folder ends the job (exit $rc, ${took}s) naming the file"
else
    bad "missing data on rank 1 (exit $rc, ${took}s)" "$out"
fi

# Failure: rank 1 killed mid-run; mpirun ends the others.
( timeout 120 "${mpirun[@]}" bash -c 'echo $$ > "$1.$OMPI_COMM_WORLD_RANK"; exec "$0" --kvstore dist_sync --epochs 100 \
      --data-dir "$2" --quiet' "$build/mnist_mlp" "$tmp/pid" "$data" >"$tmp/killed.out" 2>&1; echo $? >"$tmp/killed.rc" ) &
for _ in $(seq 100); do [ -f "$tmp/pid.1" ] && break; sleep 0.1; done
sleep 2 # mid-training
kill -9 "$(cat "$tmp/pid.1")" 2>/dev/null
start=$SECONDS
for _ in $(seq 600); do [ -f "$tmp/killed.rc" ] && break; sleep 0.1; done
took=$((SECONDS - start))
rc=$(cat "$tmp/killed.rc" 2>/dev/null || echo none)
if [ "$rc" != none ] && [ "$rc" != 0 ] && [ "$rc" != 124 ] && [ $took -le 30 ] && grep -q "rank 1" "$tmp/killed.out"; then
    ok "a killed rank ends the job (exit $rc, ${took}s after the kill)"
else
    bad "killed rank 1 (exit $rc, ${took}s)" "$(cat "$tmp/killed.out")"
fi
wait

echo "MPI tests: $pass passed, $fail failed"
[ $fail -eq 0 ]
