#!/usr/bin/env bash
# test_scons_opts.sh — the option combinations SConstruct refuses: each
# exits non-zero with a message naming the option, and nothing under
# build/ is new or changed — not even configure's log, except for the two
# refusals that come after configure (nvcc, mpicc), where only its log and
# cache may be. Each scons run names a target that does not exist, so a
# refusal that no longer fires fails fast ("Do not know how to make …",
# a configure log) instead of building a variant.
# Not covered: the refusals that depend on what is installed (hwloc=1,
# zlib, blas=openblas, a cross gcc missing).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=tests/test_lib.sh
. tests/test_lib.sh

echo "SConstruct option refusals"
mkdir -p build

# refused NAME PATTERN [VAR=VALUE...] -- SCONS_ARGS...: scons (with the
# environment VAR=VALUE) exits non-zero, prints PATTERN, builds nothing.
after_configure=0 # 1: configure's log and cache may change
refused() {
    local name=$1 pattern=$2 envs=() out rc changed
    shift 2
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    touch "$tmp/mark"
    out=$(env "${envs[@]}" scons -Q "$@" .refusal-probe 2>&1)
    rc=$?
    if [ $after_configure = 1 ]; then
        changed=$(find build -newer "$tmp/mark" ! -type d ! -name 'config-*.log' ! -path 'build/.sconf-*' | head -5)
    else
        changed=$(find build -newer "$tmp/mark" ! -type d | head -5)
    fi
    if [ $rc -eq 0 ]; then bad "$name (exit 0)" "$out"
    elif ! grep -qE -- "$pattern" <<<"$out"; then bad "$name (output lacks /$pattern/)" "$out"
    elif [ -n "$changed" ]; then bad "$name (built: $(tr '\n' ' ' <<<"$changed"))" "$out"
    else ok "$name: exit $rc, $(grep -m1 -oE -- "$pattern" <<<"$out")"
    fi
}

# Cross builds are CPU-only, static, without sanitizers, for two targets.
refused "cross + cuda=1" "cross=aarch64-linux-gnu cannot be combined with cuda=1" -- cross=aarch64-linux-gnu cuda=1
refused "cross + mpi=1" "cross=aarch64-linux-gnu cannot be combined with mpi=1" -- cross=aarch64-linux-gnu mpi=1
refused "cross + sanitize" "cross=arm-linux-gnueabihf cannot be combined with sanitize=" -- \
    cross=arm-linux-gnueabihf sanitize=address
refused "cross + static=0" "cross=aarch64-linux-gnu builds fully static .*static=0" -- cross=aarch64-linux-gnu static=0
refused "unknown cross triplet" "cross=riscv64-linux-gnu: unknown target" -- cross=riscv64-linux-gnu

# profile=infer: one CPU thread.
for opt in cuda=1 mpi=1 hwloc=1; do
    refused "profile=infer + $opt" "profile=infer .*drop $opt" -- profile=infer "$opt"
done

# Sanitizers, unknown options, and a bad value of each enumerated or boolean option.
refused "unknown sanitizer" "sanitize: unknown sanitizer 'memory'" -- sanitize=address,memory
refused "thread with address" "sanitize: thread cannot be combined with address" -- sanitize=address,thread
refused "unknown option" "unknown option\(s\): colour" -- colour=1
for opt in mode=fast hwloc=2 blas=mkl profile=tiny; do
    refused "bad value $opt" "Invalid value for option ${opt%%=*}: ${opt#*=}" -- "$opt"
done
for opt in static mpi cuda verbose; do
    refused "bad value $opt=maybe" "Error converting option: $opt" -- "$opt=maybe"
done

# After configure: a CUDA toolkit or an mpicc that is not there.
after_configure=1
refused "cuda=1 without nvcc" "cuda=1 but $tmp/no-cuda/bin/nvcc was not found" -- cuda=1 cuda_home="$tmp/no-cuda"
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/mpicc"
chmod +x "$tmp/bin/mpicc"
refused "mpi=1 without a working mpicc" "mpi=1 but mpicc was not found" PATH="$tmp/bin:$PATH" -- mpi=1

echo "SConstruct option refusals: $pass passed, $fail failed"
[ $fail -eq 0 ]
