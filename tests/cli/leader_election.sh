#!/usr/bin/env bash
# Two esx-controller replicas with leader election against the standalone mocks (issue 12:
# "exactly one writes, and the other takes over within the lease duration after the first is
# killed"). Each replica authenticates as a user of its own (a bearer token the mock's seed
# knows), so the mock's request log tells their requests apart. Short election periods by flags:
# lease 3 s, renew deadline 2 s, retry period 500 ms.
#
# While both run, only the Lease holder writes (Secrets, ExternalSecret status, events, the
# Lease); the other only reads and campaigns. The leader is killed with SIGKILL (no release);
# the other takes the Lease no earlier than the lease duration after the last renewal it could
# have seen, and no later than that plus two acquire tries (client-go's protocol: expiry is
# measured from when the observer saw the record change, which is up to one try after the
# renewal, and the takeover happens at the first try after expiry; a try waits retry period x
# (1 + U[0, 1.2))). Then it syncs an ExternalSecret created after the kill, and on SIGTERM
# exits 0 and releases the Lease.
#
# Waiting is on the mock: `kubectl wait` and `kubectl get -w` (watch streams), each bounded by a
# timeout; nothing sleeps to synchronise.
#
# usage: leader_election.sh ESX_CONTROLLER MOCK_AZURE MOCK_KUBE SOURCE_ROOT
set -euo pipefail
LEASE_S=3
RENEW_DEADLINE=2s
RETRY_MS=500
JITTER=1.2 # leader_election_options::jitter (no flag): acquire tries wait RETRY_MS * (1 + U[0, JITTER))
LEASE=esx-e2e
LEASE_NS=esx-system

PRE=$(mktemp -d "${TMPDIR:-/tmp}/esx-leader-seed-XXXXXX")
/usr/bin/python3 - "$4/mocks/sample/seed/kube.json" >"$PRE/seed.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for r in ("a", "b"):
    doc["users"].append({"name": f"esx-replica-{r}", "token": f"esx-replica-{r}-token", "groups": ["system:masters"]})
doc["namespaces"].append("esx-system")
json.dump(doc, sys.stdout, indent=1)
PY
export SAMPLE_KUBE_SEED=$PRE/seed.json
. "$(dirname "$0")/lib.sh" "$@"
rm -rf "$PRE" # the mock read its seed before it printed its start-up line
unset SAMPLE_KUBE_SEED

declare -A PID=()
stop_replica() { # NAME: stop_process (lib.sh); sets STOP_RC
    STOP_RC=
    local pid=${PID[$1]:-}
    [ -n "$pid" ] || return 0
    STOP_RC=0
    stop_process "$pid" || STOP_RC=$?
    PID[$1]=
}
trap 'rc_=$?; stop_replica a; stop_replica b; (exit $rc_); finish' EXIT

start_replica() { # NAME: esx-controller as user esx-replica-NAME, leader election on
    local kc=$WORK/replica-$1.kubeconfig
    cp "$KUBECONFIG" "$kc"
    kubectl --kubeconfig "$kc" config set-credentials "esx-replica-$1" --token="esx-replica-$1-token" >/dev/null
    kubectl --kubeconfig "$kc" config set-context --current --user="esx-replica-$1" >/dev/null
    "$ESX" --kubeconfig "$kc" --metrics-addr 0 --health-addr 0 --log-level info \
        --leader-elect --leader-elect-namespace "$LEASE_NS" --leader-elect-id "$LEASE" \
        --leader-elect-lease-duration "${LEASE_S}s" --leader-elect-renew-deadline "$RENEW_DEADLINE" \
        --leader-elect-retry-period "${RETRY_MS}ms" \
        "${ESX_LOOPBACK[@]}" >"$WORK/replica-$1.out" 2>"$WORK/replica-$1.err" &
    PID[$1]=$!
}

