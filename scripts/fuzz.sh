#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets in fuzz/ (every parser of user
# input: IDX, .params, symbol JSON, op parameters, the vocabulary file, CSV,
# optimizer specs, ONNX models) with clang-14 under
# ASan + UBSan into build/fuzz/, then runs each for the given seconds from
# a scratch copy of its seed corpus (fuzz/corpus/<target>, left as is).
# Prints executions, coverage (edges, features), corpus size and crashes
# (inputs that crashed, hung over 10 s, leaked or passed 2 GB) per target;
# exits non-zero if a target fails to build or crashes, keeping the inputs
# in build/fuzz/artifacts/ and the logs in build/fuzz/fuzz_<target>.log.
#   bash scripts/fuzz.sh [seconds]      (default $FUZZ_SECONDS, else 60;
#                                        0: build and replay the seeds once)
#   FUZZ_TARGETS="opparams symjson" bash scripts/fuzz.sh 60   (some targets only)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-${FUZZ_SECONDS:-60}}
case $seconds in '' | *[!0-9]*) echo "usage: bash scripts/fuzz.sh [seconds]" >&2; exit 2 ;; esac
cc=${FUZZ_CC:-clang-14}
all_targets="idx params symjson opparams vocab optimizer csv pgm onnx"
targets=${FUZZ_TARGETS:-$all_targets}
for t in $targets; do
    case " $all_targets " in *" $t "*) ;; *) echo "fuzz.sh: FUZZ_TARGETS: unknown target '$t' (targets: $all_targets)" >&2; exit 2 ;; esac
done
[ -n "${targets// /}" ] || { echo "fuzz.sh: FUZZ_TARGETS names no target (targets: $all_targets)" >&2; exit 2; }
out=build/fuzz
jobs=$(nproc)
if ! command -v "$cc" > /dev/null; then
    echo "fuzz.sh: $cc not found (apt-get install clang-14; or set FUZZ_CC)" >&2
    exit 1
fi

# Largest input per target: a LeNet symbol file is 3 KB and grows under
# mutation; an op's parameter text needs little room.
max_len() {
    case $1 in symjson) echo 16384 ;; opparams) echo 2048 ;; onnx) echo 65536 ;; *) echo 4096 ;; esac
}

# The library exactly as SConstruct globs it, built without hwloc (no
# MX_HAVE_HWLOC: threads are pinned with sched_setaffinity) and with
# asserts on. MX_NO_CLONES: no GCC target_clones (cpu_simd.h also skips
# them under clang).
common=(-std=c11 -g -O1 -fno-omit-frame-pointer -pthread -fno-sanitize-recover=all
        -D_POSIX_C_SOURCE=200809L -DMX_NO_CLONES
        -Iinclude -I.)
lib_flags=(-fsanitize=fuzzer-no-link,address,undefined "${common[@]}")
fuzz_flags=(-fsanitize=fuzzer,address,undefined "${common[@]}")

echo "== building the fuzz targets ($cc, ASan + UBSan) into $out"
mkdir -p "$out/obj"
rm -rf "$out/artifacts"
mkdir -p "$out/artifacts"
srcs=$(ls core/*.c kernels/cpu/*.c formats/*.c runtime/*/*.c)
# A header (or this script's flags) newer than the archive makes every
# object stale; otherwise a source newer than its object.
stale_all=0
if [ ! -f "$out/libmxrt.a" ] || [ scripts/fuzz.sh -nt "$out/libmxrt.a" ] ||
    [ -n "$(find include core runtime kernels formats -name '*.h' -newer "$out/libmxrt.a" | head -1)" ]; then
    stale_all=1
fi
todo=()
objs=()
for src in $srcs; do
    obj=$out/obj/$(echo "${src%.c}" | tr / _).o
    objs+=("$obj")
    if [ "$stale_all" = 1 ] || [ ! -f "$obj" ] || [ "$src" -nt "$obj" ]; then todo+=("$src"); fi
