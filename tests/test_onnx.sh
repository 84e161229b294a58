#!/usr/bin/env bash
# test_onnx.sh — ONNX import (issue #17) against PyTorch 1.13:
#   * PyTorch exports (tests/onnx/make_models.py: MLP, LeNet, resnet18,
#     mobilenet_v2, squeezenet1_1 and an every-op CNN, opsets 9 to 17)
#     are imported by onnx_convert, run by predict, and agree with
#     PyTorch's outputs on the same inputs to 1e-4 of the output's largest
#     magnitude (tests/onnx/compare.py; the worst is printed);
#   * import is deterministic (the same files twice);
#   * the imported MLP and LeNet classify the 10,000 MNIST test images on
#     the fixed-buffer path (mnist_infer) as PyTorch does;
#   * mxrt's own MLP, LeNet and char-LSTM (trained briefly here) are
#     exported at opsets 9, 13 and 17, pass onnx.checker.check_model
#     (full_check=True) and import back to the same outputs
#     (build/*/ckpt_compare); so do fused RNN ops of several layers
#     (tests/onnx/make_rnn_ckpt.py) and the imported PyTorch models,
#     exported again;
#   * bad and unsupported files (tests/onnx/make_bad.py, truncated and
#     random bytes) and bad usage are refused naming the file, the node,
#     the op and the opset, with exit 1 (bad), 3 (unsupported) or 2
#     (usage), and no checkpoint file is left behind.
# Without Python's torch/onnx or the converter (no protobuf-c) the checks
# are reported as skipped, never as passed.
#
#   bash tests/test_onnx.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: tests/test_onnx.sh BUILD_DIR}
repo=$(realpath "$(dirname "$0")/..")
mnist=${MX_TEST_DATA:-$repo/data/mnist}
conv=$build/onnx_convert
py=/usr/bin/python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2" | head -20; }
skipped() { skip=$((skip + 1)); echo "  skipped: $1"; }
finish() {
    echo "test_onnx: $pass passed, $fail failed, $skip skipped"
    [ "$fail" -eq 0 ]
    exit
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ! -x "$conv" ]; then
    skipped "$conv not built (apt-get install libprotobuf-c-dev protobuf-c-compiler python3-onnx)"
    finish
fi
if ! "$py" -c 'import torch, torchvision, onnx' 2>/dev/null; then
    skipped "PyTorch/torchvision/onnx for Python not installed (apt-get install python3-torch python3-torchvision python3-onnx)"
    finish
fi
mnist_flag=()
[ -f "$mnist/t10k-images-idx3-ubyte" ] && mnist_flag=(--mnist "$mnist")
if ! out=$("$py" "$repo/tests/onnx/make_models.py" "${mnist_flag[@]}" "$tmp/m" 2>&1); then
    bad "make_models.py" "$out"
    finish
fi

