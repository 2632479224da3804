#!/usr/bin/env bash
# Everything from the files (the documentation's service principal Secret and store, and its
# ExternalSecret; nothing applied to the cluster): --dry-run writes nothing and shows keys and
# the data-hash, never values; --output json; --sink files:DIR, dotenv (sourced by bash), json
# (parsed); then Kubernetes, where the file-only ExternalSecret owns nothing.
#
# usage: sinks.sh ESX MOCK_AZURE MOCK_KUBE SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$@"
ES_FILE=$SRC/examples/seed/external-secret.yaml
envsubst '${AZURE_PORT}' <"$SRC/examples/seed/service-principal.yaml" >"$WORK/service-principal.yaml"
FILES=(-f "$WORK/service-principal.yaml" -f "$ES_FILE" -n service-principal)
VALUE="Hello from my-keyvault-name (sample value)"
KEYS='dev-another-secret-test, dev-cert-test, dev-key-test, dev-secret-test'
kube_requests() { sample_kube_log | /usr/bin/python3 -c 'import json,sys; l=json.load(sys.stdin); print(len(l["requests"] if isinstance(l, dict) else l))'; }

# --dry-run: computed, reported, not written.
writes=$(secret_writes)
run_esx sync "${FILES[@]}" --dry-run "${ESX_LOOPBACK[@]}"
expect_eq "dry run: exit 0" 0 "$RC"
expect_match "dry run: keys and data-hash" \
    "^service-principal/example-external-secret: would create Secret service-principal/secret-to-be-created \\(4 keys: $KEYS; data-hash [0-9a-f]{32,}\\)" "$OUT"
expect_no_match "dry run: no value printed" "$SECRET_MARKERS" "$OUT$ERR"
expect_eq "dry run: nothing written (mock log)" "$writes" "$(secret_writes)"
expect_match "dry run: the Secret does not exist" 'NotFound' \
    "$(kubectl get secret secret-to-be-created -n service-principal 2>&1 || true)"

run_esx sync "${FILES[@]}" --dry-run -o json "${ESX_LOOPBACK[@]}"
expect_eq "--output json: exit 0" 0 "$RC"
expect_eq "--output json: parsed" "True created secret-to-be-created 4 True 0" "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["results"][0]
print(d["dryRun"], r["status"], r["location"].split("/")[-1], len(r["keys"]), len(r["dataHash"]) >= 32, d["summary"]["failed"])')"
expect_no_match "--output json: no value" "$SECRET_MARKERS" "$OUT"

# --sink files:DIR: DIR/<namespace>/<name>/<key>, mode 0600, through the ..data link; no cluster write.
writes=$(secret_writes)
run_esx sync "${FILES[@]}" --sink "files:$WORK/secrets" "${ESX_LOOPBACK[@]}"
dir=$WORK/secrets/service-principal/secret-to-be-created
expect_eq "files: exit 0" 0 "$RC"
expect_match "files: result line" "^service-principal/example-external-secret: created $dir" "$OUT"
expect_no_match "files: no value printed" "$SECRET_MARKERS" "$OUT$ERR"
expect_eq "files: dev-secret-test" "$VALUE" "$(cat "$dir/dev-secret-test")"
expect_eq "files: mode 0600" "600" "$(stat -L -c %a "$dir/dev-secret-test")"
expect_match "files: keys link into ..data" '^\.\.data/dev-secret-test$' "$(readlink "$dir/dev-secret-test")"
expect_match "files: the certificate as DER" 'dev-cert-test.example.com' \
    "$(openssl x509 -inform DER -in "$dir/dev-cert-test" -noout -subject 2>&1)"
expect_eq "files: nothing written to the cluster" "$writes" "$(secret_writes)"
run_esx sync "${FILES[@]}" --sink "files:$WORK/secrets" "${ESX_LOOPBACK[@]}"
expect_match "files: a second run is unchanged" "^service-principal/example-external-secret: unchanged " "$OUT"

# --sink dotenv: stdout is the dotenv (sourced by bash), the result line goes to stderr. A
# certificate's DER holds NUL bytes, which no shell variable can carry: refused, naming the key.
run_esx sync "${FILES[@]}" --sink dotenv "${ESX_LOOPBACK[@]}"
expect_eq "dotenv with the certificate: exit 1" 1 "$RC"
expect_match "dotenv with the certificate: the key is named" \
    '^service-principal/example-external-secret: failed: .*dev-cert-test.*NUL' "$ERR"