done
if [ ${#todo[@]} -gt 0 ]; then
    echo "   compiling ${#todo[@]} library sources"
    : > "$out/build.log"
    bad=0
    running=0
    for src in "${todo[@]}"; do
        obj=$out/obj/$(echo "${src%.c}" | tr / _).o
        { $cc "${lib_flags[@]}" -c "$src" -o "$obj" || { rm -f "$obj"; exit 1; }; } >> "$out/build.log" 2>&1 &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then wait -n || bad=1; running=$((running - 1)); fi
    done
    while [ "$running" -gt 0 ]; do wait -n || bad=1; running=$((running - 1)); done
    if [ "$bad" -ne 0 ]; then
        cat "$out/build.log"
        echo "fuzz.sh: FAILED to build the library" >&2
        exit 1
    fi
fi
rm -f "$out/libmxrt.a" # rebuilt each time, so a deleted source leaves nothing behind
ar rcs "$out/libmxrt.a" "${objs[@]}"
# The ONNX importer (onnx/, issue #17) with protobuf-c's code generated
# from Debian's onnx.proto, as SConstruct does; only fuzz_onnx links it.
if [[ " $targets " == *" onnx "* ]]; then
    proto=$(dpkg -L python3-onnx 2>/dev/null | grep '/onnx/onnx\.proto$' | head -1 || true)
    if [ -z "$proto" ] || ! command -v protoc-c >/dev/null; then
        echo "fuzz.sh: the onnx target needs protoc-c and python3-onnx's onnx.proto (apt-get install protobuf-c-compiler libprotobuf-c-dev python3-onnx)" >&2
        exit 1
    fi
    mkdir -p "$out/gen" "$out/obj-onnx"
    protoc-c --c_out="$out/gen" --proto_path="$(dirname "$(dirname "$proto")")" onnx/onnx.proto
    onnx_objs=()
    for src in "$out/gen/onnx/onnx.pb-c.c" onnx/*.c; do
        obj=$out/obj-onnx/$(basename "${src%.c}").o
        $cc "${lib_flags[@]}" -I"$out/gen" -c "$src" -o "$obj" >> "$out/build.log" 2>&1 ||
            { cat "$out/build.log"; echo "fuzz.sh: FAILED to build $src" >&2; exit 1; }
        onnx_objs+=("$obj")
    done
    rm -f "$out/libmxrt_onnx.a"
    ar rcs "$out/libmxrt_onnx.a" "${onnx_objs[@]}"
fi
for t in $targets; do
    extra=()
    [ "$t" = onnx ] && extra=(-I"$out/gen" "$out/libmxrt_onnx.a" -lprotobuf-c)
    if ! $cc "${fuzz_flags[@]}" -Ifuzz "fuzz/fuzz_$t.c" "${extra[@]}" "$out/libmxrt.a" -lz -lm -lpthread -o "$out/fuzz_$t"; then
        echo "fuzz.sh: FAILED to build fuzz_$t" >&2
        exit 1
    fi
done

echo "== fuzzing each target for ${seconds}s"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mxrt-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
failed=0
summary=()
for t in $targets; do
    mkdir -p "$scratch/$t" "$scratch/art-$t"
    cp fuzz/corpus/"$t"/* "$scratch/$t/"
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
    log=$out/fuzz_$t.log
    run=(-max_total_time="$seconds")
    [ "$seconds" -eq 0 ] && run=(-runs=0) # libFuzzer reads max_total_time=0 as "no limit"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
        "$out/fuzz_$t" "${run[@]}" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$t")" -print_final_stats=1 \
        -artifact_prefix="$scratch/art-$t/" "${dict[@]}" "$scratch/$t" > "$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "$scratch/$t" | wc -l)
    found=$(ls "$scratch/art-$t" | wc -l)
    if [ "$found" -gt 0 ]; then cp "$scratch/art-$t"/* "$out/artifacts/"; fi
    status=ok
    if [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; then
        status="FAILED (exit $rc; $found input(s) in $out/artifacts/, log $log)"
        failed=1
        grep -m1 -A12 '^==[0-9]*==ERROR\|runtime error\|^==[0-9]*== ERROR\|fuzz: ' "$log" || tail -20 "$log"
    fi
    summary+=("$(printf '%-9s execs %-9s cov %-6s ft %-6s corpus %-5s crashes %-3s %s' "$t" "${execs:-?}" \
        "${cov:-?}" "${ft:-?}" "$corpus" "$found" "$status")")
done
echo "== fuzz summary (${seconds}s each)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "fuzz.sh: findings above; reproduce with $out/fuzz_<target> <input>" >&2
    exit 1
fi
echo "fuzz.sh: no findings"
