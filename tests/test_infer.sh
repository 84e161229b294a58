#!/usr/bin/env bash
# test_infer.sh BUILD_DIR — end-to-end tests of mnist_infer (fixed-buffer
# inference): flags, the exact arena size (one byte less is refused),
# predictions on the MNIST test set identical to the full runtime's
# (predict_ref: mx_model_load + mx_model_predict) for an MLP and a LeNet
# checkpoint, PGM input (P5 and P2), bad inputs, and for profile=infer
# that no training code is linked. Checkpoints are trained by the
# variant's mnist_mlp/mnist_lenet, or build/release's for profile=infer.
set -uo pipefail
build=${1:?usage: tests/test_infer.sh BUILD_DIR}
data=${MX_TEST_DATA:-data/mnist}
app="$build/mnist_infer"
# shellcheck source=tests/test_lib.sh
. "$(dirname "$0")/test_lib.sh"

# The tool of the variant, else the default release build's (profile=infer has none).
tool() {
    if [ -x "$build/$1" ]; then echo "$build/$1"; elif [ -x "build/release/$1" ]; then echo "build/release/$1"; fi
}

echo "mnist_infer tests: $app"
expect "--help lists the flags" 0 "--arena-size.*" "$app" --help
expect "--help lists --buffer-bytes and --pgm" 0 "--pgm V" "$app" --help
expect "no checkpoint is named" 2 "no checkpoint: give --prefix" "$app" --images x
expect "--prefix with --symbol is refused" 2 "not both" "$app" --prefix a --symbol b --params c --arena-size
expect "nothing to classify is named" 2 "nothing to classify" "$app" --prefix "$tmp/none" --epoch 1
expect "missing checkpoint names the file" 1 "$tmp/none-symbol.json: cannot open" "$app" --prefix "$tmp/none" --epoch 1 --arena-size
expect "bad --buffer-bytes is named" 2 "--buffer-bytes: bad value 'lots'" "$app" --prefix "$tmp/none" --epoch 1 --pgm x --buffer-bytes lots
expect "--pgm with no file is named" 2 "--pgm needs at least one file" "$app" --pgm --arena-size
expect "bad --batch is named" 2 "--batch: bad value '0'" "$app" --batch 0
echo '{"nodes": [' >"$tmp/broken-symbol.json"
: >"$tmp/broken-0001.params"
expect "corrupt symbol JSON names the file" 1 "broken-symbol.json" "$app" --prefix "$tmp/broken" --epoch 1 --arena-size

mlp=$(tool mnist_mlp)
lenet=$(tool mnist_lenet)
ref=$(tool predict_ref)
if [ ! -f "$data/t10k-images-idx3-ubyte" ] || [ -z "$mlp" ] || [ -z "$lenet" ] || [ -z "$ref" ]; then
    echo "  skipped: checkpoint tests: need MNIST in $data and mnist_mlp, mnist_lenet, predict_ref (scons)"
