#!/usr/bin/env bash
# The provider documentation's flow with each auth type, as scripts/demo-cli runs it: the
# documentation's manifests (examples/seed/) applied with kubectl, `esx sync -f
# external-secret.yaml` with the stores, credentials and ServiceAccounts read from the cluster,
# and the Secret read back with kubectl: values, the key's JWK, the certificate's DER, the
# ownerReference of an ExternalSecret that is in the cluster, and none for one that is not.
#
# usage: seed_flow.sh ESX MOCK_AZURE MOCK_KUBE SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$@"
ES_FILE=$SRC/examples/seed/external-secret.yaml

kubectl apply -f "$SRC/examples/controller/deploy/crds" >/dev/null
for ns in service-principal managed-identity workload-identity workload-identity-mounted; do apply_seed "$ns"; done
kubectl create token workload-identity-sa -n workload-identity-mounted --audience api://AzureADTokenExchange \
    >"$WORK/azure-identity-token"

# A namespaced ManagedIdentity store uses the controller's own identity: refused unless asked
# for, by a message that names the switch; refused before anything is read or written.
writes=$(secret_writes)
run_esx sync -f "$ES_FILE" -n managed-identity "${ESX_LOOPBACK[@]}"
expect_eq "managed identity without the switch: exit 1" 1 "$RC"
expect_match "the refusal names --allow-controller-identity" 'allow-controller-identity' "$OUT"
expect_eq "the refusal writes nothing" "$writes" "$(secret_writes)"

declare -A value=([service-principal]="Hello from my-keyvault-name (sample value)"
                  [managed-identity]="Hello from my-keyvault-name (sample value)"
                  [workload-identity]="Hello from xx-xxxx-xx (sample value)"
                  [workload-identity-mounted]="Hello from xx-xxxx-xx (sample value)")
declare -A kty=([service-principal]=RSA [managed-identity]=RSA [workload-identity]=EC [workload-identity-mounted]=EC)

sync_seed() { # NS: the documentation's ExternalSecret in NS, as scripts/demo-cli runs it
    case $1 in
    managed-identity) run_esx sync -f "$ES_FILE" -n "$1" --allow-controller-identity "${ESX_LOOPBACK[@]}" ;;
    workload-identity-mounted)
        AZURE_CLIENT_ID=7d8cdf74-xxxx-xxxx-xxxx-274d963d358b AZURE_TENANT_ID=5a02a20e-xxxx-xxxx-xxxx-0ad5b634c5d8 \
            AZURE_FEDERATED_TOKEN_FILE=$WORK/azure-identity-token \
            run_esx sync -f "$ES_FILE" -n "$1" --allow-controller-identity "${ESX_LOOPBACK[@]}" ;;
    *) run_esx sync -f "$ES_FILE" -n "$1" "${ESX_LOOPBACK[@]}" ;;
    esac
}
data_of() { kubectl get secret secret-to-be-created -n "$1" -o jsonpath="{.data.$2}" | base64 -d; }

