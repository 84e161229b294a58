#!/usr/bin/env bash
# test.sh — every test on a fresh Debian 12 machine: installs what is
# missing, fetches MNIST once, then builds and runs the unit suites and the
# app tests in the release build, the unit suites again under
# AddressSanitizer + UBSan and without hwloc, then each parser's fuzzer
# for MX_FUZZ_SECONDS (default 60).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/fetch_mnist.sh data/mnist
jobs=$(nproc)
echo "== release build: unit suites and app tests"
scons -Q -j"$jobs" test
echo "== sanitizer build (address,undefined): unit suites"
scons -Q -j"$jobs" sanitize=address,undefined build/release-san/run_tests
MX_TEST_DATA=data/mnist ASAN_OPTIONS=detect_leaks=1 build/release-san/run_tests
echo "== build without hwloc (threads pinned with sched_setaffinity): unit suites"
scons -Q -j"$jobs" hwloc=0 build/release-nohwloc/run_tests
MX_TEST_DATA=data/mnist build/release-nohwloc/run_tests
echo "== fuzzers (libFuzzer + ASan/UBSan, ${MX_FUZZ_SECONDS:-60} s per parser)"
bash scripts/fuzz.sh "${MX_FUZZ_SECONDS:-60}"
echo "test.sh: all tests passed"
