#!/usr/bin/env bash
# test_install.sh — mxrt used as an HPC site uses it (issue #21): scons
# install of every variant into one temporary prefix (the cross build into
# a prefix of its own), the pkg-config files linking fully static programs,
# the examples built out of tree from the installed tree only (natively and
# for aarch64 under qemu), man pages, `module load mxrt` with Debian's Lmod,
# the relocatable archive of `scons dist` unpacked, moved and used with no
# network, --version everywhere, and the refusals (unwritable or relative
# PREFIX, sanitizer builds).
#
#   bash tests/test_install.sh
#
# Needs the release build's prerequisites plus help2man, lmod, man-db and
# dataset-fashion-mnist (scripts/install_deps.sh); the MPI, CUDA and aarch64
# parts run where mpicc, nvcc and the cross gcc are installed and say
# 'skipped' otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
tmp=$(mktemp -d /tmp/mxrt-install.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/opt/mxrt
fashion=${MX_FASHION_DIR:-/usr/share/datasets/fashion-mnist}
version=$(sed -n 's/^#define MX_VERSION "\(.*\)"$/\1/p' include/mx/version.h)
arch=$(uname -m)
fail() { echo "test_install: FAIL: $*" >&2; exit 1; }
ok() { echo "  ok: $*"; }
skipped=0
skip() { echo "  skipped: $*"; skipped=$((skipped + 1)); }
quiet() { # runs a command, shows its output only when it fails
    local log=$tmp/cmd.log
    "$@" >"$log" 2>&1 || { cat "$log" >&2; fail "$*"; }
}
[ -n "$version" ] || fail "no MX_VERSION in include/mx/version.h"
[ -f "$fashion/t10k-images-idx3-ubyte.gz" ] || fail "Fashion-MNIST not in $fashion (apt-get install dataset-fashion-mnist)"

# A program is fully static: no program interpreter, no dynamic section.
is_static() {
    ! readelf -l "$1" | grep -q 'Requesting program interpreter' && readelf -d "$1" | grep -q 'no dynamic section'
}

echo "== scons install (release) into $prefix"
quiet scons -Q -j"$jobs" install PREFIX="$prefix"
apps=(mnist_mlp mnist_lenet char_lstm mnist_infer predict sym_dot onnx_convert)
for f in include/mx/mx.h include/mx/version.h include/mx/onnx.h lib/libmxrt.a lib/libmxrt_udev.a lib/libmxrt_onnx.a \
         lib/pkgconfig/mxrt.pc lib/pkgconfig/mxrt-onnx.pc bin/mxrt-env share/modulefiles/mxrt/"$version" \
         share/mxrt/README.md share/mxrt/CHANGELOG.md share/mxrt/slurm/mnist_mlp_cpu.sbatch \
         share/mxrt/docs/install.md share/mxrt/examples/train_fashion/Makefile share/mxrt/examples/infer/Makefile; do
    [ -s "$prefix/$f" ] || fail "install: $prefix/$f missing"
done
for a in "${apps[@]}"; do
    [ -x "$prefix/bin/$a" ] || fail "install: bin/$a missing"
    [ -s "$prefix/share/man/man1/$a.1" ] || fail "install: man page of $a missing"
    line=$("$prefix/bin/$a" --version | head -1)
    [ "$line" = "$a (mxrt) $version" ] || fail "$a --version: '$line', expected '$a (mxrt) $version'"
done
ok "tree complete; every app prints '<app> (mxrt) $version' for --version (version.h says $version)"
is_static "$prefix/bin/mnist_mlp" || fail "installed mnist_mlp is not fully static"

echo "== man pages from the apps' --help"
for a in "${apps[@]}"; do
    MANPATH="$prefix/share/man:" man -P cat "$a" 2>/dev/null | grep -q -- "--help" || fail "man $a does not show its options"
done
MANPATH="$prefix/share/man:" man -P cat mnist_mlp 2>/dev/null | grep -q -- '--batch-size' || fail "man mnist_mlp: no --batch-size"
ok "man shows all ${#apps[@]} pages with their options"

echo "== DESTDIR stages the tree without touching PREFIX"
quiet scons -Q install PREFIX=/opt/mxrt-never DESTDIR="$tmp/stage"
[ -s "$tmp/stage/opt/mxrt-never/lib/libmxrt.a" ] || fail "DESTDIR: nothing under $tmp/stage/opt/mxrt-never"
[ ! -e /opt/mxrt-never ] || fail "DESTDIR: files written to /opt/mxrt-never"
ok "DESTDIR=$tmp/stage PREFIX=/opt/mxrt-never"

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
[ "$(pkg-config --modversion mxrt)" = "$version" ] || fail "pkg-config --modversion mxrt"

# build_examples DIR [make args...]: the two examples, out of tree, with
# nothing but the installed tree's Makefiles and pkg-config.
build_examples() {
    local dir=$1; shift
    for ex in train_fashion infer; do
        mkdir -p "$dir/$ex"
        quiet make -C "$dir/$ex" -f "$MXRT_EXAMPLES/$ex/Makefile" "$@"
    done
}
echo "== examples built out of tree with pkg-config --static mxrt"
MXRT_EXAMPLES=$prefix/share/mxrt/examples build_examples "$tmp/ex"
for ex in train_fashion/train_fashion infer/infer; do
    is_static "$tmp/ex/$ex" || fail "$ex: pkg-config --static mxrt did not link a fully static program"
done
ok "train_fashion and infer are fully static"
"$tmp/ex/train_fashion/train_fashion" --data-dir "$fashion" --limit 6000 --epochs 1 --prefix "$tmp/fashion" \
    >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; fail "train_fashion"; }