for ns in service-principal managed-identity workload-identity workload-identity-mounted; do
    writes=$(secret_writes)
    sync_seed "$ns"
    expect_eq "$ns: exit 0" 0 "$RC"
    # secret_writes counts Secrets only (a /secretstores write would not count): one create.
    expect_eq "$ns: the first run writes the Secret once" "$((writes + 1))" "$(secret_writes)"
    expect_match "$ns: one result line" \
        "^$ns/example-external-secret: created Secret $ns/secret-to-be-created \\(4 keys\\)\$" "$OUT"
    expect_no_match "$ns: no secret value in the output" "$SECRET_MARKERS" "$OUT$ERR"
    expect_eq "$ns: dev-secret-test" "${value[$ns]}" "$(data_of "$ns" dev-secret-test)"
    expect_eq "$ns: dev-another-secret-test (secret/ prefix)" "${value[$ns]}" "$(data_of "$ns" dev-another-secret-test)"
    expect_eq "$ns: dev-key-test is the public JWK" "${kty[$ns]} no-private-part" "$(data_of "$ns" dev-key-test |
        /usr/bin/python3 -c 'import json,sys; k=json.load(sys.stdin); print(k["kty"], "d" in k and "private" or "no-private-part")')"
    expect_match "$ns: dev-cert-test is the certificate's DER" 'CN *= *dev-cert-test.example.com' \
        "$(data_of "$ns" dev-cert-test | openssl x509 -inform DER -noout -subject 2>&1)"
    uid=$(kubectl get externalsecret example-external-secret -n "$ns" -o jsonpath='{.metadata.uid}')
    expect_eq "$ns: owned by the ExternalSecret in the cluster" "ExternalSecret/example-external-secret/$uid/true" \
        "$(kubectl get secret secret-to-be-created -n "$ns" \
            -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}/{.metadata.ownerReferences[0].controller}')"
    expect_eq "$ns: ESO's managed label" "true" \
        "$(kubectl get secret secret-to-be-created -n "$ns" -o jsonpath='{.metadata.labels.reconcile\.external-secrets\.io/managed}')"

    writes=$(secret_writes)
    sync_seed "$ns"
    expect_match "$ns: a second run is unchanged" "^$ns/example-external-secret: unchanged Secret " "$OUT"
    expect_eq "$ns: a second run writes nothing" "$writes" "$(secret_writes)"
done

# ESO's orphan clean-up: after target.name changes, the Secret it created before is deleted.
sed 's/name: secret-to-be-created/name: renamed-secret/' "$ES_FILE" >"$WORK/renamed.yaml"
run_esx sync -f "$WORK/renamed.yaml" -n service-principal --dry-run "${ESX_LOOPBACK[@]}"
expect_match "renamed target, dry run: would delete the orphan" \
    '^service-principal/example-external-secret: would delete orphaned Secret service-principal/secret-to-be-created \(the target is now renamed-secret\)$' "$OUT"
run_esx sync -f "$WORK/renamed.yaml" -n service-principal "${ESX_LOOPBACK[@]}"
expect_eq "renamed target: exit 0" 0 "$RC"
expect_match "renamed target: the new Secret" \
    '^service-principal/example-external-secret: created Secret service-principal/renamed-secret ' "$OUT"
expect_match "renamed target: the orphan deleted, said in a line" \
    '^service-principal/example-external-secret: deleted orphaned Secret service-principal/secret-to-be-created \(the target is now renamed-secret\)$' "$OUT"
expect_match "renamed target: the old Secret is gone" 'NotFound' \
    "$(kubectl get secret secret-to-be-created -n service-principal 2>&1 || true)"

# The same ExternalSecret under a name the cluster does not know: no UID to own the Secret.
sed -e 's/name: example-external-secret/name: file-only-external-secret/' \
    -e 's/name: secret-to-be-created/name: file-only-secret/' "$ES_FILE" >"$WORK/file-only.yaml"
run_esx sync -f "$WORK/file-only.yaml" -n service-principal "${ESX_LOOPBACK[@]}"
expect_eq "file-only ExternalSecret: exit 0" 0 "$RC"
expect_match "file-only ExternalSecret: the line says there is no ownerReference" \
    '^service-principal/file-only-external-secret: created Secret service-principal/file-only-secret \(4 keys\) \[no ownerReference' "$OUT"
expect_eq "file-only ExternalSecret: the Secret has no ownerReference" "" \
    "$(kubectl get secret file-only-secret -n service-principal -o jsonpath='{.metadata.ownerReferences}')"

# Reads are shared and tokens cached within a run: the four entries name three objects.
sample_azure_log >"$WORK/azure-log.json"
expect_eq "the last run read each of its 3 objects once" "3" "$(/usr/bin/python3 - "$WORK/azure-log.json" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))["requests"]
tail = []
for r in reversed(log):          # the last run: back to its token request
    tail.append(r)
    if r["service"] == "aad" and r["path"].endswith("/oauth2/v2.0/token"):
        break
print(sum(1 for r in tail if r["service"] == "vault" and r["method"] == "GET" and r["status"] == 200))
PY
)"
