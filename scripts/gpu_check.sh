#!/bin/bash
# gpu_check.sh BUILD DATA TEXT [MPI_BUILD] — the GPU tests and benchmarks of issue #7,
# for a machine with an NVIDIA GPU (CI has none: there the GPU suite says
# 'skipped'). BUILD: a cuda=1 build folder (run_tests, the apps); DATA: the
# MNIST folder; TEXT: Tiny Shakespeare; MPI_BUILD (optional): a cuda=1 mpi=1
# build folder for a 2-rank run on GPU0. Prints the GPU suite, then one
# epoch-time block per app next to PyTorch's (tests/bench/torch_ref.py) on
# the same GPU. Each step is bounded so a hang cannot eat the machine.
set -u
B=${1:?build folder}; D=${2:?MNIST folder}; T=${3:?text}
# The unit tests read raw IDX files: unpack .gz ones into a temp folder.
if [ ! -e "$D/train-images-idx3-ubyte" ]; then
    raw=$(mktemp -d)
    for f in "$D"/*.gz; do gunzip -c "$f" >"$raw/$(basename "$f" .gz)"; done
    export MX_TEST_DATA=$raw
else
    export MX_TEST_DATA=$D
fi
# run PATTERN CMD...: CMD's lines matching PATTERN; on failure also its
# exit status and last lines, so an error the pattern misses still shows.
run() {
    local pat=$1 log rc; shift
    log=$(mktemp)
    "$@" >"$log" 2>&1; rc=$?
    grep -E "$pat|[Ee]rror" "$log"
    [ $rc -eq 0 ] || { echo "  -> exit $rc; last lines:"; tail -3 "$log" | sed 's/^/     /'; }
    rm -f "$log"
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
echo "== GPU unit suite"
timeout 300 "$B/run_tests" gpu gpu_paths 2>&1 | grep -v '^$'
echo "== GPU unit suite, graphs over 8 lanes"
MX_CUDA_LANES=8 timeout 300 "$B/run_tests" gpu 2>&1 | tail -1
echo "== mxrt MLP on GPU0 (3 epochs; epoch 1 includes warm-up)"
run 'time =|speed =|accuracy' timeout 120 "$B/mnist_mlp" --context gpu:0 --data-dir "$D" --epochs 3
echo "== mxrt LeNet on GPU0 (3 epochs)"
run 'time =|speed =|accuracy' timeout 120 "$B/mnist_lenet" --context gpu:0 --data-dir "$D" --epochs 3
echo "== mxrt char-LSTM on GPU0 (first 400k characters, 1 epoch)"
run 'time =|speed =|Speed|perplexity|NLL' timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 --speedometer 100 \
    --checkpoint /tmp/gpu_lstm
echo "== char-LSTM with its projections not grouped (MX_FUSE_FC=0: one GEMM a time step)"
run 'speed =|NLL' env MX_FUSE_FC=0 timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 \
    --speedometer 0 --checkpoint /tmp/gpu_lstm2
echo "== char-LSTM with its cells not fused (MX_FUSE=0: the plain ops, 11 per cell)"
run 'speed =|NLL' env MX_FUSE=0 timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 \
    --speedometer 0 --checkpoint /tmp/gpu_lstm1
echo "== the same without CUDA graphs (MX_CUDA_GRAPHS=0): MLP, LeNet epoch, char-LSTM"
run 'time =' env MX_CUDA_GRAPHS=0 timeout 60 "$B/mnist_mlp" --context gpu:0 --data-dir "$D" --epochs 2
run 'time =' env MX_CUDA_GRAPHS=0 timeout 60 "$B/mnist_lenet" --context gpu:0 --data-dir "$D" --epochs 2
run 'speed =' env MX_CUDA_GRAPHS=0 timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 \
    --speedometer 0 --checkpoint /tmp/gpu_lstm0
# GPU + MPI (issue #6/#7): 2 ranks sharing GPU0 with dist_sync, if a
# cuda=1 mpi=1 build folder is given and mpirun runs here.
if [ -n "${4:-}" ] && command -v mpirun >/dev/null; then
    echo "== 2 MPI ranks on GPU0, dist_sync (MLP, 2 epochs)"
    run 'time =|speed =|accuracy|allreduce' env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        timeout 120 mpirun -np 2 --oversubscribe \
        "$4/mnist_mlp" --context gpu:0 --kvstore dist_sync --data-dir "$D" --epochs 2
fi
echo "== PyTorch on the same GPU"
timeout 180 python3 tests/bench/torch_ref.py 2>&1 | tail -5
