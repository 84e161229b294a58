#!/usr/bin/env bash
# run_bench.sh BUILD_DIR — the MLP benchmark of the foundation issue, side
# by side in one run on this machine: median epoch time and images/s at 1
# and 2 threads, peak RSS, for mxrt's built-in SGEMM and for the same
# runtime calling OpenBLAS; then SGEMM GFLOP/s on the MLP's shapes next to
# OpenBLAS. Not a test: it prints figures and exits 0 when it could run.
set -euo pipefail
build=${1:?usage: tests/bench/run_bench.sh BUILD_DIR}
data=${MX_BENCH_DATA:-data/mnist}
epochs=${MX_BENCH_EPOCHS:-7}
[ -f "$data/train-images-idx3-ubyte" ] || { echo "run_bench: MNIST not in $data (scripts/fetch_mnist.sh $data)"; exit 1; }

echo "== mxrt MLP benchmark  $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
# The ISA, the SGEMM kernel in use and the machine's measured peak (the
# 2048^3 SGEMM of bench_sgemm, which runs below in full): every workload's
# share of it is printed beside its figures (issue #19).
isa=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || { grep -q avx2 /proc/cpuinfo && echo AVX2; } || uname -m)
sgemm_out=""
[ -x "$build/bench_sgemm" ] && sgemm_out=$("$build/bench_sgemm")
kernel=$(sed -n 's/^mx_sgemm kernel: \([^;]*\);.*/\1/p' <<<"$sgemm_out")
peak1=$(awk -F'|' '/^peak square/ { split($2, a, " "); print a[1] }' <<<"$sgemm_out")
peak2=$(awk -F'|' '/^peak square/ { split($3, a, " "); print a[1] }' <<<"$sgemm_out")
echo "ISA: $isa; SGEMM kernel: ${kernel:-?} (MX_SGEMM=${MX_SGEMM:-auto}); peak (2048^3 SGEMM): ${peak1:-?} GFLOP/s on 1 thread, ${peak2:-?} on 2"
[ "$isa" = AVX-512 ] && [ "${kernel:-}" = avx2 ] &&
    echo "(the AVX2 kernel on an AVX-512 chip: compare with OpenBLAS forced to its Haswell kernel, OPENBLAS_CORETYPE=Haswell)"
# share PEAK GFLOP SECONDS: "x GFLOP/s = y% of peak"
share() { awk -v p="$1" -v f="$2" -v t="$3" 'BEGIN { if (p > 0 && t > 0) printf "%.1f GFLOP/s = %.0f%% of peak", f / t / 1e9, 100 * f / t / 1e9 / p; else printf "?" }'; }
echo "MNIST MLP 784-128-64-10, batch 100, SGD momentum 0.9; median of $epochs epochs (60000 images each)"
echo

declare -A res
run() { # label binary threads
    local line
    line=$(OPENBLAS_NUM_THREADS=$3 "$2" --data-dir "$data" --threads "$3" --epochs "$epochs" --label "$1")
    res[$1,$3]=$line
}
field() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"${res[$1]}"; }

for t in 1 2; do
    run mxrt "$build/bench_mlp" "$t"
    [ -x "$build/bench_mlp_openblas" ] && run openblas "$build/bench_mlp_openblas" "$t"
done

printf '%-26s %14s %16s %9s %s\n' "" "mxrt builtin" "mxrt+OpenBLAS" "target" "PyTorch 1.13 (issue's figure)"
for t in 1 2; do
    tgt=$([ "$t" = 1 ] && echo "<= 0.45" || echo "<= 0.30")
    pt=$([ "$t" = 1 ] && echo "0.6 s" || echo "1.4-4 s")
    printf '%-26s %12s s %14s s %9s %s\n' "epoch, $t thread(s)" "$(field mxrt,$t median_epoch_s)" \
        "$(field openblas,$t median_epoch_s)" "$tgt" "$pt"
    printf '%-26s %14s %16s\n' "images/s, $t thread(s)" "$(field mxrt,$t images_per_s)" "$(field openblas,$t images_per_s)"
done
printf '%-26s %11s MB %13s MB %9s %s\n' "peak RSS, 2 threads" "$(field mxrt,2 peak_rss_mb)" \
    "$(field openblas,2 peak_rss_mb)" "<= 100" "about 500 MB"
