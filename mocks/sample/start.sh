# Starts the sample Azure tenant and Kubernetes cluster as the standalone mock binaries, shaped
# like the Azure Key Vault provider documentation (mocks/sample/seed/*.json, examples/seed/), for
# scripts/demo, scripts/demo-cli and tests/cli. Sourced, not run:
#
#   . mocks/sample/start.sh MOCK_AZURE_BIN MOCK_KUBE_BIN WORK_DIR
#
# Gives kubectl a private HOME and the mock's KUBECONFIG, trusts the cluster's service-account
# issuer in mock Entra ID for the documentation's workload identity (what `azwi serviceaccount
# create phase federated-identity` does against real Azure), and exports what esx needs to reach
# the loopback cloud:
#
#   AZURE_PORT  AZURE_CA  AZURE_CONTROL  KUBE_CONTROL  KUBE_ISSUER
#   AZURE_POD_IDENTITY_AUTHORITY_HOST (mock IMDS)   ESX_LOOPBACK (an array: --cacert, --resolve)
#
# `stop_sample_mocks` stops both with SIGTERM and returns non-zero unless both exit 0; the caller
# runs it from its EXIT trap. Nothing here leaves 127.0.0.1: vault hosts end in vault.esx.test,
# which resolves nowhere, and esx reaches them through --resolve.

SAMPLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SAMPLE_AZURE_BIN=$1
SAMPLE_KUBE_BIN=$2
SAMPLE_WORK=$3
mkdir -p "$SAMPLE_WORK/home"
export HOME=$SAMPLE_WORK/home # kubectl caches discovery and /version answers here
# No proxy and no real Azure endpoint from the caller's environment may take part.
unset HTTPS_PROXY HTTP_PROXY https_proxy http_proxy ALL_PROXY all_proxy \
    AZURE_AUTHORITY_HOST AZURE_CLIENT_ID AZURE_TENANT_ID AZURE_FEDERATED_TOKEN_FILE IMDS_ENDPOINT IDENTITY_ENDPOINT
export NO_PROXY='*'

# sample_field JSON NAME: one member of a mock's start-up line.
sample_field() { /usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# Each mock prints one JSON line once it serves; read through a pipe (process substitution, as
# bash runs only one coproc at a time).
# SAMPLE_KUBE_SEED, when set, names another cluster seed (tests/cli/deploy_rbac.sh adds a user).
exec {SAMPLE_KUBE_FD}< <(exec "$SAMPLE_KUBE_BIN" --seed "${SAMPLE_KUBE_SEED:-$SAMPLE_DIR/seed/kube.json}" --tls-dir "$SAMPLE_WORK/kube")
SAMPLE_KUBE_PID=$!
read -r SAMPLE_KUBE_LINE <&"$SAMPLE_KUBE_FD" || { echo "esx-mock-kube did not start" >&2; return 1; }
# SAMPLE_AZURE_SEED, when set, names another tenant seed (scripts/demo adds a vault admin).
exec {SAMPLE_AZURE_FD}< <(exec "$SAMPLE_AZURE_BIN" --seed "${SAMPLE_AZURE_SEED:-$SAMPLE_DIR/seed/azure.json}" --tls-dir "$SAMPLE_WORK/azure")
SAMPLE_AZURE_PID=$!
read -r SAMPLE_AZURE_LINE <&"$SAMPLE_AZURE_FD" || { echo "esx-mock-azure did not start" >&2; return 1; }

stop_sample_mocks() {
    local rc=0 pid status
    for pid in ${SAMPLE_AZURE_PID:-} ${SAMPLE_KUBE_PID:-}; do
        kill -TERM "$pid" 2>/dev/null || continue
        status=0
        wait "$pid" || status=$?
        [ "$status" = 0 ] || { echo "a mock (pid $pid) exited $status" >&2; rc=1; }
    done
    SAMPLE_AZURE_PID= SAMPLE_KUBE_PID=
    return $rc
}

export KUBECONFIG=$(sample_field "$SAMPLE_KUBE_LINE" kubeconfig)
KUBE_CONTROL=$(sample_field "$SAMPLE_KUBE_LINE" control)
KUBE_ISSUER=$(sample_field "$SAMPLE_KUBE_LINE" issuer)
AZURE_CONTROL=$(sample_field "$SAMPLE_AZURE_LINE" control)
AZURE_CA=$(sample_field "$SAMPLE_AZURE_LINE" ca)
AZURE_AUTHORITY=$(sample_field "$SAMPLE_AZURE_LINE" authority)
AZURE_PORT=${AZURE_AUTHORITY##*:}
export AZURE_PORT
# azidentity's variable for the IMDS host (aad-pod-identity); esx reads it too.
export AZURE_POD_IDENTITY_AUTHORITY_HOST=$(sample_field "$SAMPLE_AZURE_LINE" imds)

# The trust relationship of the documentation's "Workload Identity" step 2: mock Entra ID trusts
# the cluster's issuer (its keys as the cluster publishes them) for the documentation's SA in
# both workload identity namespaces.
sample_post() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST",
                             headers={"Content-Type": "application/json"})
urllib.request.urlopen(req, timeout=10).read()
PY
}
sample_jwks=$(kubectl get --raw /openid/v1/jwks)
sample_post "$AZURE_CONTROL/issuers" "{\"issuer\": \"$KUBE_ISSUER\", \"jwks\": $sample_jwks}"
for sample_ns in workload-identity workload-identity-mounted; do
    sample_post "$AZURE_CONTROL/federated-credentials" \
        "{\"client_id\": \"7d8cdf74-xxxx-xxxx-xxxx-274d963d358b\", \"issuer\": \"$KUBE_ISSUER\",
          \"subject\": \"system:serviceaccount:$sample_ns:workload-identity-sa\"}"
done

# How esx reaches the loopback cloud: the mock's CA, and the vault hosts on 127.0.0.1.
ESX_LOOPBACK=(--cacert "$AZURE_CA"
    --resolve "my-keyvault-name.vault.esx.test:$AZURE_PORT:127.0.0.1"
    --resolve "xx-xxxx-xx.vault.esx.test:$AZURE_PORT:127.0.0.1")

# sample_apply FILE NAMESPACE: a manifest of examples/seed/ with the mock's port filled in.
sample_apply() {
    envsubst '${AZURE_PORT}' <"$1" | kubectl apply -n "$2" -f -
}

# sample_azure_log: the mock Azure request log (JSON).
sample_azure_log() { /usr/bin/python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/requests", timeout=10).read().decode())' "$AZURE_CONTROL"; }
# sample_kube_log: the mock Kubernetes request log (JSON).
sample_kube_log() { /usr/bin/python3 -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/requests", timeout=10).read().decode())' "$KUBE_CONTROL"; }