train_acc=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp/train.log" | tail -1)
[ -n "$train_acc" ] || { cat "$tmp/train.log"; fail "train_fashion printed no test accuracy"; }
awk -v a="$train_acc" 'BEGIN { exit !(a > 0.6) }' || fail "train_fashion: test accuracy $train_acc after 1 epoch on 6000 images (expected > 0.6)"
ls "$tmp"/fashion-symbol.json "$tmp"/fashion-0001.params >/dev/null || fail "train_fashion wrote no checkpoint"
"$tmp/ex/infer/infer" "$tmp/fashion" 1 --data-dir "$fashion" >"$tmp/infer.log" 2>&1 || { cat "$tmp/infer.log"; fail "infer"; }
infer_acc=$(sed -n 's/.*accuracy \([0-9.]*\).*/\1/p' "$tmp/infer.log" | tail -1)
[ "$infer_acc" = "$train_acc" ] || fail "infer's accuracy $infer_acc differs from train_fashion's $train_acc"
ok "train_fashion (custom provider, callback): test accuracy $train_acc; infer (fixed buffer) on its checkpoint: $infer_acc"

echo "== the examples and mxrt-env refuse bad input by name"
bad() { # bad WANT-RC PATTERN command...: exit code WANT-RC and PATTERN in its stderr
    local want=$1 pat=$2 rc=0; shift 2
    "$@" >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
    [ "$rc" = "$want" ] && grep -q -- "$pat" "$tmp/bad.err" ||
        { cat "$tmp/bad.err"; fail "$* exited $rc (expected $want and '$pat')"; }
    echo "  ok: $(basename "$1") ${*:2}: exit $rc, $(head -1 "$tmp/bad.err")"
}
bad 2 "unknown flag" "$tmp/ex/train_fashion/train_fashion" --bogus
bad 2 "bad value" "$tmp/ex/train_fashion/train_fashion" --epochs 0
bad 1 "$tmp/nowhere/train-images-idx3-ubyte.gz" "$tmp/ex/train_fashion/train_fashion" --data-dir "$tmp/nowhere"
bad 1 "$tmp/missing-symbol.json" "$tmp/ex/infer/infer" "$tmp/missing" 1 --data-dir "$fashion"
bad 2 "unknown option '--bogus'" "$prefix/bin/mxrt-env" --bogus

