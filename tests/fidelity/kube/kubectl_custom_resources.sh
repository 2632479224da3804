#!/bin/bash
# Fidelity: custom resources as kube-apiserver treats them, through kubectl against
# esx-mock-kube and esx's production CRDs (examples/controller/deploy/crds):
# - two served versions with conversion strategy None: an ExternalSecret written as v1beta1 is
#   read and watched as v1 (and back), only apiVersion differing;
# - structural schema validation: kubectl apply (client-side, server-side) and patch of an
#   invalid ExternalSecret print the API server's 422 causes; unknown fields are refused under
#   kubectl's default --validate=strict and dropped with warnings under --validate=warn;
#   schema defaults are filled in.
#
# usage: kubectl_custom_resources.sh ESX_MOCK_KUBE CRD_DIR
. "$(dirname "$0")/lib.sh" "$1"
CRDS=$2

kubectl apply -f "$CRDS" >/dev/null
kubectl wait --for=condition=Established crd/externalsecrets.external-secrets.io --timeout=20s >/dev/null

# ----- versions: written as v1beta1, read and watched as v1

kubectl get externalsecrets.v1.external-secrets.io -w --output-watch-events \
    -o jsonpath='{.type} {.object.apiVersion} {.object.metadata.name}{"\n"}' -v=6 > "$WORK/watch.out" 2> "$WORK/watch.err" &
WATCH_PID=$!
wait_for_line "$WORK/watch.err" 'watch=true.* 200 OK' "the v1 watch"

cat > "$WORK/v1beta1.yaml" <<'EOF'
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: versioned}
spec:
  refreshInterval: 1h
  secretStoreRef: {kind: SecretStore, name: store-a}
  target: {name: versioned-target}
  data:
  - secretKey: password
    remoteRef: {key: secret/db-password}
EOF
expect_eq "apply as v1beta1" "externalsecret.external-secrets.io/versioned created" "$(kubectl apply -f "$WORK/v1beta1.yaml" 2>&1)"
expect_eq "get externalsecrets.v1" "external-secrets.io/v1 store-a secret/db-password" \
    "$(kubectl get externalsecrets.v1.external-secrets.io versioned -o jsonpath='{.apiVersion} {.spec.secretStoreRef.name} {.spec.data[0].remoteRef.key}')"
wait_for_line "$WORK/watch.out" '^ADDED external-secrets.io/v1 versioned$' "the v1 watch sees the v1beta1 write as v1"

kubectl patch externalsecrets.v1.external-secrets.io versioned --type=merge -p '{"spec":{"refreshInterval":"5m"}}' >/dev/null
expect_eq "written as v1, read as v1beta1" "external-secrets.io/v1beta1 5m" \
    "$(kubectl get externalsecrets.v1beta1.external-secrets.io versioned -o jsonpath='{.apiVersion} {.spec.refreshInterval}')"
wait_for_line "$WORK/watch.out" '^MODIFIED external-secrets.io/v1 versioned$' "the v1 watch sees the v1 write"
kubectl get externalsecrets.v1.external-secrets.io versioned -o json --show-managed-fields > "$WORK/as-v1.json"
kubectl get externalsecrets.v1beta1.external-secrets.io versioned -o json --show-managed-fields > "$WORK/as-v1beta1.json"
expect_eq "the two versions differ in apiVersion only" "apiVersion" "$(/usr/bin/python3 - "$WORK/as-v1.json" "$WORK/as-v1beta1.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
print(",".join(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))))
PY
)"
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true

# ----- structural schema validation

cat > "$WORK/invalid.yaml" <<'EOF'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: invalid}
spec:
  refreshInterval: 5
  secretStoreRef: {kind: Store, name: Bad_Name}
  target: {creationPolicy: Sometimes}
  data:
  - secretKey: password
    remoteRef: {}
EOF
for how in "client-side" "server-side"; do
    flag=$([ "$how" = server-side ] && echo --server-side || true)
    out=$(kubectl apply $flag -f "$WORK/invalid.yaml" 2>&1 || true)
    expect_match "invalid ($how): kubectl prints the API server's verdict" '^The ExternalSecret "invalid" is invalid: $' "$out"
    expect_match "invalid ($how): required" '^\* spec.data\[0\].remoteRef.key: Required value$' "$out"
    expect_match "invalid ($how): type" '^\* spec.refreshInterval: Invalid value: "integer": spec.refreshInterval in body must be of type string: "integer"$' "$out"
    expect_match "invalid ($how): enum" '^\* spec.secretStoreRef.kind: Unsupported value: "Store": supported values: "SecretStore", "ClusterSecretStore"$' "$out"
    expect_match "invalid ($how): pattern" "^\* spec.secretStoreRef.name: Invalid value: \"Bad_Name\": spec.secretStoreRef.name in body should match '\^\[a-z0-9\]" "$out"
    expect_match "invalid ($how): enum with a default elsewhere" '^\* spec.target.creationPolicy: Unsupported value: "Sometimes": supported values: "Owner", "Orphan", "Merge", "None"' "$out"
done
expect_match "nothing was stored" 'NotFound' "$(kubectl get es invalid 2>&1 || true)"
expect_match "patch to an invalid value" \
    '^The ExternalSecret "versioned" is invalid: spec.target.creationPolicy: Unsupported value: "Never": supported values: ' \
    "$(kubectl patch es versioned --type=merge -p '{"spec":{"target":{"creationPolicy":"Never"}}}' 2>&1 || true)"
expect_match "too long" '^The ExternalSecret "versioned" is invalid: spec.secretStoreRef.name: Too long: may not be longer than 253$' \
    "$(kubectl patch es versioned --type=merge -p "{\"spec\":{\"secretStoreRef\":{\"name\":\"$(printf 'a%.0s' $(seq 1 254))\"}}}" 2>&1 || true)"

# Unknown fields: refused under kubectl's default --validate=strict, dropped with a warning
# under --validate=warn (the API server's default).
cat > "$WORK/unknown.yaml" <<'EOF'
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata: {name: unknown}
spec:
  secretStoreRef: {kind: SecretStore, name: store-a}
  bogus: 1
  target: {name: unknown-target, extra: x}
EOF
expect_eq "unknown fields, strict" \
    'Error from server (BadRequest): error when creating "'"$WORK"'/unknown.yaml": ExternalSecret in version "v1beta1" cannot be handled as a ExternalSecret: strict decoding error: unknown field "spec.bogus", unknown field "spec.target.extra"' \
    "$(kubectl apply -f "$WORK/unknown.yaml" 2>&1 || true)"
out=$(kubectl apply --validate=warn -f "$WORK/unknown.yaml" 2>&1)
expect_match "unknown fields, warn: warning" '^Warning: unknown field "spec.bogus"$' "$out"
expect_match "unknown fields, warn: created" '^externalsecret.external-secrets.io/unknown created$' "$out"
# The defaults are whatever the CRD declares for v1beta1.
defaults=$(/usr/bin/python3 - "$CRDS/externalsecrets.yaml" <<'PY'
import sys, yaml
crd = yaml.safe_load(open(sys.argv[1]))
spec = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
target = spec["target"]["properties"]
print(spec["refreshInterval"]["default"], target["creationPolicy"]["default"], target["deletionPolicy"]["default"])
PY
)
expect_eq "unknown fields are dropped, defaults filled in" "$defaults unknown-target" \
    "$(kubectl get es unknown -o jsonpath='{.spec.bogus}{.spec.refreshInterval} {.spec.target.creationPolicy} {.spec.target.deletionPolicy} {.spec.target.name}{.spec.target.extra}')"