expect_eq "dotenv with the certificate: nothing printed" "" "$OUT"
sed '/- secretKey: dev-cert-test/,/key: cert\/dev-cert-test/d' "$ES_FILE" >"$WORK/no-cert.yaml"
run_esx sync -f "$WORK/service-principal.yaml" -f "$WORK/no-cert.yaml" -n service-principal --sink dotenv \
    "${ESX_LOOPBACK[@]}"
expect_eq "dotenv: exit 0" 0 "$RC"
expect_match "dotenv: the result line on stderr" '^service-principal/example-external-secret: created ' "$ERR"
printf '%s\n' "$OUT" >"$WORK/env"
expect_eq "dotenv: sourced by bash" "$VALUE|$VALUE" \
    "$(bash -c 'set -a; . "$1"; set +a; printf "%s|%s" "$dev_secret_test" "$dev_another_secret_test"' _ "$WORK/env")"
expect_eq "dotenv: the JWK survives quoting" "RSA" \
    "$(bash -c 'set -a; . "$1"; printf "%s" "$dev_key_test"' _ "$WORK/env" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["kty"])')"

# --sink json: a v1 List of the Secrets, data in base64; and json:FILE.
run_esx sync "${FILES[@]}" --sink json "${ESX_LOOPBACK[@]}"
expect_eq "json: exit 0" 0 "$RC"
expect_eq "json: a v1 List of one Secret" "List Secret secret-to-be-created $VALUE" "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import base64, json, sys
d = json.load(sys.stdin)
s = d["items"][0]
print(d["kind"], s["kind"], s["metadata"]["name"], base64.b64decode(s["data"]["dev-secret-test"]).decode())')"
run_esx sync "${FILES[@]}" --sink "json:$WORK/list.json" "${ESX_LOOPBACK[@]}"
expect_eq "json:FILE: exit 0, stdout has the result line" "0 1" "$RC $(printf '%s\n' "$OUT" | grep -c 'created')"
expect_eq "json:FILE: written" "1" "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["items"]))' "$WORK/list.json")"

# Kubernetes, all from the files: the ExternalSecret is not in the cluster, so no ownerReference.
run_esx sync "${FILES[@]}" "${ESX_LOOPBACK[@]}"
expect_eq "kube from files: exit 0" 0 "$RC"
expect_match "kube from files: no ownerReference, said in the line" \
    '^service-principal/example-external-secret: created Secret service-principal/secret-to-be-created \(4 keys\) \[no ownerReference: the ExternalSecret is not in the cluster\]$' "$OUT"
expect_eq "kube from files: read back with kubectl" "$VALUE" \
    "$(kubectl get secret secret-to-be-created -n service-principal -o jsonpath='{.data.dev-secret-test}' | base64 -d)"
expect_eq "kube from files: no ownerReference" "" \
    "$(kubectl get secret secret-to-be-created -n service-principal -o jsonpath='{.metadata.ownerReferences}')"

# Many ExternalSecrets: a progress line on a terminal (stderr), none when stderr is not one.
for i in $(seq 1 25); do
    sed -e "s/name: example-external-secret/name: many-$i/" -e "s/name: secret-to-be-created/name: many-secret-$i/" "$ES_FILE"
    echo ---
done >"$WORK/many.yaml"
MANY=(sync -f "$WORK/service-principal.yaml" -f "$WORK/many.yaml" -n service-principal --sink "json:$WORK/many.json"
      "${ESX_LOOPBACK[@]}")
run_esx "${MANY[@]}"
expect_eq "many, not a terminal: exit 0, no progress line" "0 0" "$RC $(printf '%s' "$ERR" | grep -c 'esx sync: ')"
expect_match "many: a summary line" '^25 ExternalSecrets: 25 synced, 0 failed$' "$OUT"
script -qec "$(printf '%q ' "$ESX" "${MANY[@]}")" /dev/null >"$WORK/tty" 2>&1 || true
expect_match "many, on a terminal: a progress line" 'esx sync: 25/25 ExternalSecrets \(100%\)' "$(cat "$WORK/tty")"