echo "== module load mxrt (Lmod)"
if [ -f /usr/share/lmod/lmod/init/bash ]; then
    env -u MANPATH -u PKG_CONFIG_PATH -u MXRT_HOME bash -c '
        set -eu
        had_ls=0; man -w ls >/dev/null 2>&1 && had_ls=1   # minimal images drop the system man pages
        source /usr/share/lmod/lmod/init/bash
        module use "$1/share/modulefiles"
        module load mxrt
        [ "$MXRT_HOME" = "$1" ] || { echo "MXRT_HOME=$MXRT_HOME"; exit 1; }
        [ "$(command -v mnist_mlp)" = "$1/bin/mnist_mlp" ] || { echo "PATH: $(command -v mnist_mlp)"; exit 1; }
        man -w mnist_mlp >/dev/null || { echo "MANPATH=$MANPATH"; exit 1; }
        [ $had_ls = 0 ] || man -w ls >/dev/null || { echo "man ls fails with MANPATH=$MANPATH"; exit 1; }
        mkdir -p "$2/mod" && make -s -C "$2/mod" -f "$MXRT_HOME/share/mxrt/examples/infer/Makefile" >/dev/null
        "$2/mod/infer" "$2/../fashion" 1 --data-dir "$3" --limit 1000 | grep -q accuracy
        module unload mxrt
        [ -z "${MXRT_HOME:-}" ] || { echo "MXRT_HOME still set after unload"; exit 1; }
    ' _ "$prefix" "$tmp/ex" "$fashion" >"$tmp/module.log" 2>&1 || { cat "$tmp/module.log"; fail "module load mxrt"; }
    ok "module load sets MXRT_HOME, PATH, PKG_CONFIG_PATH, MANPATH (man ls still works); the example builds from it; unload clears"
else
    fail "Lmod not installed (apt-get install lmod)"
fi

echo "== the other variants into the same prefix"
if command -v mpicc >/dev/null; then
    quiet scons -Q -j"$jobs" mpi=1 install PREFIX="$prefix"
    for f in lib/libmxrt_mpi.a lib/pkgconfig/mxrt-mpi.pc include/mx/mpi.h bin/mnist_mlp-mpi share/man/man1/mnist_mlp-mpi.1; do
        [ -s "$prefix/$f" ] || fail "install mpi=1: $f missing"
    done
    cat >"$tmp/mpi_hello.c" <<'EOF'
#include <stdio.h>
#include <mx/mx.h>
#include <mx/mpi.h>
int main(int argc, char **argv)
{
    if (mx_mpi_init(&argc, &argv) != MX_OK) return 1;
    printf("%s %s\n", mx_version(), mx_mpi_describe());
    mx_mpi_finalize();
    return 0;
}
EOF
    # shellcheck disable=SC2046
    quiet gcc -std=c11 -o "$tmp/mpi_hello" "$tmp/mpi_hello.c" $(pkg-config --cflags --libs mxrt-mpi)
    n=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 "$tmp/mpi_hello" 2>&1 |
        grep -c "^$version rank [01]/2") || true
    [ "$n" = 2 ] || fail "a program built with pkg-config mxrt-mpi did not run as 2 ranks"
    ok "mpi=1: libmxrt_mpi.a, mxrt-mpi.pc, mnist_mlp-mpi; a program using mx/mpi.h runs as 2 ranks under mpirun"
    # The installed Slurm script finds the installed app from MXRT_HOME (what module load sets).
    if [ -d data/mnist ]; then
        (cd "$tmp" && MXRT_HOME=$prefix DATA_DIR=$OLDPWD/data/mnist LAUNCHER=mpirun EPOCHS=1 LIMIT=2000 THREADS=1 \
            CKPT_PREFIX=$tmp/slurm-mlp OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
            bash "$prefix/share/mxrt/slurm/mnist_mlp_cpu.sbatch") >"$tmp/slurm.log" 2>&1 || { cat "$tmp/slurm.log"; fail "installed mnist_mlp_cpu.sbatch"; }
        grep -q "^command: mpirun .* $prefix/bin/mnist_mlp-mpi " "$tmp/slurm.log" && [ -s "$tmp/slurm-mlp-0001.params" ] ||
            { cat "$tmp/slurm.log"; fail "installed mnist_mlp_cpu.sbatch did not run bin/mnist_mlp-mpi to a checkpoint"; }
        ok "share/mxrt/slurm/mnist_mlp_cpu.sbatch with MXRT_HOME=PREFIX runs bin/mnist_mlp-mpi (2 ranks, mpirun) to a checkpoint"
    fi
else
    skip "mpi=1 install (no mpicc)"
