#!/usr/bin/env bash
# deploy/'s RBAC is enough, and nothing outside it is touched: the mock cluster is seeded with
# the controller's ServiceAccount holding exactly the rules deploy/'s bindings grant it (read
# from `kubectl kustomize deploy/` by deploy_rules.py, not copied by hand), deploy/ is applied,
# and the built `esx-controller` runs with a token minted for that ServiceAccount (TokenRequest,
# as the kubelet mounts one), leader election on as deployment.yaml runs it. It syncs the
# documentation's ExternalSecrets through a service-principal store (a credentials Secret), a
# workload-identity store (a ServiceAccount and its token) and a ClusterExternalSecret on a
# ClusterSecretStore (namespaces, ExternalSecrets it creates) to Ready, stops on SIGTERM releasing
# its Lease, and the mock's request log shows no 403 and no request its rules (resourceNames
# included) do not allow.
#
# usage: deploy_rbac.sh ESX_CONTROLLER MOCK_AZURE MOCK_KUBE SOURCE_ROOT
set -euo pipefail
SUBJECT=system:serviceaccount:esx-system:esx-controller
HERE=$(cd "$(dirname "$0")" && pwd)
PRE=$(mktemp -d "${TMPDIR:-/tmp}/esx-deploy-seed-XXXXXX")
HOME=$PRE kubectl kustomize "$4/examples/controller/deploy" >"$PRE/rendered.yaml"
/usr/bin/python3 "$HERE/deploy_rules.py" seed "$PRE/rendered.yaml" "$4/mocks/sample/seed/kube.json" "$SUBJECT" \
    >"$PRE/seed.json"
export SAMPLE_KUBE_SEED=$PRE/seed.json
. "$HERE/lib.sh" "$@"
mv "$PRE/rendered.yaml" "$WORK/rendered.yaml"
rm -rf "$PRE" # the mock read its seed before it printed its start-up line
unset SAMPLE_KUBE_SEED

CTL_PID=
stop_controller() { # stop_process (lib.sh); sets CTL_RC
    CTL_RC=
    [ -n "$CTL_PID" ] || return 0
    CTL_RC=0
    stop_process "$CTL_PID" || CTL_RC=$?
    CTL_PID=
}
trap 'rc_=$?; stop_controller; (exit $rc_); finish' EXIT

control_request() { # METHOD URL: the mock's control endpoint; the body on stdout
    /usr/bin/python3 -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[2], method=sys.argv[1])
print(urllib.request.urlopen(r, timeout=10).read().decode())' "$1" "$2"
}
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_status() { # URL: the status of a GET (000 when nothing answers)
    /usr/bin/python3 -c 'import sys, urllib.request, urllib.error
try: print(urllib.request.urlopen(sys.argv[1], timeout=5).status)
except urllib.error.HTTPError as e: print(e.code)
except Exception: print("000")' "$1"
}

# The cluster as an administrator sets it up: deploy/, then the documentation's manifests.
kubectl apply -k "$SRC/examples/controller/deploy" >/dev/null
kubectl wait --for=condition=Established crd --all --timeout=20s >/dev/null
for ns in service-principal workload-identity; do apply_seed "$ns"; done
# A ClusterSecretStore (credentials in service-principal) and a ClusterExternalSecret fanned out
# to the namespaces labelled team=a: namespaces watched, ExternalSecrets created by the controller.
kubectl create namespace team-a >/dev/null
kubectl label namespace team-a team=a >/dev/null
cat >"$WORK/cluster.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: cluster-store
spec:
  provider:
    azurekv:
      tenantId: "d3bc2180-xxxx-xxxx-xxxx-154105743342"
      vaultUrl: "https://my-keyvault-name.vault.esx.test:${AZURE_PORT}"
      authSecretRef:
        clientId: {name: azure-secret-sp, key: ClientID, namespace: service-principal}
        clientSecret: {name: azure-secret-sp, key: ClientSecret, namespace: service-principal}
      environmentType: AzureStackCloud
      useAzureSDK: true
      customCloudConfig:
        activeDirectoryEndpoint: "https://127.0.0.1:${AZURE_PORT}/"
        keyVaultDNSSuffix: vault.esx.test
---
apiVersion: external-secrets.io/v1
kind: ClusterExternalSecret
metadata:
  name: cluster-es
spec:
  externalSecretName: team-es
  namespaceSelectors:
    - matchLabels: {team: a}
  externalSecretSpec:
    refreshInterval: 1h
    secretStoreRef: {kind: ClusterSecretStore, name: cluster-store}
    target: {name: team-secret}
    data:
      - secretKey: dev-secret-test
        remoteRef: {key: dev-secret-test}
YAML
envsubst '${AZURE_PORT}' <"$WORK/cluster.yaml" | kubectl apply -f - >/dev/null