# requests_by USER [REGEX_PATH [METHODS [STATUS_CLASS]]]: how many requests of the mock's log
# match (methods comma-separated, status class such as 2).
requests_by() {
    sample_kube_log | /usr/bin/python3 -c '
import json, re, sys
log = json.load(sys.stdin)
log = log["requests"] if isinstance(log, dict) else log
user, path = sys.argv[1], re.compile(sys.argv[2])
methods = set(sys.argv[3].split(",")) if sys.argv[3] else None
status = sys.argv[4]
print(sum(1 for r in log if r["user"] == user and path.search(r["path"])
          and (methods is None or r["method"] in methods) and (not status or str(r["status"]).startswith(status))))' \
        "$1" "${2:-.}" "${3:-}" "${4:-}"
}
WRITES=POST,PUT,PATCH,DELETE
LEASE_PATH="^/apis/coordination.k8s.io/v1/namespaces/$LEASE_NS/leases"
WORK_PATH='/secrets(/|$)|/externalsecrets/[^/]+/status$|/secretstores/[^/]+/status$|/events(/|$)'
lease_field() { kubectl get lease "$LEASE" -n "$LEASE_NS" -o jsonpath="{.spec.$1}" 2>/dev/null || true; }

# The period flags are checked as client-go checks them before anything starts (exit 2).
RC=0; ERR=$("$ESX" --leader-elect --leader-elect-lease-duration 1500ms 2>&1 >/dev/null) || RC=$?
expect_eq "a lease duration that is not whole seconds: exit 2" 2 "$RC"
expect_match "... naming the field" 'lease_duration \(1500 ms\) must be whole seconds' "$ERR"
RC=0; ERR=$("$ESX" --leader-elect --leader-elect-renew-deadline 3s --leader-elect-lease-duration 3s 2>&1 >/dev/null) || RC=$?
expect_eq "a renew deadline not shorter than the lease: exit 2" 2 "$RC"
expect_match "... naming both" 'lease_duration \(3000 ms\) must be greater than renew_deadline \(3000 ms\)' "$ERR"
RC=0; ERR=$("$ESX" --leader-elect-retry-period soon 2>&1 >/dev/null) || RC=$?
expect_match "a period that is not a duration names its flag" '^esx-controller: --leader-elect-retry-period: wants a duration' "$ERR"

kubectl apply -f "$SRC/examples/controller/deploy/crds" >/dev/null
kubectl wait --for=condition=Established crd --all --timeout=20s >/dev/null
apply_seed service-principal
add_external_secret() { # NAME TARGET: the documentation's first entry, in service-principal
    kubectl apply -n service-principal -f - >/dev/null <<YAML
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: $1}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: example-secret-store}
  target: {name: $2}
  data:
    - secretKey: dev-secret-test
      remoteRef: {key: dev-secret-test}
YAML
}
VALUE="Hello from my-keyvault-name (sample value)"

# Both start together and race for the Lease.
start_replica a
start_replica b
expect_match "a Lease is created" 'created|condition met' \
    "$(kubectl wait --for=create "lease/$LEASE" -n "$LEASE_NS" --timeout=60s 2>&1 || true)"
expect_match "the leader syncs the documentation's ExternalSecret" 'condition met' \
    "$(kubectl wait --for=condition=Ready es/example-external-secret -n service-principal --timeout=60s 2>&1 || true)"
add_external_secret while-both while-both-secret
expect_match "... and one created while both run" 'condition met' \
    "$(kubectl wait --for=create es/while-both -n service-principal --timeout=10s >/dev/null 2>&1;
       kubectl wait --for=condition=Ready es/while-both -n service-principal --timeout=30s 2>&1 || true)"
expect_eq "its Secret's value" "$VALUE" \
    "$(kubectl get secret while-both-secret -n service-principal -o jsonpath='{.data.dev-secret-test}' | base64 -d)"
