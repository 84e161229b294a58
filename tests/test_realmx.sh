#!/usr/bin/env bash
# test_realmx.sh — files real MXNet wrote (../shared/data/realmx, or
# MX_REALMX_DIR) through build/*/predict:
#   * every symbol file loads and infers (--list --shape), or, for the one
#     using ops mxrt lacks (ocr: Cast to int32, WarpCTC), is refused as
#     "not supported" (exit 3) naming the op and the node;
#   * the MTCNN face detectors (MXNet 0.8 JSON, legacy params, PReLU,
#     channel softmax, 'full' pooling) run forward on CPU and agree with
#     tests/mxnet_ref.py, an independent numpy forward pass;
#   * the MXNet-trained MNIST models (lenet, mnist, fashion-mnist: Gluon
#     exports of MXNet 1.4 and 1.6) classify all 10,000 test images of
#     their dataset: accuracy at least the stated figure, and the same
#     class as the numpy reference for every image.
# A missing data folder, numpy or dataset is reported as skipped, never
# as passed.
#
#   bash tests/test_realmx.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: tests/test_realmx.sh BUILD_DIR}
repo=$(realpath "$(dirname "$0")/..")
realmx=${MX_REALMX_DIR:-$repo/../shared/data/realmx}
mnist=${MX_TEST_DATA:-$repo/data/mnist}
fashion=/usr/share/datasets/fashion-mnist
predict=$build/predict
py=/usr/bin/python3
[ -x "$py" ] || py=python3
pass=0 fail=0 skip=0
ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2" | head -20; }
skipped() { skip=$((skip + 1)); echo "  skipped: $1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# --- predict's own bad input (an mxrt checkpoint, made here) ---
expect() { # rc needle what command...
    local want=$1 needle=$2 what=$3 out rc
    shift 3
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -eq "$want" ] && grep -qF -- "$needle" <<<"$out"; then ok "predict $what: exit $rc, '$needle'"
    else bad "predict $what: want exit $want and '$needle', got exit $rc" "$out"; fi
}
expect 0 "usage: predict" "--help" "$predict" --help
expect 2 "missing PREFIX" "with no checkpoint" "$predict"
expect 2 "missing EPOCH" "without an epoch" "$predict" "$tmp/m"
expect 2 "--shape: bad dimensions in data=1,x" "with a bad --shape" "$predict" "$tmp/m" 1 --shape data=1,x --input f
expect 2 "unknown option '--frobnicate'" "with an unknown flag" "$predict" "$tmp/m" 1 --frobnicate 1
if [ -f "$mnist/t10k-images-idx3-ubyte" ] || [ -f "$mnist/t10k-images-idx3-ubyte.gz" ]; then
    "$build/mnist_mlp" --data-dir "$mnist" --limit 2000 --epochs 1 --checkpoint "$tmp/m" --quiet >/dev/null 2>&1
    img=$(ls "$mnist"/t10k-images-idx3-ubyte* | head -1)
    expect 1 "$tmp/nope-symbol.json: cannot open" "with a missing checkpoint" \
        "$predict" "$tmp/nope" 1 --shape data=1,784 --input "$img"
    expect 2 "items of 784 values, the input shape needs 100" "with input of the wrong size" \
        "$predict" "$tmp/m" 1 --shape data=1,100 --input "$img"
    head -c 3000 "$tmp/m-0001.params" >"$tmp/t-0001.params" && cp "$tmp/m-symbol.json" "$tmp/t-symbol.json"
    expect 1 "t-0001.params" "with a truncated .params" "$predict" "$tmp/t" 1 --shape data=1,784 --input "$img"
    out=$(umask 027 && "$predict" "$tmp/m" 1 --shape data=50,784 --input "$img" --scale 0.00392156862745098 \
          --top-k 3 --output "$tmp/y.csv" 2>/dev/null)
    if [ $? -eq 0 ] && [ "$(grep -c '^[0-9]*: [0-9] [0-9.]* [0-9] [0-9.]* [0-9] [0-9.]*$' <<<"$out")" -eq 10000 ] &&
       [ "$(wc -l <"$tmp/y.csv")" -eq 10000 ] && [ -z "$(ls "$tmp"/y.csv.* 2>/dev/null)" ]; then
        ok "predict runs an mxrt checkpoint: top-3 for 10,000 images, output 0 written as 10,000 CSV rows"
    else
        bad "predict on an mxrt checkpoint" "$(head -3 <<<"$out")"
    fi
    # the CSV gets the mode fopen would give (0666 less the umask), not mkstemp's 0600
    mode=$(stat -c %a "$tmp/y.csv" 2>/dev/null)
    if [ "$mode" = 640 ]; then ok "predict --output: mode 640 under umask 027"
    else bad "predict --output: mode '$mode' under umask 027, want 640"; fi