printf '%-26s %11s kB   (naive, one buffer each: %s kB)\n' "planned activations+grads" \
    "$(field mxrt,2 planned_kb)" "$(field mxrt,2 naive_kb)"
echo "(peak RSS includes the 47 MB of training images kept as bytes)"
# Training FLOPs per epoch: forward and weight gradients of the three
# layers, data gradients of the last two: 227,200 multiply-adds a sample.
mlp_flops=27264000000
echo "training rate, 1 thread:   $(share "$peak1" $mlp_flops "$(field mxrt,1 median_epoch_s)")"
echo "training rate, 2 threads:  $(share "$peak2" $mlp_flops "$(field mxrt,2 median_epoch_s)")"
echo "engine dispatch round trip, 2 threads: $(field mxrt,2 dispatch_us) us (high values mean the VM placed"
echo "the two vCPUs far apart; 2-thread epochs then slow down by about 0.1 s: rerun to compare)"
echo
if [ -n "$sgemm_out" ]; then
    echo "$sgemm_out"
else
    echo "bench_sgemm not built (OpenBLAS missing: apt-get install libopenblas-dev)"
fi

# ---- LeNet (issue #3): epochs, layers, GEMMs, fraction of peak ----
lenet_epochs=${MX_BENCH_LENET_EPOCHS:-3}
echo
echo "== LeNet, batch 100, SGD momentum 0.9; median of $lenet_epochs epochs (60000 images each)"
res[lenet,1]=$(OPENBLAS_NUM_THREADS=1 "$build/bench_mlp" --net lenet \
    --data-dir "$data" --threads 1 --epochs "$lenet_epochs" --label lenet)
res[lenet,2]=$("$build/bench_mlp" --net lenet --data-dir "$data" --threads 2 --epochs "$lenet_epochs" --label lenet)
gemm=$("$build/bench_sgemm" --lenet 2>/dev/null || true)
peak=$(awk '/^peak square/ { print $(NF-1) }' <<<"$gemm")
# Training FLOPs per epoch: conv1 fwd+dW, conv2 fwd+dX+dW, fc1 and fc2 fwd+dX+dW, 60000 samples.
flops=791000000000
printf '%-26s %14s %9s %s\n' "" "mxrt" "target" "PyTorch 1.13 + oneDNN (issue's figure)"
printf '%-26s %12s s %9s %s\n' "epoch, 1 thread" "$(field lenet,1 median_epoch_s)" "" "$(share "$peak1" $flops "$(field lenet,1 median_epoch_s)") (1 thread)"
printf '%-26s %12s s %9s %s\n' "epoch, 2 threads" "$(field lenet,2 median_epoch_s)" "<= 8" "22-25 s"
printf '%-26s %14s\n' "images/s, 2 threads" "$(field lenet,2 images_per_s)"
printf '%-26s %11s MB %9s %s\n' "peak RSS, 2 threads" "$(field lenet,2 peak_rss_mb)" "<= 150" "660 MB"
printf '%-26s %11s kB   (naive: %s kB)\n' "planned (2 threads)" "$(field lenet,2 planned_kb)" "$(field lenet,2 naive_kb)"
if [ -n "$peak" ]; then
    awk -v f="$flops" -v t="$(field lenet,2 median_epoch_s)" -v p="$peak" 'BEGIN {
        printf "%-26s %9.1f GFLOP/s = %.0f%% of the 2-thread peak (%.1f GFLOP/s, 2048^3 SGEMM)\n",
               "training rate, 2 threads", f / t / 1e9, 100 * f / t / 1e9 / p, p }'
fi
echo
"$build/bench_conv"
echo
echo "$gemm"

# ---- char-LSTM (issue #5): samples/s, NLL after one epoch, memory ----
text=${MX_BENCH_TEXT:-../shared/data/tinyshakespeare/input.txt}
echo
if [ ! -f "$text" ]; then
    echo "== char-LSTM: $text not found (MX_BENCH_TEXT=path/to/input.txt)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== char-LSTM, the tutorial's config (batch 32, 32 steps, 2 layers, 256 hidden, 256 embedding, Adam)"