# Five renewals seen on a watch of the Lease (2.5 s at 500 ms): the follower has tried several times.
timeout 30 kubectl get lease "$LEASE" -n "$LEASE_NS" -w -o jsonpath='{.spec.renewTime}{"\n"}' 2>/dev/null |
    head -n 6 >"$WORK/renewals" || true
expect_eq "the leader renews every retry period (a watch sees 5 renewals)" 6 "$(sort -u "$WORK/renewals" | wc -l)"

# Who leads: the one user whose Lease writes succeeded; the holder named in its own log.
LEADER= FOLLOWER=
for r in a b; do
    [ "$(requests_by "esx-replica-$r" "$LEASE_PATH" "$WRITES" 2)" != 0 ] && LEADER=${LEADER}$r
done
expect_match "exactly one replica has written the Lease" '^[ab]$' "$LEADER"
[ "$LEADER" = a ] && FOLLOWER=b || { LEADER=b; FOLLOWER=a; }
HOLDER=$(lease_field holderIdentity)
expect_match "the Lease holder is the leader's identity (its log says it became the leader)" \
    "\"identity\":\"$HOLDER\"" "$(grep -h 'became the leader' "$WORK/replica-$LEADER.err" || true)"
expect_eq "the follower never became the leader" 0 "$(grep -c 'became the leader' "$WORK/replica-$FOLLOWER.err" || true)"
leader_work=$(requests_by "esx-replica-$LEADER" "$WORK_PATH" "$WRITES" 2)
expect_match "the leader wrote Secrets, status and events ($leader_work writes)" '^[1-9][0-9]*$' "$leader_work"
for what in '/secrets(/|$)' '/externalsecrets/[^/]+/status$' '/events(/|$)'; do
    expect_match "the leader's writes include $what" '^[1-9]' "$(requests_by "esx-replica-$LEADER" "$what" "$WRITES" 2)"
done
expect_eq "the follower wrote nothing but Lease tries (Secrets, status, events, anything else)" 0 \
    "$(sample_kube_log | /usr/bin/python3 -c '
import json, re, sys
log = json.load(sys.stdin)
log = log["requests"] if isinstance(log, dict) else log
lease = re.compile(sys.argv[2])
print(sum(1 for r in log if r["user"] == sys.argv[1] and r["method"] in ("POST", "PUT", "PATCH", "DELETE")
          and not lease.search(r["path"])))' "esx-replica-$FOLLOWER" "$LEASE_PATH")"
expect_eq "the follower holds no Lease write that succeeded" 0 "$(requests_by "esx-replica-$FOLLOWER" "$LEASE_PATH" "$WRITES" 2)"
follower_reads=$(requests_by "esx-replica-$FOLLOWER" "$LEASE_PATH" GET)
expect_match "the follower campaigns: it reads the Lease ($follower_reads reads)" '^([3-9]|[1-9][0-9]+)$' "$follower_reads"
TRANSITIONS=$(lease_field leaseTransitions)

# SIGKILL: no release. The follower takes over once the Lease expires.
kill -KILL "${PID[$LEADER]}"
KILL_RC=0
{ wait "${PID[$LEADER]}"; } 2>/dev/null || KILL_RC=$? # (no "Killed" job notice in the output)
PID[$LEADER]=
KILLED_AT=$(date -u +%s.%N)
expect_eq "the leader died of SIGKILL" 137 "$KILL_RC"
add_external_secret after-kill after-kill-secret
# The Lease as a watch shows it: the dead leader's last renewal, then the new holder's record.
timeout 30 kubectl get lease "$LEASE" -n "$LEASE_NS" -w \
    -o jsonpath='{.spec.holderIdentity} {.spec.renewTime} {.spec.acquireTime} {.spec.leaseTransitions}{"\n"}' 2>/dev/null |
    awk -v old="$HOLDER" '$1 == old { last = $2; next } { print last, $0; exit }' >"$WORK/takeover" || true