else
    images="$data/t10k-images-idx3-ubyte"
    labels="$data/t10k-labels-idx1-ubyte"
    "$mlp" --epochs 1 --quiet --data-dir "$data" --checkpoint "$tmp/mlp" >"$tmp/mlp.log" 2>&1 ||
        bad "mnist_mlp trains a checkpoint" "$(cat "$tmp/mlp.log")"
    "$lenet" --epochs 1 --limit 6000 --quiet --init xavier --data-dir "$data" --checkpoint "$tmp/lenet" \
        >"$tmp/lenet.log" 2>&1 || bad "mnist_lenet trains a checkpoint" "$(cat "$tmp/lenet.log")"
    for net in mlp lenet; do
        size=$("$app" --prefix "$tmp/$net" --epoch 1 --arena-size 2>&1)
        if [[ "$size" =~ ^[0-9]+$ ]]; then ok "$net: --arena-size prints the bytes ($size)"; else bad "$net: --arena-size" "$size"; continue; fi
        expect "$net: one byte less is refused, naming both sizes" 1 \
            "buffer of $((size - 1)) bytes is too small: .*needs $size bytes" \
            "$app" --prefix "$tmp/$net" --epoch 1 --images "$images" --limit 5 --buffer-bytes $((size - 1))
        expect "$net: the reported size is enough" 0 "arena: $size bytes needed, $size given" \
            "$app" --prefix "$tmp/$net" --epoch 1 --images "$images" --limit 50 --buffer-bytes "$size"
        size100=$("$app" --prefix "$tmp/$net" --epoch 1 --arena-size --batch 100)
        expect "$net: batch 100 classifies the test set with accuracy" 0 "accuracy = 0\.(8|9)[0-9]+ \(.* of 10000\)" \
            "$app" --prefix "$tmp/$net" --epoch 1 --images "$images" --labels "$labels" --batch 100 \
            --predictions "$tmp/$net.fixed" --buffer-bytes "$size100"
        "$ref" "$tmp/$net" 1 "$images" "$labels" >"$tmp/$net.ref" 2>&1
        if cmp -s "$tmp/$net.fixed" "$tmp/$net.ref" && [ "$(wc -l <"$tmp/$net.ref")" -eq 10000 ]; then
            ok "$net: 10000 predictions identical to mx_model_predict's"
        else
            bad "$net: predictions differ from mx_model_predict's" "$(diff "$tmp/$net.fixed" "$tmp/$net.ref" | head -5)"
        fi
        "$app" --prefix "$tmp/$net" --epoch 1 --images "$images" --limit 500 --predictions "$tmp/$net.b1" >/dev/null 2>&1
        if cmp -s "$tmp/$net.b1" <(head -500 "$tmp/$net.ref"); then ok "$net: batch 1 predicts the same"
        else bad "$net: batch 1 predictions differ"; fi
    done

    # Test image 0 as a binary and as an ASCII greymap (with a comment).
    { printf 'P5\n28 28\n255\n'; tail -c +17 "$images" | head -c 784; } >"$tmp/d0.pgm"
    { printf 'P2\n# digit 0 of t10k\n28 28\n255\n'; tail -c +17 "$images" | head -c 784 | od -An -v -tu1; } >"$tmp/d0a.pgm"
    { printf 'P5\n28 28\n255\n'; tail -c +$((17 + 784)) "$images" | head -c 784; } >"$tmp/d1.pgm"
    want0=$(sed -n 1p "$tmp/mlp.ref")
    want1=$(sed -n 2p "$tmp/mlp.ref")
    expect "PGM P5 and P2 give the IDX image's class" 0 \
        "d0.pgm: class $want0 .*d0a.pgm: class $want0 .*d1.pgm: class $want1 " \
        bash -c "'$app' --prefix '$tmp/mlp' --epoch 1 --pgm '$tmp/d0.pgm' '$tmp/d0a.pgm' '$tmp/d1.pgm' | tr '\n' ' '"
    { printf 'P5\n27 28\n255\n'; head -c 756 /dev/zero; } >"$tmp/small.pgm"
    expect "PGM of the wrong size is named" 1 "small.pgm: image is 27x28, expected 28x28" \
        "$app" --prefix "$tmp/mlp" --epoch 1 --pgm "$tmp/small.pgm"
    { printf 'P5\n28 28\n65535\n'; head -c 1568 /dev/zero; } >"$tmp/deep.pgm"
    expect "16-bit PGM is refused" 1 "deep.pgm: maxval 65535" "$app" --prefix "$tmp/mlp" --epoch 1 --pgm "$tmp/deep.pgm"
    head -c 400 "$tmp/d0.pgm" >"$tmp/short.pgm"
    expect "truncated PGM is named" 1 "short.pgm: truncated" "$app" --prefix "$tmp/mlp" --epoch 1 --pgm "$tmp/short.pgm"
    printf 'P6\n28 28\n255\n' >"$tmp/color.pgm"
    expect "colour PPM is refused" 1 "color.pgm: not a PGM file" "$app" --prefix "$tmp/mlp" --epoch 1 --pgm "$tmp/color.pgm"
    expect "missing PGM is named" 1 "$tmp/nope.pgm: cannot open" "$app" --prefix "$tmp/mlp" --epoch 1 --pgm "$tmp/nope.pgm"
    expect "labels of another set are refused" 1 "expected 10000 labels" \
        "$app" --prefix "$tmp/mlp" --epoch 1 --images "$images" --labels "$data/train-labels-idx1-ubyte"
    expect "labels as images are refused" 1 "expected 28x28 images" \
        "$app" --prefix "$tmp/mlp" --epoch 1 --images "$labels"
    head -c 3000 "$tmp/mlp-0001.params" >"$tmp/cut-0001.params"
    cp "$tmp/mlp-symbol.json" "$tmp/cut-symbol.json"
    expect "truncated params names the file" 1 "cut-0001.params" "$app" --prefix "$tmp/cut" --epoch 1 --arena-size
    expect "LeNet params under the MLP symbol are refused" 1 "lenet-0001.params" \
        "$app" --symbol "$tmp/mlp-symbol.json" --params "$tmp/lenet-0001.params" --arena-size
fi

if readelf -l "$app" 2>/dev/null | grep -q interpreter; then
    if [[ "$build" == *-san* || "$build" == *-cuda* ]]; then echo "  skipped: static check (sanitizer/CUDA builds link dynamically)"
    else bad "mnist_infer is not statically linked"; fi
else
    ok "mnist_infer is a fully static executable"
fi
if [[ "$build" == *-infer* ]]; then
    # Training code, providers and the thread pool must not be linked in.
    linked=$(nm "$app" | grep -E ' [TtDdBbRr] (mx_model_|mx_fit|mx_optimizer|mx_kvstore|mx_metric|mx_callback|mx_exec_|mx_mnist_provider|mx_engine_create|mx_cpu_sgd_update|mx_cpu_adam_update|pthread_create$)' | head)
    if [ -z "$linked" ]; then ok "profile=infer links no training code and no thread pool"
    else bad "profile=infer links training code" "$linked"; fi
    strip -o "$tmp/stripped" "$app" && echo "  info: stripped mnist_infer: $(stat -c %s "$tmp/stripped") bytes ($(uname -m))"
fi

echo "mnist_infer tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
