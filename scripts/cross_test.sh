#!/usr/bin/env bash
# cross_test.sh [TRIPLET...] — the embedded targets: builds each one
# (scons cross=TRIPLET; default both aarch64-linux-gnu and
# arm-linux-gnueabihf) and runs it under qemu-user: the unit suites named
# in MX_CROSS_SUITES (default: all but the long training suites, which
# take minutes each under emulation; "all" runs every suite, in full), then
# mnist_mlp's --help and a short training run that must pass 90%
# validation accuracy. Checks the binaries are fully static and that the
# build had no compiler warnings.
#   cross_test.sh --run BUILD_DIR TRIPLET   runs one built variant only
#                                           (what `scons cross=… test` does)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${MX_TEST_DATA:-data/mnist}
# Every suite but model, checkpoint, parallel and layers, which train
# MLPs and LeNets on MNIST for minutes each under qemu (they run natively
# in test.sh), and gpu (no GPU in a cross build; its stand-in pass trains
# MLPs too). hotpath runs its MLP
# variants only (MX_TEST_QUICK; it says so as skipped checks); with
# faults, it checks the static binary's --wrap'ped malloc, fread and read.
default_suites="arena engine sgemm vmath ndarray ndqueue symbol executor schedule gradcheck conv pool seq_ops lstm fuse fuse_fc optimizer training metric idx ndfile symjson io csv vocab kvstore dist dist_stop callback faults hotpath fixed"
suites=${MX_CROSS_SUITES:-$default_suites}
quick=1
[ "$suites" = all ] && { suites=""; quick=0; }

qemu_for() {
    case "$1" in
    aarch64-linux-gnu) echo qemu-aarch64-static ;;
    arm-linux-gnueabihf) echo qemu-arm-static ;;
    *) echo "cross_test: unknown target '$1' (aarch64-linux-gnu, arm-linux-gnueabihf)" >&2; return 2 ;;
    esac
}

# run_variant DIR TRIPLET: the checks under qemu, with times.
run_variant() {
    local dir=$1 triplet=$2 qemu t0 t1
    qemu=$(qemu_for "$triplet")
    command -v "$qemu" >/dev/null || { echo "cross_test: $qemu not found (apt-get install qemu-user-static)"; return 1; }
    for b in run_tests mnist_mlp mnist_lenet char_lstm sym_dot; do
        file -L "$dir/$b" | grep -q "statically linked" || { echo "cross_test: $dir/$b is not a static executable"; return 1; }
    done
    echo "  $dir: unit suites under $qemu: ${suites:-all}"
    t0=$(date +%s)
    # shellcheck disable=SC2086 # the suite list splits into arguments
    MX_TEST_DATA=$data MX_TEST_QUICK=$quick "$qemu" "$dir/run_tests" $suites >"$dir/cross-tests.log" 2>&1 ||
        { tail -40 "$dir/cross-tests.log"; echo "cross_test: unit suites failed under $qemu ($dir/cross-tests.log)"; return 1; }
    t1=$(date +%s)
    echo "  $(grep 'run_tests:' "$dir/cross-tests.log") [$((t1 - t0)) s]"
    grep -A100 '^skipped checks in' "$dir/cross-tests.log" | grep 'skipped checks in' | sed 's/^/    /' || true
    "$qemu" "$dir/mnist_mlp" --help | grep -q -- "--data-dir" || { echo "cross_test: mnist_mlp --help failed"; return 1; }
    t0=$(date +%s)
    local out
    # 20000 samples, one epoch, Xavier: above 0.9 in about a minute of
    # emulation (the tutorial's uniform:0.01 needs several epochs).
    out=$("$qemu" "$dir/mnist_mlp" --data-dir "$data" --epochs 1 --limit 20000 --init xavier --threads 2 \
        --bind none 2>&1) ||
        { echo "$out"; echo "cross_test: mnist_mlp failed under $qemu"; return 1; }
    t1=$(date +%s)
    grep -m1 'mxrt [0-9]' <<<"$out" | sed 's/^/  /'
    local acc
    acc=$(grep -oE 'final validation accuracy = [0-9.]+' <<<"$out" | grep -oE '[0-9.]+$')
    echo "  mnist_mlp, 20000 samples, 1 epoch: validation accuracy $acc [$((t1 - t0)) s]"
    awk -v a="$acc" 'BEGIN { exit !(a > 0.9) }' || { echo "$out"; echo "cross_test: accuracy $acc is not above 0.9"; return 1; }
}

