# Shared by the kubectl fidelity tests: starts esx-mock-kube with a private
# HOME (kubectl caches discovery and the dispatcher's /version answer there),
# points KUBECONFIG at the kubeconfig the mock writes, and stops the mock with
# SIGTERM on exit, failing the test unless it exits 0.
#
# usage (sourced): . lib.sh ESX_MOCK_KUBE [extra mock args...]
set -euo pipefail

MOCK_BIN=$1
shift
WORK=$(mktemp -d "${TMPDIR:-/tmp}/esx-kube-fidelity-XXXXXX")
export HOME=$WORK/home
mkdir -p "$HOME"
FAILURES=0

coproc MOCK { exec "$MOCK_BIN" --tls-dir "$WORK/tls" "$@"; }
MOCK_PID=$MOCK_PID
read -r STARTUP <&"${MOCK[0]}"

stop_mock() {
    local rc=$?
    if [ -n "${MOCK_PID:-}" ]; then
        kill -TERM "$MOCK_PID" 2>/dev/null || true
        local mrc=0
        wait "$MOCK_PID" || mrc=$?
        if [ "$mrc" != 0 ]; then
            echo "FAIL mock exited $mrc" >&2
            rc=1
        fi
    fi
    rm -rf "$WORK"
    if [ "$rc" = 0 ] && [ "$FAILURES" != 0 ]; then
        rc=1
    fi
    echo "$FAILURES failure(s)"
    exit "$rc"
}
trap stop_mock EXIT

field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$STARTUP" "$1"; }
export KUBECONFIG=$(field kubeconfig)
CONTROL=$(field control)
SERVER=$(field server)

ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; FAILURES=$((FAILURES + 1)); }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
    if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi
}

# expect_match WHAT REGEX TEXT
expect_match() {
    if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else fail "$1: [$3] does not match /$2/"; fi
}

# control METHOD PATH [BODY]
control() {
    /usr/bin/python3 - "$CONTROL" "$@" <<'PY'
import sys, urllib.request
base, method, path = sys.argv[1:4]
data = sys.argv[4].encode() if len(sys.argv) > 4 else None
with urllib.request.urlopen(urllib.request.Request(base + path, method=method, data=data), timeout=10) as r:
    print(r.read().decode())
PY
}

# wait_for_line FILE REGEX WHAT: blocks until a line matching REGEX appears in FILE, which a
# background process is writing (followed as it grows, so no polling loop here); fails after
# 20 s. Used with kubectl -v=6, which logs a watch request once the server has answered it.
wait_for_line() {
    local file=$1 regex=$2 what=$3 fd follower
    exec {fd}< <(exec timeout 20 tail -n +1 -F "$file" 2>/dev/null)
    follower=$!
    if grep -q -m1 -E "$regex" <&"$fd"; then
        kill "$follower" 2>/dev/null
        exec {fd}<&-
        return 0
    fi
    exec {fd}<&-
    fail "timed out waiting: $what"
    return 1
}