# --- PyTorch's models: import, run, compare ---
for onnx in "$tmp"/m/*.onnx; do
    base=${onnx%.onnx}
    name=$(basename "$base")
    shape=$(cat "$base.shape")
    if ! out=$("$conv" import "$onnx" "$tmp/$name" --shape "$shape" 2>&1); then bad "$name: import" "$out"; continue; fi
    if ! out=$("$build/predict" "$tmp/$name" 0 --shape "$shape" --input "$base.input.f32" --format raw --top-k 0 \
               --output "$tmp/$name.csv" --quiet 2>&1); then bad "$name: predict" "$out"; continue; fi
    if out=$("$py" "$repo/tests/onnx/compare.py" "$tmp/$name.csv" "$base.output.f32" 1e-4 2>&1); then ok "$name: $out"
    else bad "$name: outputs differ from PyTorch's" "$out"; fi
done

# --- deterministic: the same model imported twice gives the same bytes ---
m=$tmp/m/resnet18-op13
"$conv" import "$m.onnx" "$tmp/again" --shape "$(cat "$m.shape")" >/dev/null 2>&1
if cmp -s "$tmp/again-symbol.json" "$tmp/resnet18-op13-symbol.json" && cmp -s "$tmp/again-0000.params" "$tmp/resnet18-op13-0000.params"
then ok "resnet18: importing twice writes identical files"
else bad "resnet18: a second import wrote different files"; fi

# --- the fixed-buffer path on the imported MNIST models ---
if [ ${#mnist_flag[@]} -eq 0 ]; then
    skipped "fixed-buffer check: no MNIST at $mnist (bash scripts/fetch_mnist.sh data/mnist)"
else
    for name in mlp-op13 lenet-op13; do
        # imported at batch 100: Reshape keeps dim 0 as "copy", so any batch runs
        if ! out=$("$conv" import "$tmp/m/$name.onnx" "$tmp/fx-$name" --shape data=100,1,28,28 2>&1); then bad "$name: import at batch 100" "$out"; continue; fi
        if ! out=$("$build/mnist_infer" --prefix "$tmp/fx-$name" --epoch 0 --images "$mnist/t10k-images-idx3-ubyte" \
                   --batch 100 --predictions "$tmp/fx-$name.txt" --quiet 2>&1); then bad "$name: mnist_infer" "$out"; continue; fi
        if out=$("$py" "$repo/tests/onnx/compare.py" --classes "$tmp/fx-$name.txt" "$tmp/m/$name.mnist.f32" 2>&1)
        then ok "$name on the fixed-buffer path (mnist_infer, batch 100): $out"
        else bad "$name: fixed-buffer predictions differ from PyTorch's" "$out"; fi
    done
fi

# --- export: mxrt's apps' models, and the imported PyTorch models, out and back in ---
shakespeare=$repo/../shared/data/tinyshakespeare/input.txt
# Without the shared data (a clone elsewhere) any English will do; not
# $tmp/text.txt itself: the head below would truncate it before reading.
[ -f "$shakespeare" ] || shakespeare=$tmp/fallback.txt
[ -f "$shakespeare" ] || yes "To be, or not to be, that is the question." | head -400 >"$shakespeare"
head -c 20000 "$shakespeare" >"$tmp/text.txt"
roundtrip() { # what prefix shape-args...
    local what=$1 prefix=$2 out shapes=() a
    shift 2
    a=("$@")
    for ((i = 0; i < ${#a[@]}; i += 2)); do [ "${a[i]}" = --shape ] && shapes+=(--shape "${a[i + 1]}"); done
    for op in 9 13 17; do
        if ! out=$("$conv" export "$prefix" 1 "$tmp/x.onnx" --opset $op "${shapes[@]}" 2>&1); then bad "$what: export at opset $op" "$out"; continue; fi
        if ! out=$("$py" "$repo/tests/onnx/check.py" "$tmp/x.onnx" 2>&1); then bad "$what (opset $op): ONNX's checker refuses the export" "$out"; continue; fi
        local check=$out
        if ! out=$("$conv" import "$tmp/x.onnx" "$tmp/x-back" 2>&1); then bad "$what (opset $op): import of the export" "$out"; continue; fi
        if out=$("$build/ckpt_compare" "$prefix" 1 "$tmp/x-back" 0 "$@" 2>&1)
        then ok "$what, opset $op: $check; imported back: $out"
        else bad "$what (opset $op): the import of the export computes something else" "$out"; fi
    done
}
if [ ${#mnist_flag[@]} -eq 0 ]; then
    skipped "export of the MNIST apps' models: no MNIST at $mnist"
else
    "$build/mnist_mlp" --data-dir "$mnist" --epochs 1 --limit 2000 --checkpoint "$tmp/app-mlp" --quiet >/dev/null 2>&1 ||
        bad "mnist_mlp for export"
    roundtrip "mnist_mlp's MLP" "$tmp/app-mlp" --shape data=4,784
    "$build/mnist_lenet" --data-dir "$mnist" --epochs 1 --limit 1000 --checkpoint "$tmp/app-lenet" --quiet >/dev/null 2>&1 ||
        bad "mnist_lenet for export"
    roundtrip "mnist_lenet's LeNet" "$tmp/app-lenet" --shape data=4,1,28,28
fi
"$build/char_lstm" train --data "$tmp/text.txt" --epochs 1 --seq-len 4 --batch-size 16 --checkpoint "$tmp/app-lstm" \
    --quiet >/dev/null 2>&1 || bad "char_lstm for export"
vocab=$(grep -o '"input_dim": "[0-9]*"' "$tmp/app-lstm-symbol.json" | head -1 | grep -o '[0-9]*')
lstm_args=()
for t in 1 2 3 4; do lstm_args+=(--shape "ptb_data_$t=2" --int "ptb_data_$t=$vocab"); done
for l in 1 2; do lstm_args+=(--shape "ptb_l${l}_init_h=2,256" --shape "ptb_l${l}_init_c=2,256"); done
roundtrip "char_lstm's 2-layer LSTM (4 steps)" "$tmp/app-lstm" "${lstm_args[@]}"
# one RNN op of several layers (Gluon's export; the importer writes one a layer)
for cfg in "lstm 2 1" "gru 3 0" "rnn_tanh 2 1" "rnn_relu 1 0"; do
    set -- $cfg
    p=$tmp/rnn-$1
    if ! out=$("$py" "$repo/tests/onnx/make_rnn_ckpt.py" "$p" "$1" "$2" "$3" 2>&1) ||
        ! out=$("$conv" export "$p" 0 "$p.onnx" --shape data=5,3,4 2>&1) ||
        ! out=$("$py" "$repo/tests/onnx/check.py" "$p.onnx" 2>&1) ||
        ! out=$("$conv" import "$p.onnx" "$p-back" 2>&1) ||
        ! out=$("$build/ckpt_compare" "$p" 0 "$p-back" 0 --shape data=5,3,4 2>&1)
    then bad "RNN op ($cfg): exported, checked and imported back" "$out"
    else ok "RNN op, mode $1, $2 layer(s), bidirectional $3: exported, checked, imported back: $out"; fi
done
for name in resnet18-op13 mobilenet_v2-op13 squeezenet1_1-op13 opzoo-op11 char_bilstm-op13; do
    shape=$(cat "$tmp/m/$name.shape")
    ints=()
    [[ $name == char_* ]] && ints=(--int data=65) # character ids
    if ! out=$("$conv" export "$tmp/$name" 0 "$tmp/re.onnx" --shape "$shape" --opset "${name##*-op}" 2>&1) ||
        ! out=$("$py" "$repo/tests/onnx/check.py" "$tmp/re.onnx" 2>&1) ||
        ! out=$("$conv" import "$tmp/re.onnx" "$tmp/re-back" 2>&1) ||
        ! out=$("$build/ckpt_compare" "$tmp/$name" 0 "$tmp/re-back" 0 --shape "$shape" "${ints[@]}" 2>&1)
    then bad "$name: imported, exported again and imported back" "$out"
    else ok "$name: imported, exported again, checked and imported back: $out"; fi
done

# --- refusals ---
"$py" "$repo/tests/onnx/make_bad.py" "$tmp/bad" >/dev/null 2>&1 || bad "make_bad.py"
head -c 200000 "$tmp/m/lenet-op13.onnx" >"$tmp/bad/truncated.onnx"
head -c 4096 /dev/urandom >"$tmp/bad/random.onnx"
expect() { # rc needle what command...
    local want=$1 needle=$2 what=$3 out rc
    shift 3
    rm -f "$tmp/out-symbol.json" "$tmp/out-0000.params"
    out=$("$@" 2>&1)
    rc=$?
    if [ -e "$tmp/out-symbol.json" ] || [ -e "$tmp/out-0000.params" ]; then bad "$what: a checkpoint file was left behind"
    elif [ $rc -eq "$want" ] && grep -qF -- "$needle" <<<"$out"; then ok "$what: exit $rc, $(head -1 <<<"$out" | cut -c1-150)"
    else bad "$what: want exit $want and '$needle', got exit $rc" "$out"; fi
}
lenet=$tmp/m/lenet-op13.onnx
expect 1 "cannot open" "a missing file" "$conv" import "$tmp/none.onnx" "$tmp/out"
expect 1 "truncated.onnx" "a truncated file" "$conv" import "$tmp/bad/truncated.onnx" "$tmp/out" --shape data=1,1,28,28
expect 1 "not an ONNX model" "random bytes" "$conv" import "$tmp/bad/random.onnx" "$tmp/out"
expect 3 "node 'mix' (Einsum, opset 13): op Einsum is not supported" "an op mxrt lacks" "$conv" import "$tmp/bad/einsum.onnx" "$tmp/out"
expect 3 "opset 7" "opset 7" "$conv" import "$tmp/bad/opset7.onnx" "$tmp/out"
expect 3 "op domain 'com.example'" "a custom domain" "$conv" import "$tmp/bad/domain.onnx" "$tmp/out"
expect 1 "tensor 'w': raw_data holds 5 values, its dims 12" "short raw_data" "$conv" import "$tmp/bad/rawlen.onnx" "$tmp/out"
expect 3 "tensor 'w' keeps its data in an external file" "external data" "$conv" import "$tmp/bad/external.onnx" "$tmp/out"
expect 3 "node 'pad' (Pad, opset 13): Pad mode 'reflect'" "Pad reflect" "$conv" import "$tmp/bad/reflect.onnx" "$tmp/out"
expect 1 "input 'ghost' is not produced" "a dangling input" "$conv" import "$tmp/bad/dangling.onnx" "$tmp/out"
expect 1 "graph output 'y' is not produced" "an output nothing produces" "$conv" import "$tmp/bad/noout.onnx" "$tmp/out"
expect 1 "dimension 0 is symbolic ('batch')" "a symbolic batch without --shape" "$conv" import "$lenet" "$tmp/out"
expect 1 "the graph has no input 'image'" "--shape of an unknown input" "$conv" import "$lenet" "$tmp/out" --shape image=1,1,28,28
expect 1 "node '/fc1/Gemm' (Gemm, opset 13): shapes do not agree" "a wrong input shape" "$conv" import "$lenet" "$tmp/out" --shape data=4,1,27,27
expect 2 "unknown flag --opset" "an unknown flag" "$conv" import "$lenet" "$tmp/out" --opset 13
expect 2 "bad dimensions" "a bad --shape" "$conv" import "$lenet" "$tmp/out" --shape data=4,x
expect 2 "import needs MODEL.onnx and PREFIX" "a missing PREFIX" "$conv" import "$lenet"
expect 2 "unknown command" "an unknown command" "$conv" frobnicate "$lenet"
expect 0 "usage: onnx_convert import" "--help" "$conv" --help
# export's own: a missing checkpoint, a data input without a shape, an op without an ONNX form, bad flags
expect 1 "cannot" "export of a missing checkpoint" "$conv" export "$tmp/none" 1 "$tmp/out.onnx"
if [ -f "$tmp/app-lstm-0001.params" ]; then
    # the states' shapes follow from the data's; the first step's indices have none to follow from
    expect 1 "cannot infer the shape of argument 'ptb_data_1'" "export without an input's shape" \
        "$conv" export "$tmp/app-lstm" 1 "$tmp/out.onnx" --shape ptb_data_2=2 --shape ptb_data_3=2 --shape ptb_data_4=2
    cp "$tmp/app-lstm-0001.params" "$tmp/lrn-0001.params"
    cat >"$tmp/lrn-symbol.json" <<'JSON'
{"nodes": [{"op": "null", "name": "data", "inputs": []},
           {"op": "LRN", "name": "norm1", "attrs": {"nsize": "3"}, "inputs": [[0, 0, 0]]}],
 "arg_nodes": [0], "heads": [[1, 0, 0]]}
JSON
    expect 3 "node 'norm1' (LRN): op LRN has no ONNX export" "export of an op without an ONNX form" \
        "$conv" export "$tmp/lrn" 1 "$tmp/out.onnx" --shape data=1,3,8,8
    [ -e "$tmp/out.onnx" ] && bad "a refused export left $tmp/out.onnx behind"
fi
expect 2 "--opset: expected 9 to 17" "export --opset 8" "$conv" export "$tmp/app-lstm" 1 "$tmp/out.onnx" --opset 8
expect 2 "export needs PREFIX, EPOCH and MODEL.onnx" "export without MODEL.onnx" "$conv" export "$tmp/app-lstm" 1
finish
