#!/usr/bin/env bash
# test.sh — every test on a fresh Debian 12 machine: installs what is
# missing, fetches MNIST once, checks the option combinations SConstruct
# refuses, then builds and runs the unit suites and the app tests in the
# release build (ONNX import/export against PyTorch: tests/test_onnx.sh),
# the unit suites and the ONNX tests again under
# AddressSanitizer + UBSan and without hwloc, the engine and schedule
# suites under ThreadSanitizer, every unit suite with the executor's
# steps in random orders and side by side (MX_SCHED), the inference-only profile
# (profile=infer: mnist_infer's tests), the CUDA build where nvcc is
# installed (its GPU suite runs for real on a GPU machine and says
# 'skipped' here), the MPI build under mpirun (tests/test_mpi.sh) and
# under a private Slurm (tests/test_slurm.sh), the aarch64 and armhf
# cross builds under qemu (scripts/cross_test.sh), scons install of every
# variant with the examples built from the installed tree and the archive
# of scons dist moved and used (tests/test_install.sh), then each parser's
# fuzzer for MX_FUZZ_SECONDS
# (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/fetch_mnist.sh data/mnist
jobs=$(nproc)
echo "== API reference (scons doc): Doxygen over include/mx/, every public function documented, no warnings"
scons -Q doc
echo "== SConstruct option refusals: each refused combination exits non-zero, names the option, builds nothing"
bash tests/test_scons_opts.sh
echo "== release build: unit suites and app tests"
scons -Q -j"$jobs" test
echo "== sanitizer build (address,undefined): unit suites"
scons -Q -j"$jobs" sanitize=address,undefined build/release-san/run_tests
MX_TEST_DATA=data/mnist ASAN_OPTIONS=detect_leaks=1 build/release-san/run_tests
echo "== sanitizer build: ONNX import and export (tests/test_onnx.sh)"
san=build/release-san
scons -Q -j"$jobs" sanitize=address,undefined $san/onnx_convert $san/ckpt_compare $san/predict $san/mnist_infer \
    $san/mnist_mlp $san/mnist_lenet $san/char_lstm
MX_TEST_DATA=data/mnist ASAN_OPTIONS=detect_leaks=1 bash tests/test_onnx.sh $san
echo "== ThreadSanitizer build (sanitize=thread): the engine and the executor's dependency schedule, steps side by side"
scons -Q -j"$jobs" sanitize=thread build/release-tsan/run_tests
MX_SCHED=graph MX_NUM_THREADS=2 TSAN_OPTIONS=halt_on_error=1 MX_TEST_DATA=data/mnist \
    build/release-tsan/run_tests engine schedule ndqueue executor lstm fuse fuse_fc parallel kvstore dist dist_stop
echo "== unit suites with every executor's steps in random orders (MX_SCHED=random) and side by side (MX_SCHED=graph)"
seed=${MX_SCHED_SEED:-$(date +%s)}
echo "  MX_SCHED=random:$seed (rerun with MX_SCHED_SEED=$seed)"
MX_SCHED=random:$seed MX_TEST_DATA=data/mnist build/release/run_tests
MX_SCHED=graph MX_NUM_THREADS=2 MX_TEST_DATA=data/mnist build/release/run_tests
echo "== profile=infer (fixed-buffer inference, no training code): mnist_infer tests"
scons -Q -j"$jobs" profile=infer test
echo "== build without hwloc (threads pinned with sched_setaffinity): unit suites"
scons -Q -j"$jobs" hwloc=0 build/release-nohwloc/run_tests
MX_TEST_DATA=data/mnist build/release-nohwloc/run_tests
echo "== MPI build (mpi=1): 2 ranks under mpirun: equivalence, apps, failures"
scons -Q -j"$jobs" mpi=1   # the default targets: library, apps, MPI checks, unit tests
bash tests/test_mpi.sh build/release-mpi
echo "== Slurm: a private one-node cluster (munged, slurmctld, slurmd) runs the slurm/ scripts"
bash tests/test_slurm.sh build/release-mpi
if [ -x /usr/local/cuda/bin/nvcc ]; then
    echo "== CUDA build (cuda=1, nvcc; no GPU needed to build): GPU suite"
    cb=build/release-cuda-nohwloc
    scons -Q -j"$jobs" cuda=1 hwloc=0 $cb/run_tests $cb/mnist_mlp $cb/mnist_lenet $cb/char_lstm
    MX_TEST_DATA=data/mnist build/release-cuda-nohwloc/run_tests gpu gpu_paths
    build/release-cuda-nohwloc/mnist_mlp --context gpu:0 --data-dir data/mnist --epochs 1 >/tmp/mx-gpu-ctx.log 2>&1 &&
        { echo "a GPU context without a GPU should fail"; exit 1; }
    grep -q 'GPU0' /tmp/mx-gpu-ctx.log || { cat /tmp/mx-gpu-ctx.log; exit 1; }
    echo "  mnist_mlp --context gpu:0 without a GPU: $(tail -1 /tmp/mx-gpu-ctx.log)"
else
    echo "== CUDA build: skipped (no /usr/local/cuda/bin/nvcc)"
fi
echo "== layering: every include and call goes down docs/design.md's layers (release, MPI and CUDA objects)"
layer_builds=(build/release build/release-mpi)
[ -d build/release-cuda-nohwloc ] && layer_builds+=(build/release-cuda-nohwloc)
python3 scripts/check_layers.py "${layer_builds[@]}"
echo "== cross builds (aarch64, armhf) under qemu: static build, unit suites, a short mnist_mlp run"
bash scripts/cross_test.sh
echo "== install, pkg-config, modules, examples, the relocatable archive (tests/test_install.sh)"
bash tests/test_install.sh
echo "== fuzzers (libFuzzer + ASan/UBSan, ${MX_FUZZ_SECONDS:-60} s per parser)"
# a target name that does not exist is refused by name, before anything builds
if out=$(FUZZ_TARGETS="opparams bogus" bash scripts/fuzz.sh 0 2>&1); then
    echo "test.sh: fuzz.sh accepted FUZZ_TARGETS=bogus" >&2
    exit 1
fi
grep -q "unknown target 'bogus'" <<<"$out" || { echo "test.sh: fuzz.sh's refusal of FUZZ_TARGETS=bogus: $out" >&2; exit 1; }
bash scripts/fuzz.sh "${MX_FUZZ_SECONDS:-60}"
echo "test.sh: all tests passed"
