#!/usr/bin/env bash
# `esx validate` prints every problem of a bad file with its file, line and JSON path and exits 2;
# in `esx sync` a bad document fails only itself (the good ones are synced, exit 2), and a sync
# that fails (an object the vault lacks) fails only its ExternalSecret (exit 1).
#
# usage: invalid_documents.sh ESX MOCK_AZURE MOCK_KUBE SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$@"
BAD=$SRC/tests/cli/data/invalid.yaml
ES_FILE=$SRC/examples/seed/external-secret.yaml
envsubst '${AZURE_PORT}' <"$SRC/examples/seed/service-principal.yaml" >"$WORK/service-principal.yaml"

run_esx validate -f "$BAD"
expect_eq "validate: exit 2" 2 "$RC"
for path in spec.provider.azurekv.customCloudConfig spec.provider.azurekv.authType spec.refreshInterval \
    spec.target.creationPolicy 'spec.data\[1\].secretKey' 'spec.data\[1\].remoteRef.key'; do
    expect_match "validate: $path" "invalid.yaml:[0-9]+: .*: $path: " "$OUT"
done
expect_match "validate: the summary" '^2 documents, 2 invalid \([0-9]+ problems\)$' "$OUT"
run_esx validate -f "$BAD" -o json
expect_eq "validate -o json: every problem, with paths" "False 2 True" "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
fields = {p["field"] for e in d["errors"] for p in e["problems"]}
print(d["valid"], len(d["errors"]), "spec.data[1].remoteRef.key" in fields)')"
run_esx validate -f "$WORK/service-principal.yaml" -f "$ES_FILE"
expect_eq "validate: good files exit 0" 0 "$RC"
run_esx validate -f "$WORK/does-not-exist.yaml"
expect_eq "validate: a missing file exits 2" 2 "$RC"
expect_match "validate: a missing file is named" 'does-not-exist.yaml' "$ERR"

# One bad document among good ones.
sed -e 's/name: example-external-secret/name: second-external-secret/' \
    -e 's/name: secret-to-be-created/name: second-secret/' "$ES_FILE" >"$WORK/second.yaml"
run_esx sync -f "$WORK/service-principal.yaml" -f "$ES_FILE" -f "$BAD" -f "$WORK/second.yaml" -n service-principal \
    "${ESX_LOOPBACK[@]}"
expect_eq "a bad document: exit 2" 2 "$RC"
expect_match "a bad document: the good ones synced" '^service-principal/example-external-secret: created ' "$OUT"
expect_match "a bad document: the good ones synced (2)" '^service-principal/second-external-secret: created ' "$OUT"
expect_match "a bad document: named, with its path" \
    '^ExternalSecret service-principal/broken-external-secret: invalid, not synced \(.*invalid.yaml:[0-9]+\): .*spec.data\[1\].remoteRef.key' "$OUT"
expect_match "a bad document: the summary" '^2 ExternalSecrets: 2 synced, 0 failed, 2 invalid documents not synced$' "$OUT"
expect_eq "a bad document: the good Secrets are there" "second-secret secret-to-be-created" \
    "$(kubectl get secrets -n service-principal -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | grep -v azure-secret-sp | sort | tr '\n' ' ' | sed 's/ $//')"

# A sync that fails fails only itself; the existing Secret stays byte-identical.
cat >"$WORK/missing.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: missing-object
spec:
  secretStoreRef: {kind: SecretStore, name: example-secret-store}
  target: {name: second-secret}
  data:
  - secretKey: gone
    remoteRef: {key: no-such-secret}
YAML
before=$(kubectl get secret second-secret -n service-principal -o jsonpath='{.metadata.resourceVersion} {.data}')
run_esx sync -f "$WORK/service-principal.yaml" -f "$WORK/missing.yaml" -f "$ES_FILE" -n service-principal "${ESX_LOOPBACK[@]}"
expect_eq "a failed sync: exit 1" 1 "$RC"
expect_match "a failed sync: names the entry" '^service-principal/missing-object: failed: .*spec.data\[0\]' "$OUT"
expect_match "a failed sync: the other one still ran" '^service-principal/example-external-secret: unchanged ' "$OUT"
expect_eq "a failed sync: the target is untouched" "$before" \
    "$(kubectl get secret second-secret -n service-principal -o jsonpath='{.metadata.resourceVersion} {.data}')"
expect_no_match "no secret value in any output" "$SECRET_MARKERS" "$OUT$ERR"
