#!/usr/bin/env bash
# run_onnx_bench.sh BUILD_DIR — issue #17's benchmark: inference of
# torchvision's resnet18, mobilenet_v2 and squeezenet1_1 exported by
# PyTorch 1.13 to ONNX and imported by onnx_convert, side by side with
# PyTorch 1.13 running the same models in the same run on this machine:
# median latency (best in brackets), images/s, peak RSS of the process and
# mxrt's planned executor bytes, at batch 1 and 32 on 1 and 2 threads.
# Not a test: prints the table. MX_BENCH_RUNS (default 7) timed runs after
# 2 warm-up runs each (batch 32: MX_BENCH_RUNS_32, default 3).
set -euo pipefail
build=${1:?usage: tests/bench/run_onnx_bench.sh BUILD_DIR}
py=/usr/bin/python3
runs=${MX_BENCH_RUNS:-7}
runs32=${MX_BENCH_RUNS_32:-3}
repo=$(realpath "$(dirname "$0")/../..")
[ -x "$build/onnx_convert" ] && [ -x "$build/bench_infer" ] || { echo "run_onnx_bench: build $build/onnx_convert and bench_infer"; exit 1; }
"$py" -c 'import torch, torchvision, onnx' 2>/dev/null || { echo "run_onnx_bench: needs python3-torch, python3-torchvision, python3-onnx"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== ONNX inference: mxrt (imported from PyTorch's ONNX export) beside PyTorch 1.13  $(date -u '+%Y-%m-%d %H:%M UTC')"
isa=$(grep -q avx512f /proc/cpuinfo && echo AVX-512 || echo AVX2)
echo "machine: $(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $isa; MX_SGEMM=${MX_SGEMM:-auto}; PyTorch: DNNL_MAX_CPU_ISA=${DNNL_MAX_CPU_ISA:-auto} ATEN_CPU_CAPABILITY=${ATEN_CPU_CAPABILITY:-auto}"
echo "median of $runs runs (batch 32: $runs32) after 2 warm-up runs; latency in ms [best]; RSS: peak of the process"
echo
printf '%-14s %-9s | %-18s %9s %8s %8s | %-18s %9s %8s | %s\n' model batch/thr "mxrt ms" "img/s" "RSS MB" "plan MB" \
    "PyTorch ms" "img/s" "RSS MB" "mxrt/PyTorch"
for model in resnet18 mobilenet_v2 squeezenet1_1; do
    "$py" "$repo/tests/onnx/make_models.py" "$tmp" "$model@13" >/dev/null 2>&1
    for batch in 1 32; do
        "$build/onnx_convert" import "$tmp/$model-op13.onnx" "$tmp/$model-b$batch" --shape "data=$batch,3,224,224" >/dev/null
        r=$runs
        [ "$batch" = 32 ] && r=$runs32
        for t in 1 2; do
            m=$("$build/bench_infer" "$tmp/$model-b$batch" 0 --shape "data=$batch,3,224,224" --threads "$t" --runs "$r" --label "$model")
            p=$(OMP_NUM_THREADS=$t "$py" "$repo/tests/bench/torch_infer.py" "$model" "$batch" "$t" "$r" 2)
            f() { sed -n "s/.*$2=\([^ ]*\).*/\1/p" <<<"$1"; }
            printf '%-14s %-9s | %8s [%7s] %9s %8s %8s | %8s [%7s] %9s %8s | %.2f\n' "$model" "$batch/$t" \
                "$(f "$m" median_ms)" "$(f "$m" best_ms)" "$(f "$m" images_per_s)" "$(f "$m" peak_rss_mb)" "$(f "$m" planned_mb)" \
                "$(f "$p" median_ms)" "$(f "$p" best_ms)" "$(f "$p" images_per_s)" "$(f "$p" peak_rss_mb)" \
                "$(awk -v a="$(f "$m" median_ms)" -v b="$(f "$p" median_ms)" 'BEGIN { print a / b }')"
        done
    done
done
