#!/usr/bin/env bash
# test_apps.sh BUILD_DIR — end-to-end tests of the static apps: flags,
# bad input (missing, truncated and corrupt files), static linking, and
# the tutorial's full MLP run reaching its accuracy.
set -uo pipefail
build=${1:?usage: tests/test_apps.sh BUILD_DIR}
data=${MX_TEST_DATA:-data/mnist}
app="$build/mnist_mlp"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; }

# expect NAME STATUS PATTERN CMD...: exit status STATUS and output matching PATTERN
expect() {
    local name=$1 want=$2 pattern=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want" ]; then bad "$name (exit $rc, expected $want)" "$out"; return; fi
    if ! grep -qE -- "$pattern" <<<"$out"; then bad "$name (output lacks /$pattern/)" "$out"; return; fi
    ok "$name"
}

echo "app tests: $app"
expect "--help prints the options" 0 "--data-dir" "$app" --help
expect "unknown flag is named" 2 "unknown option '--epoch'" "$app" --epoch 3
expect "bad value is named" 2 "--epochs: bad value 'abc'" "$app" --epochs abc
expect "zero epochs is refused" 2 "--epochs: bad value '0'" "$app" --epochs 0
expect "missing value is named" 2 "--lr needs a value" "$app" --lr
expect "bad --bind is named" 2 "--bind: bad value 'sometimes'" "$app" --bind sometimes
expect "stray argument is refused" 2 "unexpected argument 'extra'" "$app" extra
expect "bad MX_NUM_THREADS is named" 2 "MX_NUM_THREADS: bad value 'lots'" env MX_NUM_THREADS=lots "$app" --data-dir "$tmp"
expect "bad MX_BIND is named" 2 "MX_BIND: bad value 'often'" env MX_BIND=often "$app"
expect "missing data names the file" 1 "$tmp/none/train-images-idx3-ubyte" "$app" --data-dir "$tmp/none"

if [ -f "$data/train-images-idx3-ubyte" ]; then
    mkdir -p "$tmp/trunc" "$tmp/magic"
    for f in train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
        ln -s "$(realpath "$data/$f")" "$tmp/trunc/$f"
        ln -s "$(realpath "$data/$f")" "$tmp/magic/$f"
    done
    head -c 100000 "$data/train-images-idx3-ubyte" >"$tmp/trunc/train-images-idx3-ubyte"
    expect "truncated images file is named" 1 "trunc/train-images-idx3-ubyte: truncated" "$app" --data-dir "$tmp/trunc"
    { printf '\x00\x00\x08\x07'; tail -c +5 "$data/train-images-idx3-ubyte"; } >"$tmp/magic/train-images-idx3-ubyte"
    expect "corrupt magic is named" 1 "magic/train-images-idx3-ubyte" "$app" --data-dir "$tmp/magic"
    gzip -c "$data/t10k-images-idx3-ubyte" >"$tmp/t10k-images-idx3-ubyte.gz"
    mkdir -p "$tmp/gz"
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-labels-idx1-ubyte; do
        ln -s "$(realpath "$data/$f")" "$tmp/gz/$f"
    done
    mv "$tmp/t10k-images-idx3-ubyte.gz" "$tmp/gz/"
    expect "gzipped files are read" 0 "final validation accuracy = 0\.[89]" \
        "$app" --data-dir "$tmp/gz" --limit 10000 --epochs 4 --quiet

    # The tutorial's run: 20 epochs, batch 100, lr 0.1, momentum 0.9, wd 1e-5.
    out=$("$app" --data-dir "$data" 2>&1)
    acc=$(sed -n 's/^final validation accuracy = //p' <<<"$out")
    if [ -n "$acc" ] && awk -v a="$acc" 'BEGIN { exit !(a >= 0.975) }'; then
        ok "tutorial MLP reaches validation accuracy $acc (>= 0.975)"
    else
        bad "tutorial MLP accuracy '$acc' < 0.975" "$(tail -20 <<<"$out")"
    fi
    grep -q "== Epoch 020/020 ==========" <<<"$out" && ok "logs all 20 epochs" || bad "epoch lines" "$out"
else
    echo "  skipped: data tests: MNIST not in $data (run scripts/fetch_mnist.sh $data)"
fi

# A static executable has no program interpreter (readelf comes with binutils).
if ! readelf -l "$app" | grep -q "Requesting program interpreter"; then
    ok "mnist_mlp is a fully static executable"
elif [[ "$build" == *-san* ]]; then
    echo "  skipped: static check: sanitizer builds link dynamically"
else
    bad "mnist_mlp is not statically linked" "$(readelf -l "$app" | grep interpreter)"
fi

echo "app tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