echo "   on $text; one sample = one 32-character sequence"
timed() { # label threads extra-args...
    local label=$1 threads=$2
    shift 2
    local rss=""
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "peak_rss_kb=%M" -o "$tmp/$label.rss" "$build/char_lstm" train --data "$text" \
            --threads "$threads" --checkpoint "$tmp/$label" --speedometer 0 "$@" >"$tmp/$label.log" 2>&1
        rss=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$tmp/$label.rss")
    else
        "$build/char_lstm" train --data "$text" --threads "$threads" --checkpoint "$tmp/$label" \
            --speedometer 0 "$@" >"$tmp/$label.log" 2>&1
    fi
    local speed nll ppl plan
    speed=$(awk '/## Training summary/ {t = 1} t && /speed =/ {print $4; exit}' "$tmp/$label.log")
    nll=$(sed -n 's/^final training NLL = //p' "$tmp/$label.log")
    ppl=$(sed -n 's/^final validation perplexity = //p' "$tmp/$label.log")
    plan=$(sed -n 's/.*Planned \(.*\)/\1/p' "$tmp/$label.log" | head -1)
    printf '%-34s %10s samples/s' "$label" "$speed"
    [ -n "$nll" ] && printf '   train NLL %s' "$nll"
    [ -n "$ppl" ] && printf ', validation NLL %s, perplexity %s' "$(awk -v p="$ppl" 'BEGIN { printf "%.4f", log(p) }')" "$ppl"
    [ -n "$rss" ] && printf '   peak RSS %.1f MB' "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
    echo
    [ "$label" = "1 epoch, 2 threads" ] && echo "   planned: $plan"
    return 0
}
timed "1 epoch, 2 threads" 2 --epochs 1
# FLOPs a sample: 32 steps of two LSTM layers (4·256 gates over 256
# inputs + 256 hidden each) and the 65-way output layer, forward and both
# gradients: about 204.5 MFLOP. The machine's limit is peak / that.
lstm_speed=$(awk '/## Training summary/ {t = 1} t && /speed =/ {print $4; exit}' "$tmp/1 epoch, 2 threads.log")
awk -v s="$lstm_speed" -v p="$peak2" 'BEGIN { if (s > 0 && p > 0)
    printf "   %.1f GFLOP/s = %.0f%% of the 2-thread peak; the peak allows %.0f samples/s\n", s * 204.5e6 / 1e9,
           100 * s * 204.5e6 / 1e9 / p, p * 1e9 / 204.5e6 }'
# The dependency schedule (issue #18) beside the sequential one, on the
# same 200k characters: each step whole on one worker, steps side by side,
# against each step split over both threads in order (MX_SCHED=seq).
first=(--epochs 1 --limit-chars 200000 --train-fraction 1)
timed "first 200k chars, 1 thread" 1 "${first[@]}"
MX_SCHED=seq timed "first 200k chars, 2 threads, in order" 2 "${first[@]}"
timed "first 200k chars, 2 threads, auto" 2 "${first[@]}"
s1=$(awk '/## Training summary/ {t = 1} t && /speed =/ {print $4; exit}' "$tmp/first 200k chars, 1 thread.log")
sq=$(awk '/## Training summary/ {t = 1} t && /speed =/ {print $4; exit}' "$tmp/first 200k chars, 2 threads, in order.log")
sa=$(awk '/## Training summary/ {t = 1} t && /speed =/ {print $4; exit}' "$tmp/first 200k chars, 2 threads, auto.log")
sched=$(sed -n 's/.*Steps: \(schedule .*\)/\1/p' "$tmp/first 200k chars, 2 threads, auto.log" | head -1)
echo "   auto chose: $sched"
awk -v a="$s1" -v q="$sq" -v g="$sa" -v p="$peak2" 'BEGIN { if (a > 0 && q > 0 && g > 0)
    printf "   2 threads over 1: in order x%.2f, auto x%.2f (target >= 1.8); auto: %.0f%% of the 2-thread peak (target >= 70%%)\n",
           q / a, g / a, 100 * g * 204.5e6 / 1e9 / p }'
# the same without the fused LSTM cell (runtime/graph/fuse.c): its reference
MX_FUSE=0 timed "1 epoch, 2 threads, cells not fused" 2 --epochs 1
echo "reference: the tutorial's GPU 360 samples/s; PyTorch 1.13 nn.LSTM on this machine 86 samples/s (issue's figures);"
echo "target >= 500 samples/s on 2 threads; 21 epochs reach validation perplexity <= 5.2 (tutorial 5.14)"