else
    skipped "predict on an mxrt checkpoint: no MNIST in $mnist"
fi

echo "real MXNet files: $realmx"
if [ ! -d "$realmx" ]; then
    skipped "every check: no folder $realmx (set MX_REALMX_DIR)"
    echo "realmx tests: 0 passed, 0 failed, $skip skipped"
    exit 0
fi
have_numpy=1
"$py" -c 'import numpy' 2>/dev/null || have_numpy=0

# --- every symbol file: loads, and infers shapes from the data's ---
for case in lenet:1,1,28,28 mnist:1,1,28,28 fashion-mnist:1,1,28,28 mtcnn-det1:1,3,12,12 \
            mtcnn-det2:1,3,24,24 mtcnn-det3:1,3,48,48; do
    name=${case%%:*} shape=${case#*:}
    out=$("$predict" "$realmx/$name" --list --shape "data=$shape" 2>&1)
    if [ $? -eq 0 ] && grep -q '^outputs' <<<"$out" && ! grep -q '(unknown)' <<<"$out"; then
        ok "$name-symbol.json loads and infers every shape from data ($shape): $(grep -A1 '^outputs' <<<"$out" | tail -1 | awk '{print $1, $2}')"
    else
        bad "$name-symbol.json --list --shape data=$shape" "$out"
    fi
done
out=$("$predict" "$realmx/save_000800.json" --list --shape data=2,100 2>&1)
if [ $? -eq 0 ] && grep -q 'batchnorm0_moving_mean *(10)' <<<"$out"; then
    ok "save_000800.json (MXNet 0.8, no aux nodes) loads with batchnorm0_moving_mean/var added, shapes inferred"
else
    bad "save_000800.json --list" "$out"
fi
out=$("$predict" "$realmx/ocr" 80 --list 2>&1)
rc=$?
if [ $rc -eq 3 ] && grep -q "node 800 'cast0' (Cast, line 4526): Cast: parameter 'dtype': value 'int32' is not supported" <<<"$out"; then
    ok "ocr-symbol.json (Cast to int32, WarpCTC): exit 3, not supported, naming the op and the node"
else
    bad "ocr-symbol.json should be refused as not supported (exit $rc)" "$out"
fi

# --- MTCNN: forward against the numpy reference ---
if [ $have_numpy = 0 ]; then
    skipped "MTCNN and MNIST checks against the numpy reference: no numpy ($py; apt-get install python3-numpy)"
else
    for case in det1:12 det2:24 det3:48; do
        d=${case%%:*} s=${case#*:}
        "$py" -c "import numpy as np; np.random.seed(7); np.random.uniform(-1, 1, (8, 3, $s, $s)).astype('<f4').tofile('$tmp/in.raw')"
        out=$("$predict" "$realmx/mtcnn-$d" 1 --shape "data=1,3,$s,$s" --input "$tmp/in.raw" --top-k 0 \
              --output "$tmp/mx.csv" 2>&1) || { bad "mtcnn-$d forward" "$out"; continue; }
        "$py" "$repo/tests/mxnet_ref.py" "$realmx/mtcnn-$d" 1 "$tmp/in.raw" --shape "1,3,$s,$s" >"$tmp/ref.txt" ||
            { bad "mtcnn-$d: numpy reference failed"; continue; }
        diff=$("$py" - "$tmp/mx.csv" "$tmp/ref.txt" <<'EOF'
import sys, numpy as np
mx = np.loadtxt(sys.argv[1], delimiter=',', ndmin=2)
ref = np.loadtxt(sys.argv[2], ndmin=2)[:, 1:]
print('%.3g' % (np.abs(mx - ref).max() if mx.shape == ref.shape else float('inf')))
EOF
)
        if awk -v d="$diff" 'BEGIN { exit !(d < 1e-5) }'; then
            ok "mtcnn-$d (MXNet 0.8 JSON, legacy params) forward on 8 random inputs = numpy reference (max |Δ| $diff)"
        else
            bad "mtcnn-$d forward differs from the numpy reference (max |Δ| $diff)"
        fi
    done
fi

# --- the MXNet-trained MNIST models on their whole test sets ---
classify() { # name epoch images labels min_accuracy predict-flags...
    local name=$1 epoch=$2 images=$3 labels=$4 min=$5
    shift 5
    if [ ! -f "$images" ] || [ ! -f "$labels" ]; then skipped "$name: no $images"; return; fi
    local out acc
    # (stdout alone: the speed line on stderr must not land inside a prediction line)
    out=$("$predict" "$realmx/$name" "$epoch" --shape data=100,1,28,28 --input "$images" --labels "$labels" \
          --top-k 1 "$@" 2>"$tmp/err") || { bad "$name on $(basename "$images")" "$out$(cat "$tmp/err")"; return; }
    acc=$(sed -n 's/^accuracy = \([0-9.]*\).*/\1/p' <<<"$out")
    if awk -v a="$acc" -v m="$min" 'BEGIN { exit !(a >= m) }'; then
        ok "$name classifies the 10,000 test images: accuracy $acc (>= $min)"
    else
        bad "$name accuracy $acc < $min" "$(tail -3 <<<"$out")"
    fi
    [ $have_numpy = 1 ] || return
    local scale=1 mean=0 std=1
    while [ $# -gt 0 ]; do
        case $1 in --scale) scale=$2 ;; --mean) mean=$2 ;; --std) std=$2 ;; esac
        shift 2
    done
    "$py" "$repo/tests/mxnet_ref.py" "$realmx/$name" "$epoch" "$images" --shape 1,1,28,28 --scale "$scale" \
        --mean "$mean" --std "$std" >"$tmp/ref.txt" || { bad "$name: numpy reference failed"; return; }
    grep -E '^[0-9]+:' <<<"$out" | awk '{print $2}' >"$tmp/mx.txt"
    local n differ
    n=$(wc -l <"$tmp/mx.txt")
    differ=$(awk '{print $1}' "$tmp/ref.txt" | paste -d' ' - "$tmp/mx.txt" | awk '$1 != $2' | wc -l)
    if [ "$n" -eq 10000 ] && [ "$differ" -eq 0 ]; then
        ok "$name: the same class as the numpy reference for all $n images"
    else
        bad "$name: $differ of $n classes differ from the numpy reference"
    fi
}
classify lenet 1 "$mnist/t10k-images-idx3-ubyte" "$mnist/t10k-labels-idx1-ubyte" 0.95 --scale 0.00392156862745098
classify mnist 35 "$mnist/t10k-images-idx3-ubyte" "$mnist/t10k-labels-idx1-ubyte" 0.99 --scale 0.00392156862745098
# Trained on Gluon's Normalize(0.13, 0.31) after ToTensor (/255).
classify fashion-mnist 39 "$fashion/t10k-images-idx3-ubyte.gz" "$fashion/t10k-labels-idx1-ubyte.gz" 0.91 \
    --scale 0.00392156862745098 --mean 0.13 --std 0.31

echo "realmx tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