read -r LAST_RENEW NEW_HOLDER _ ACQUIRED NEW_TRANSITIONS <"$WORK/takeover" || true
expect_match "the other replica takes the Lease" '.' "${NEW_HOLDER:-}"
expect_match "the new holder is the follower (its log says it became the leader)" \
    "\"identity\":\"${NEW_HOLDER:-none}\"" "$(grep -h 'became the leader' "$WORK/replica-$FOLLOWER.err" || true)"
expect_eq "one more leaseTransitions" "$((TRANSITIONS + 1))" "${NEW_TRANSITIONS:-}"
# Times: the Lease's MicroTimes and the kill, all from this host's clock.
read -r AFTER_RENEW AFTER_KILL <<<"$(/usr/bin/python3 -c '
import sys
from datetime import datetime, timezone
def t(s): return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
try: print("%.3f %.3f" % (t(sys.argv[2]) - t(sys.argv[1]), t(sys.argv[2]) - float(sys.argv[3])))
except Exception: print("nan nan")' "${LAST_RENEW:-}" "${ACQUIRED:-}" "$KILLED_AT")"
echo "takeover: $AFTER_RENEW s after the last renewal, $AFTER_KILL s after the kill (lease ${LEASE_S} s, retry ${RETRY_MS} ms)"
# The renewal's time is taken just before its PUT and the observer's just before its GET: a
# request's latency (at most 0.25 s allowed here) separates them.
expect_eq "takeover no earlier than the lease duration after the last renewal" True \
    "$(/usr/bin/python3 -c 'import sys; print(float(sys.argv[1]) >= float(sys.argv[2]) - 0.25)' "$AFTER_RENEW" "$LEASE_S")"
expect_eq "takeover no later than the lease duration plus two tries after the last renewal" True \
    "$(/usr/bin/python3 -c 'import sys; d, l, r, j = map(float, sys.argv[1:]); print(d <= l + 2 * r / 1000 * (1 + j) + 0.5)' \
        "$AFTER_RENEW" "$LEASE_S" "$RETRY_MS" "$JITTER")"
expect_match "the new leader syncs the ExternalSecret created after the kill" 'condition met' \
    "$(kubectl wait --for=condition=Ready es/after-kill -n service-principal --timeout=30s 2>&1 || true)"
expect_eq "its Secret's value" "$VALUE" \
    "$(kubectl get secret after-kill-secret -n service-principal -o jsonpath='{.data.dev-secret-test}' | base64 -d)"
expect_eq "the new leader wrote it (POST by esx-replica-$FOLLOWER)" 1 \
    "$(requests_by "esx-replica-$FOLLOWER" '^/api/v1/namespaces/service-principal/secrets$' POST 2)"
expect_eq "the new leader's first write is its Lease takeover" True "$(sample_kube_log | /usr/bin/python3 -c '
import json, re, sys
log = json.load(sys.stdin)
log = log["requests"] if isinstance(log, dict) else log
writes = [r for r in log if r["user"] == sys.argv[1] and r["method"] in ("POST", "PUT", "PATCH", "DELETE")
          and str(r["status"]).startswith("2")]
print(bool(writes) and re.search(sys.argv[2], writes[0]["path"]) is not None)' "esx-replica-$FOLLOWER" "$LEASE_PATH")"
expect_eq "the Secrets the first leader wrote are not written again" 0 \
    "$(requests_by "esx-replica-$FOLLOWER" '/secrets/(secret-to-be-created|while-both-secret)$' "$WRITES")"

stop_replica "$FOLLOWER"
expect_eq "SIGTERM: the new leader exits 0" 0 "$STOP_RC"
expect_eq "... and releases the Lease" "" "$(lease_field holderIdentity)"
expect_no_match "no secret value in either replica's output" "$SECRET_MARKERS" "$(cat "$WORK"/replica-*.out "$WORK"/replica-*.err)"
if [ "$FAILURES" != 0 ]; then
    for r in a b; do
        echo "--- replica $r stderr (last 20 lines)"
        tail -20 "$WORK/replica-$r.err"
    done
fi
