# Shared by the CLI end-to-end tests: the esx binary against the standalone mocks started with
# the sample tenant and cluster (mocks/sample/start.sh: private HOME, the mock's KUBECONFIG,
# the cluster's issuer trusted by mock Entra ID), over TLS on loopback. Stops both mocks on
# exit and fails the test unless they exit 0.
#
# usage (sourced): . lib.sh ESX MOCK_AZURE MOCK_KUBE SOURCE_ROOT
set -euo pipefail

ESX=$1
SRC=$4
WORK=$(mktemp -d "${TMPDIR:-/tmp}/esx-cli-test-XXXXXX")
FAILURES=0
CHECKS=0

finish() {
    local rc=$?
    stop_sample_mocks || rc=1
    rm -rf "$WORK"
    [ "$rc" = 0 ] && [ "$FAILURES" != 0 ] && rc=1
    echo "$CHECKS checks, $FAILURES failed"
    exit "$rc"
}
trap finish EXIT
. "$SRC/mocks/sample/start.sh" "$2" "$3" "$WORK"

ok() { CHECKS=$((CHECKS + 1)); echo "ok   $*"; }
fail() { CHECKS=$((CHECKS + 1)); FAILURES=$((FAILURES + 1)); echo "FAIL $*"; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() { if [ "$2" == "$3" ]; then ok "$1"; else fail "$1: expected [$2], got [$3]"; fi; }
# expect_match WHAT REGEX TEXT
expect_match() { if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else fail "$1: [$3] does not match /$2/"; fi; }
# expect_no_match WHAT REGEX TEXT
expect_no_match() { if printf '%s' "$3" | grep -Eq -- "$2"; then fail "$1: [$3] matches /$2/"; else ok "$1"; fi; }

# run_esx ARGS...: runs esx; sets OUT, ERR and RC (never fails the script).
run_esx() {
    RC=0
    "$ESX" "$@" >"$WORK/out" 2>"$WORK/err" || RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

# The sample vaults' secret values: human output must never show them.
SECRET_MARKERS='Hello from (my-keyvault-name|xx-xxxx-xx)|my-service-principle-client-secret'

# Writes in the mock cluster's log so far (POST/PUT/PATCH/DELETE on core v1 Secrets: the
# collection or one Secret, not /secretstores or /clustersecretstores, whose paths share the prefix).
secret_writes() {
    sample_kube_log | /usr/bin/python3 -c '
import json, re, sys
log = json.load(sys.stdin)
log = log["requests"] if isinstance(log, dict) else log
secret = re.compile(r"^/api/v1/(namespaces/[^/]+/)?secrets(/[^/]+)?$")
print(sum(1 for r in log if secret.match(r["path"]) and r["method"] in ("POST", "PUT", "PATCH", "DELETE")))'
}

# The documentation's manifests for auth type NS applied in namespace NS, the ExternalSecret too.
apply_seed() {
    sample_apply "$SRC/examples/seed/$1.yaml" "$1" >/dev/null
    kubectl apply -n "$1" -f "$SRC/examples/seed/external-secret.yaml" >/dev/null
}

# stop_process PID: SIGTERM, then SIGKILL if it is still running 40 s later (esx-controller's
# grace period is 20 s). `tail --pid` returns as soon as the process exits: the 40 s bound a
# hung process, nothing waits for them otherwise. Returns the process's exit status.
stop_process() {
    local pid=$1 rc=0
    kill -TERM "$pid" 2>/dev/null || true
    timeout 40 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" || rc=$?
    return $rc
}
