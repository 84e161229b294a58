# test_lib.sh — what the shell test scripts share (sourced, not run):
# a scratch folder removed on exit, pass/fail counters, and the checks.
#   ok NAME            count a passed check
#   bad NAME [OUTPUT]  count a failed one, with the output that shows why
#   expect NAME STATUS PATTERN CMD...   CMD exits STATUS, output matches PATTERN
#   check NAME CMD...  CMD succeeds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "  ok   $1"; }
bad() { fail=$((fail + 1)); echo "  FAIL $1"; [ -n "${2:-}" ] && sed 's/^/       /' <<<"$2"; }

expect() {
    local name=$1 want=$2 pattern=$3
    shift 3
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want" ]; then bad "$name (exit $rc, expected $want)" "$out"; return; fi
    if ! grep -qE -- "$pattern" <<<"$out"; then bad "$name (output lacks /$pattern/)" "$out"; return; fi
    ok "$name"
}

check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}
