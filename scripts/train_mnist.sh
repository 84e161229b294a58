#!/usr/bin/env bash
# train_mnist.sh — the main job on a fresh Debian 12 machine: installs what
# is missing, fetches MNIST once into data/mnist (sizes and SHA-256
# checked), builds the static binaries, and trains the tutorial's MLP.
# Extra arguments go to mnist_mlp (see build/release/mnist_mlp --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/fetch_mnist.sh data/mnist
scons -Q -j"$(nproc)" build/release/mnist_mlp
exec build/release/mnist_mlp --data-dir data/mnist "$@"