# infer_aarch64: profile=infer for aarch64 (the embedded inference app):
# its stripped size, and the MNIST test set classified under qemu exactly
# as the x86-64 build classifies it, from one checkpoint; the arena size
# agrees and a buffer one byte short is refused.
infer_aarch64() {
    local log line dir tmp size native=build/release
    log=$(scons -Q -j"$(nproc)" cross=aarch64-linux-gnu profile=infer 2>&1) || { echo "$log"; return 1; }
    line=$(grep '^mxrt: variant' <<<"$log")
    dir=build/$(awk '{print $3}' <<<"$line" | tr -d :)
    scons -Q -j"$(nproc)" $native/mnist_mlp $native/mnist_infer >/dev/null 2>&1 || return 1
    tmp=$(mktemp -d)
    aarch64-linux-gnu-strip -o "$tmp/mnist_infer.stripped" "$dir/mnist_infer"
    size=$(stat -c %s "$tmp/mnist_infer.stripped")
    echo "  $dir/mnist_infer: stripped static aarch64 binary $size bytes (target <= 1048576)"
    $native/mnist_mlp --data-dir "$data" --epochs 1 --limit 10000 --init xavier --checkpoint "$tmp/mlp" --quiet >/dev/null
    local args=(--prefix "$tmp/mlp" --epoch 1 --images "$data/t10k-images-idx3-ubyte" --batch 100 --quiet)
    local x86 arm
    x86=$($native/mnist_infer "${args[@]}" --arena-size)
    arm=$(qemu-aarch64-static "$dir/mnist_infer" "${args[@]}" --arena-size)
    [ "$x86" = "$arm" ] || { echo "cross_test: arena size differs: x86-64 '$x86', aarch64 '$arm'"; return 1; }
    $native/mnist_infer "${args[@]}" --predictions "$tmp/x86.txt" >/dev/null
    qemu-aarch64-static "$dir/mnist_infer" "${args[@]}" --predictions "$tmp/arm.txt" >/dev/null
    [ "$(wc -l <"$tmp/arm.txt")" -eq 10000 ] && cmp -s "$tmp/x86.txt" "$tmp/arm.txt" ||
        { echo "cross_test: aarch64 predictions differ from x86-64's"; return 1; }
    echo "  aarch64 mnist_infer under qemu: all 10000 test predictions equal x86-64's (arena $arm bytes)"
    local need out
    need=$(grep -oE '[0-9]+' <<<"$arm" | head -1)
    if out=$(qemu-aarch64-static "$dir/mnist_infer" "${args[@]}" --buffer-bytes $((need - 1)) 2>&1); then
        echo "cross_test: a buffer of $((need - 1)) bytes was accepted"; return 1
    fi
    grep -q 'too small' <<<"$out" || { echo "$out"; echo "cross_test: no 'too small' error"; return 1; }
    echo "  aarch64 mnist_infer: a buffer of $((need - 1)) bytes is refused: $(head -1 <<<"$out")"
    # A PyTorch LeNet through ONNX (issue #17): imported on the host, classified
    # under qemu exactly as on x86-64
    if [ -x $native/onnx_convert ] && /usr/bin/python3 -c 'import torch, onnx' 2>/dev/null; then
        /usr/bin/python3 tests/onnx/make_models.py "$tmp/onnx" lenet@13 >/dev/null 2>&1 &&
            $native/onnx_convert import "$tmp/onnx/lenet-op13.onnx" "$tmp/tl" --shape data=100,1,28,28 >/dev/null ||
            { echo "cross_test: PyTorch LeNet: export or import failed"; return 1; }
        args=(--prefix "$tmp/tl" --epoch 0 --images "$data/t10k-images-idx3-ubyte" --batch 100 --quiet)
        $native/mnist_infer "${args[@]}" --predictions "$tmp/tx86.txt" >/dev/null
        qemu-aarch64-static "$dir/mnist_infer" "${args[@]}" --predictions "$tmp/tarm.txt" >/dev/null
        [ "$(wc -l <"$tmp/tarm.txt")" -eq 10000 ] && cmp -s "$tmp/tx86.txt" "$tmp/tarm.txt" ||
            { echo "cross_test: aarch64 predictions of the imported PyTorch LeNet differ from x86-64's"; return 1; }
        echo "  aarch64 mnist_infer under qemu, PyTorch LeNet imported from ONNX: all 10000 predictions equal x86-64's"
    else
        echo "  skipped: the PyTorch LeNet through ONNX (no $native/onnx_convert, or no python3-torch/python3-onnx)"
    fi
    rm -rf "$tmp"
}

if [ "${1:-}" = --run ]; then
    run_variant "${2:?usage: cross_test.sh --run BUILD_DIR TRIPLET}" "${3:?usage: cross_test.sh --run BUILD_DIR TRIPLET}"
    exit
fi

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(aarch64-linux-gnu arm-linux-gnueabihf)
for triplet in "${targets[@]}"; do
    qemu_for "$triplet" >/dev/null
    echo "== cross build $triplet"
    t0=$(date +%s)
    log=$(scons -Q -j"$(nproc)" cross="$triplet" 2>&1) || { echo "$log"; exit 1; }
    t1=$(date +%s)
    # The variant folder (…-nohwloc where the target lacks hwloc) from scons' own line.
    line=$(grep '^mxrt: variant' <<<"$log")
    echo "  ${line#mxrt: } [build $((t1 - t0)) s]"
    grep '^mxrt: hwloc: no' <<<"$log" | sed 's/^/  /' || true
    # Compiler warnings fail the build for us (the linker's glibc notes on
    # dlopen in static programs, from libhwloc.a, are not compiler warnings).
    if grep -E '^[^ ]+\.[ch]:[0-9]+:[0-9]+: warning:' <<<"$log"; then
        echo "cross_test: compiler warnings in the $triplet build"; exit 1
    fi
    variant=$(awk '{print $3}' <<<"$line" | tr -d :)
    run_variant "build/$variant" "$triplet"
    if [ "$triplet" = aarch64-linux-gnu ]; then infer_aarch64; fi
done
echo "cross_test: all cross checks passed"
