#!/bin/bash
# Fidelity: kubectl get -w (Table events over a chunked watch) and kubectl
# wait --for=delete against esx-mock-kube; the control endpoint drops the
# watch stream at the end, which ends kubectl get -w.
#
# usage: kubectl_watch.sh ESX_MOCK_KUBE
. "$(dirname "$0")/lib.sh" "$1"

kubectl create secret generic before --from-literal=a=b >/dev/null
kubectl get secrets -w --output-watch-events -v=6 > "$WORK/watch.out" 2> "$WORK/watch.err" &
WATCH_PID=$!
wait_for_line "$WORK/watch.err" 'watch=true.* 200 OK' "kubectl get -w's watch"

kubectl create secret generic w1 --from-literal=a=1 >/dev/null
kubectl label secret w1 step=2 >/dev/null
kubectl wait --for=delete secret/w1 --timeout=30s -v=6 > "$WORK/wait.out" 2> "$WORK/wait.err" &
WAIT_PID=$!
wait_for_line "$WORK/wait.err" 'watch=true.* 200 OK' "kubectl wait's watch"
kubectl delete secret w1 --wait=false >/dev/null
wrc=0
wait $WAIT_PID || wrc=$?
expect_eq "wait --for=delete" "secret/w1 condition met (rc 0)" "$(cat "$WORK/wait.out") (rc $wrc)"

wait_for_line "$WORK/watch.out" '^DELETED *w1' "DELETED event in kubectl get -w"
# kubectl wait's stream may still be open in the server if its close is not yet noticed.
expect_match "drop watches (control)" '"dropped":[12]' "$(control POST /drop-watches)"
wait $WATCH_PID || true
events=$(awk '{print $1, $2}' "$WORK/watch.out" | tr '\n' ',')
expect_eq "get -w event sequence" "EVENT NAME,ADDED before,ADDED w1,MODIFIED w1,DELETED w1," "$events"
expect_match "get -w prints the Table columns" '^ADDED +w1 +Opaque +1 +[0-9]+s$' "$(grep '^ADDED *w1' "$WORK/watch.out")"