fi
if [ -x /usr/local/cuda/bin/nvcc ]; then
    quiet scons -Q -j"$jobs" cuda=1 hwloc=0 install PREFIX="$prefix"
    for f in lib/libmxrt_cuda.a lib/pkgconfig/mxrt-cuda.pc bin/mnist_mlp-cuda bin/predict-cuda; do
        [ -s "$prefix/$f" ] || fail "install cuda=1: $f missing"
    done
    mkdir -p "$tmp/cuda"
    quiet make -C "$tmp/cuda" -f "$prefix/share/mxrt/examples/infer/Makefile" MXRT=mxrt-cuda STATIC=
    acc=$("$tmp/cuda/infer" "$tmp/fashion" 1 --data-dir "$fashion" | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
    [ "$acc" = "$train_acc" ] || fail "infer built with mxrt-cuda: accuracy '$acc', expected $train_acc"
    ok "cuda=1: libmxrt_cuda.a, mxrt-cuda.pc; infer built with pkg-config mxrt-cuda gives $acc"
else
    skip "cuda=1 install (no /usr/local/cuda/bin/nvcc)"
fi
quiet scons -Q -j"$jobs" profile=infer install PREFIX="$prefix"
mkdir -p "$tmp/lean"
quiet make -C "$tmp/lean" -f "$prefix/share/mxrt/examples/infer/Makefile" MXRT=mxrt-infer
is_static "$tmp/lean/infer" || fail "infer with mxrt-infer is not fully static"
acc=$("$tmp/lean/infer" "$tmp/fashion" 1 --data-dir "$fashion" | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
[ "$acc" = "$train_acc" ] || fail "infer built with mxrt-infer: accuracy '$acc', expected $train_acc"
[ -x "$prefix/bin/mnist_infer-infer" ] || fail "profile=infer: bin/mnist_infer-infer missing"
ok "profile=infer: libmxrt_infer.a, mxrt-infer.pc; infer linked with it: $acc, $(stat -c %s "$tmp/lean/infer") bytes vs $(stat -c %s "$tmp/ex/infer/infer") with mxrt"
# The release pkg-config file still links fully static after the variants' installs.
rm -f "$tmp/ex/infer/infer"
quiet make -C "$tmp/ex/infer" -f "$prefix/share/mxrt/examples/infer/Makefile"
is_static "$tmp/ex/infer/infer" || fail "mxrt.pc no longer links fully static after the variants' installs"
ok "mxrt.pc unchanged by the variants"

echo "== cross prefix (aarch64): the inference example under qemu"
if command -v aarch64-linux-gnu-gcc >/dev/null && command -v qemu-aarch64-static >/dev/null; then
    xprefix=$tmp/opt/mxrt-aarch64
    quiet scons -Q -j"$jobs" cross=aarch64-linux-gnu install PREFIX="$xprefix"
    mkdir -p "$tmp/xinfer"
    PKG_CONFIG_PATH="$xprefix/lib/pkgconfig" quiet make -C "$tmp/xinfer" \
        -f "$xprefix/share/mxrt/examples/infer/Makefile" CC=aarch64-linux-gnu-gcc
    file "$tmp/xinfer/infer" | grep -q 'ARM aarch64' || fail "cross infer is not an aarch64 program"
    acc=$(qemu-aarch64-static "$tmp/xinfer/infer" "$tmp/fashion" 1 --data-dir "$fashion" --limit 2000 |
          sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
    ref=$("$tmp/ex/infer/infer" "$tmp/fashion" 1 --data-dir "$fashion" --limit 2000 | sed -n 's/.*accuracy \([0-9.]*\).*/\1/p')
    [ -n "$acc" ] && [ "$acc" = "$ref" ] || fail "aarch64 infer under qemu: accuracy '$acc', x86-64 '$ref'"
    ok "aarch64 prefix: infer built with its pkg-config runs under qemu, accuracy $acc as on x86-64 (2000 images)"
else
    skip "aarch64 prefix (no aarch64-linux-gnu-gcc or qemu-aarch64-static)"
fi

echo "== scons dist: the archive unpacked, moved, used with no network"
quiet scons -Q -j"$jobs" dist
tarball=build/dist/mxrt-$version-$arch.tar.gz
[ -s "$tarball" ] || fail "scons dist did not write $tarball"
mkdir -p "$tmp/unpack" "$tmp/elsewhere"
tar -xzf "$tarball" -C "$tmp/unpack"
mkdir -p "$tmp/elsewhere/deeper"
mv "$tmp/unpack/mxrt-$version-$arch" "$tmp/elsewhere/deeper/moved-mxrt"   # a new place, another depth
netns=()
if unshare -n true 2>/dev/null; then netns=(unshare -n); fi
env -u PKG_CONFIG_PATH -u MXRT_HOME "${netns[@]}" bash -c '
    set -eu
    eval "$("$1/bin/mxrt-env")"
    [ "$MXRT_HOME" = "$1" ] || { echo "MXRT_HOME=$MXRT_HOME"; exit 1; }
    [ "$(mnist_infer --version | head -1)" = "mnist_infer (mxrt) $4" ]
    man -w predict >/dev/null
    for ex in train_fashion infer; do
        mkdir -p "$2/$ex" && make -s -C "$2/$ex" -f "$MXRT_HOME/share/mxrt/examples/$ex/Makefile" >/dev/null
    done
    "$2/train_fashion/train_fashion" --data-dir "$3" --limit 2000 --epochs 1 --prefix "$2/small" | grep "test accuracy"
    "$2/infer/infer" "$2/small" 1 --data-dir "$3" | grep accuracy
' _ "$tmp/elsewhere/deeper/moved-mxrt" "$tmp/dist-ex" "$fashion" "$version" >"$tmp/dist.log" 2>&1 ||
    { cat "$tmp/dist.log"; fail "the moved archive"; }
a1=$(sed -n 's/.*test accuracy \([0-9.]*\).*/\1/p' "$tmp/dist.log" | tail -1)
a2=$(sed -n '$s/.*accuracy \([0-9.]*\).*/\1/p' "$tmp/dist.log")
[ -n "$a1" ] && [ "$a1" = "$a2" ] || { cat "$tmp/dist.log"; fail "moved archive: train $a1, infer $a2"; }
ok "$(basename "$tarball") ($(stat -c %s "$tarball") bytes) unpacked and moved; mxrt-env; examples built and run ${netns[*]:+with no network (unshare -n)}: $a1 = $a2"
env -u MANPATH -u MXRT_HOME bash -c 'source /usr/share/lmod/lmod/init/bash; module use "$1/share/modulefiles";
    module load mxrt; [ "$MXRT_HOME" = "$1" ]' _ "$tmp/elsewhere/deeper/moved-mxrt" || fail "module load from the moved tree"
ok "the moved tree's modulefile finds its own place"
[ ${#netns[@]} -gt 0 ] || skip "the archive with no network (no network namespace here: it ran with the network up)"

echo "== refusals"
expect_refusal() { # expect_refusal MESSAGE-PATTERN scons-args...
    local pat=$1; shift
    if scons -Q "$@" >"$tmp/refuse.log" 2>&1; then cat "$tmp/refuse.log"; fail "scons $* succeeded"; fi
    grep -q -- "$pat" "$tmp/refuse.log" || { cat "$tmp/refuse.log"; fail "scons $*: no '$pat' in the error"; }
    echo "  ok: scons $*: $(grep -m1 -- "$pat" "$tmp/refuse.log")"
}
touch "$tmp/a-file"
expect_refusal "cannot write under $tmp/a-file/opt" install PREFIX="$tmp/a-file/opt"
[ -f "$tmp/a-file" ] && [ ! -s "$tmp/a-file" ] || fail "a refused install changed $tmp/a-file"
expect_refusal "is not an absolute path" install PREFIX=relative/prefix
expect_refusal "only release builds are installed" install sanitize=address PREFIX="$tmp/san"
[ ! -e "$tmp/san" ] || fail "a refused sanitizer install wrote $tmp/san"
mkdir -p "$tmp/ro"
# A read-only folder needs a mount namespace with a read-only bind mount
# (root may write anywhere else); where the kernel allows none, say so.
if unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && ! touch "$1/probe"' \
        _ "$tmp/ro" 2>/dev/null; then
    if unshare -m bash -c 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && cd "$2" &&
                           scons -Q install PREFIX="$1/opt/mxrt"' _ "$tmp/ro" "$PWD" >"$tmp/ro.log" 2>&1; then
        cat "$tmp/ro.log"; fail "install into a read-only folder succeeded"
    fi
    grep -q "cannot write under $tmp/ro/opt/mxrt.*Read-only file system" "$tmp/ro.log" ||
        { cat "$tmp/ro.log"; fail "install into a read-only folder: unclear error"; }
    [ -z "$(ls -A "$tmp/ro")" ] || fail "install into a read-only folder left files"
    echo "  ok: read-only PREFIX: $(grep -m1 'cannot write' "$tmp/ro.log")"
else
    skip "read-only PREFIX (no mount namespace with a read-only bind mount here)"
fi
if [ "$skipped" -gt 0 ]; then
    echo "test_install: every check that ran passed; $skipped skipped (above), not counted as passed"
else
    echo "test_install: all checks passed"
fi