# The controller's credentials: a token for its ServiceAccount, in a kubeconfig of its own.
CTL_KUBECONFIG=$WORK/controller.kubeconfig
cp "$KUBECONFIG" "$CTL_KUBECONFIG"
token=$(kubectl create token esx-controller -n esx-system --duration=1h)
kubectl --kubeconfig "$CTL_KUBECONFIG" config set-credentials esx-controller --token="$token" >/dev/null
kubectl --kubeconfig "$CTL_KUBECONFIG" config set-context --current --user=esx-controller >/dev/null
expect_eq "the controller's kubeconfig authenticates as its ServiceAccount" "$SUBJECT" \
    "$(kubectl --kubeconfig "$CTL_KUBECONFIG" auth whoami -o jsonpath='{.status.userInfo.username}')"
expect_match "only deploy/'s rules apply to it (list configmaps: no)" \
    '^no' "$(kubectl --kubeconfig "$CTL_KUBECONFIG" auth can-i list configmaps -A 2>&1 || true)"

control_request DELETE "$KUBE_CONTROL/requests" >/dev/null
HEALTH_PORT=$(free_port)
METRICS_PORT=$(free_port)
"$ESX" --kubeconfig "$CTL_KUBECONFIG" --health-addr "127.0.0.1:$HEALTH_PORT" --metrics-addr "127.0.0.1:$METRICS_PORT" \
    --leader-elect --leader-elect-namespace esx-system --leader-elect-id esx-controller \
    "${ESX_LOOPBACK[@]}" >"$WORK/controller.out" 2>"$WORK/controller.err" &
CTL_PID=$!

wait_s=60 # the first sync includes the caches' start; then the others are due too
for ns in service-principal workload-identity; do
    expect_match "$ns: the ExternalSecret becomes Ready" 'condition met' \
        "$(kubectl wait --for=condition=Ready es/example-external-secret -n "$ns" --timeout=${wait_s}s 2>&1 || true)"
    wait_s=20
done
expect_match "team-a: the ClusterExternalSecret's ExternalSecret becomes Ready" 'condition met' \
    "$(kubectl wait --for=create es/team-es -n team-a --timeout=20s >/dev/null 2>&1;
       kubectl wait --for=condition=Ready es/team-es -n team-a --timeout=20s 2>&1 || true)"
expect_eq "team-a: the Secret's value" "Hello from my-keyvault-name (sample value)" \
    "$(kubectl get secret team-secret -n team-a -o jsonpath='{.data.dev-secret-test}' 2>/dev/null | base64 -d)"
expect_eq "service-principal: the Secret's value" "Hello from my-keyvault-name (sample value)" \
    "$(kubectl get secret secret-to-be-created -n service-principal -o jsonpath='{.data.dev-secret-test}' | base64 -d)"
expect_eq "workload-identity: the Secret's value" "Hello from xx-xxxx-xx (sample value)" \
    "$(kubectl get secret secret-to-be-created -n workload-identity -o jsonpath='{.data.dev-secret-test}' | base64 -d)"
expect_eq "/healthz answers on --health-addr" 200 "$(http_status "http://127.0.0.1:$HEALTH_PORT/healthz")"
expect_eq "/readyz answers on --health-addr" 200 "$(http_status "http://127.0.0.1:$HEALTH_PORT/readyz")"
expect_match "it leads: the Lease names it" '.' \
    "$(kubectl get lease esx-controller -n esx-system -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)"

stop_controller
expect_eq "SIGTERM: exit 0 within its grace period" 0 "$CTL_RC"
holder_after=$(kubectl get lease esx-controller -n esx-system -o jsonpath='{.spec.holderIdentity}' 2>/dev/null || true)
expect_eq "the Lease is released on shutdown" "" "$holder_after"
# On a failure, the controller's last lines say why (its output holds no value: checked below).
[ -z "$holder_after" ] || grep -E 'lease|Lease|stop|shutdown' "$WORK/controller.err" "$WORK/controller.out" | tail -15 >&2
expect_no_match "no secret value in the controller's output" "$SECRET_MARKERS" \
    "$(cat "$WORK/controller.out" "$WORK/controller.err")"

control_request GET "$KUBE_CONTROL/requests" >"$WORK/requests.json"
RC=0
verdict=$(/usr/bin/python3 "$HERE/deploy_rules.py" check "$WORK/rendered.yaml" "$SUBJECT" "$WORK/requests.json") || RC=$?
echo "$verdict"
expect_eq "every request the controller made is within deploy/'s RBAC, none refused" 0 "$RC"
# The run did what a controller does, so the verdict covers real work.
for what in 'watch external-secrets.io/externalsecrets$' 'create secrets \(namespaced\)$' \
    'external-secrets.io/externalsecrets/status \(namespaced\)$' 'create serviceaccounts/token \(namespaced\)$' \
    'coordination.k8s.io/leases \(namespaced\)$' 'watch namespaces$' 'create external-secrets.io/externalsecrets \(namespaced\)$' \
    'external-secrets.io/clusterexternalsecrets/status$' 'external-secrets.io/clustersecretstores/status$'; do
    expect_match "the run includes: $(printf '%s' "$what" | sed 's/ \\(namespaced\\)//; s/\$$//')" "$what" "$verdict"
done
if [ "$FAILURES" != 0 ]; then
    echo "--- controller stderr (last 40 lines)"
    tail -40 "$WORK/controller.err"
fi
