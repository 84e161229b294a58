#!/bin/bash
# gpu_check.sh BUILD DATA TEXT — the GPU tests and benchmarks of issue #7,
# for a machine with an NVIDIA GPU (CI has none: there the GPU suite says
# 'skipped'). BUILD: a cuda=1 build folder (run_tests, the apps); DATA: the
# MNIST folder; TEXT: Tiny Shakespeare. Prints the GPU suite, then one
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
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || echo "no nvidia-smi"
echo "== GPU unit suite"
timeout 300 "$B/run_tests" gpu 2>&1 | grep -v '^$'
echo "== GPU unit suite, graphs over 8 lanes"
MX_CUDA_LANES=8 timeout 300 "$B/run_tests" gpu 2>&1 | tail -1
echo "== mxrt MLP on GPU0 (3 epochs; epoch 1 includes warm-up)"
timeout 120 "$B/mnist_mlp" --context gpu:0 --data-dir "$D" --epochs 3 2>&1 | grep -E 'time =|speed =|accuracy|Error|error'
echo "== mxrt LeNet on GPU0 (3 epochs)"
timeout 120 "$B/mnist_lenet" --context gpu:0 --data-dir "$D" --epochs 3 2>&1 | grep -E 'time =|speed =|accuracy|Error|error'
echo "== mxrt char-LSTM on GPU0 (first 400k characters, 1 epoch)"
timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 --speedometer 100 \
    --checkpoint /tmp/gpu_lstm 2>&1 | grep -E 'time =|speed =|Speed|perplexity|NLL|Error|error'
echo "== char-LSTM with graphs spread over 8 lanes (MX_CUDA_LANES=8)"
MX_CUDA_LANES=8 timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 \
    --speedometer 0 --checkpoint /tmp/gpu_lstm1 2>&1 | grep -E 'speed =|Error|error'
echo "== the same without CUDA graphs (MX_CUDA_GRAPHS=0): MLP, LeNet epoch, char-LSTM"
MX_CUDA_GRAPHS=0 timeout 60 "$B/mnist_mlp" --context gpu:0 --data-dir "$D" --epochs 2 2>&1 | grep -E 'time =|Error|error'
MX_CUDA_GRAPHS=0 timeout 60 "$B/mnist_lenet" --context gpu:0 --data-dir "$D" --epochs 2 2>&1 | grep -E 'time =|Error|error'
MX_CUDA_GRAPHS=0 timeout 120 "$B/char_lstm" train --context gpu:0 --data "$T" --epochs 1 --limit-chars 400000 \
    --speedometer 0 --checkpoint /tmp/gpu_lstm0 2>&1 | grep -E 'speed =|Error|error'
echo "== PyTorch on the same GPU"
timeout 180 python3 tests/bench/torch_ref.py 2>&1 | tail -5
