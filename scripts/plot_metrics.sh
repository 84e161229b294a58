#!/usr/bin/env bash
# plot_metrics.sh METRICS.jsonl OUT.png — turns the JSON lines written by
# --metrics-log into a PNG of the training and validation curves (the
# first metric of each, per epoch) with Debian's gnuplot.
set -euo pipefail
if [ $# -ne 2 ] || [ "$1" = "--help" ]; then
    echo "usage: $0 METRICS.jsonl OUT.png   (needs gnuplot: apt-get install gnuplot-nox)" >&2
    exit 2
fi
log=$1
out=$2
[ -s "$log" ] || { echo "plot_metrics: $log: missing or empty" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "plot_metrics: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# epoch, train value, eval value (or ?), and the metric's name, one row per line
awk '
function first(obj,   m) {
    if (match($0, "\"" obj "\": *\\{\"[^\"]+\": *[-0-9.eE+naif]+")) {
        m = substr($0, RSTART, RLENGTH)
        sub(/.*: */, "", m)
        return m
    }
    return "?"
}
function name(obj,   m) {
    if (match($0, "\"" obj "\": *\\{\"[^\"]+\"")) {
        m = substr($0, RSTART, RLENGTH)
        sub(/.*\{"/, "", m); sub(/"$/, "", m)
        return m
    }
    return ""
}
/"epoch"/ {
    e = $0; sub(/.*"epoch": */, "", e); sub(/[,}].*/, "", e)
    print e, first("train"), first("eval")
    if (metric == "") metric = name("train")
}
END { print metric > "/dev/stderr" }
' "$log" >"$tmp/data" 2>"$tmp/name"
[ -s "$tmp/data" ] || { echo "plot_metrics: $log: no epoch lines" >&2; exit 1; }
metric=$(cat "$tmp/name")
gnuplot <<GP
set terminal pngcairo size 800,500 noenhanced
set output "$out"
set title "$(basename "$log"): ${metric:-metric} per epoch"
set xlabel "epoch"
set ylabel "${metric:-metric}"
set grid
set key bottom right
set datafile missing "?"
plot "$tmp/data" using 1:2 with linespoints title "training", \
     "$tmp/data" using 1:3 with linespoints title "validation"
GP
echo "plot_metrics: wrote $out"
