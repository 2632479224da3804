#!/bin/bash
# Fidelity: esx's production CRDs (examples/controller/deploy/crds) applied with kubectl to the
# mock, client-side and server-side; then the seed's manifests and ESO's e2e stores and
# ExternalSecrets applied against them and read back with `kubectl get es,ss,css,ces`, through
# short names, both served versions, printer columns and the external-secrets category.
#
# usage: kubectl_crds.sh ESX_MOCK_KUBE CRD_DIR MANIFEST_DIR
. "$(dirname "$0")/lib.sh" "$1"
CRDS=$2
M=$3

out=$(kubectl apply -f "$CRDS" 2>&1)
for crd in externalsecrets secretstores clustersecretstores clusterexternalsecrets; do
    expect_match "apply (client-side): $crd" "customresourcedefinition.apiextensions.k8s.io/$crd.external-secrets.io created" "$out"
    expect_match "$crd Established" 'condition met' \
        "$(kubectl wait --for=condition=Established crd/$crd.external-secrets.io --timeout=20s 2>&1)"
done
expect_match "re-apply (client-side) is unchanged" 'externalsecrets.external-secrets.io unchanged' "$(kubectl apply -f "$CRDS" 2>&1)"
out=$(kubectl apply --server-side -f "$CRDS" 2>&1)
expect_match "apply --server-side" 'customresourcedefinition.apiextensions.k8s.io/clusterexternalsecrets.external-secrets.io serverside-applied' "$out"
expect_eq "v1 stored, v1beta1 served" "v1=true/true v1beta1=true/false" \
    "$(kubectl get crd externalsecrets.external-secrets.io -o jsonpath='{range .spec.versions[*]}{.name}={.served}/{.storage} {end}' | sed 's/ $//')"
# ESO 2.9 marks v1beta1 deprecated (and no longer serves it; esx still does, for the docs' manifests).
expect_eq "v1beta1 deprecated" "true" \
    "$(kubectl get crd externalsecrets.external-secrets.io -o jsonpath='{.spec.versions[?(@.name=="v1beta1")].deprecated}')"

res=$(kubectl api-resources --api-group=external-secrets.io 2>&1)
expect_match "api-resources: es" '^externalsecrets +es +external-secrets.io/v1 +true +ExternalSecret$' "$res"
expect_match "api-resources: ss" '^secretstores +ss +external-secrets.io/v1 +true +SecretStore$' "$res"
expect_match "api-resources: css" '^clustersecretstores +css +external-secrets.io/v1 +false +ClusterSecretStore$' "$res"
expect_match "api-resources: ces" '^clusterexternalsecrets +ces +external-secrets.io/v1 +false +ClusterExternalSecret$' "$res"

# The seed's manifests (v1beta1), client-side then server-side.
seed=(-f "$M/seed-service-principal-secret.yaml" -f "$M/seed-service-principal-store.yaml" -f "$M/seed-external-secret.yaml")
out=$(kubectl apply "${seed[@]}" 2>&1)
expect_match "seed: Secret" 'secret/azure-secret-sp created' "$out"
expect_match "seed: SecretStore" 'secretstore.external-secrets.io/example-secret-store created' "$out"
expect_match "seed: ExternalSecret" 'externalsecret.external-secrets.io/example-external-secret created' "$out"
# Client-side apply created the ExternalSecret with its schema defaults filled in, and
# kubectl-client-side-apply owns the atomic list spec.data with them; applying the same
# manifest (without the defaults) server-side changes that list, which a real API server
# reports as a conflict until the new manager takes the fields over (--force-conflicts).
expect_match "seed: server-side conflicts with client-side apply" \
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using external-secrets.io/v1beta1: .spec.data' \
    "$(kubectl apply --server-side "${seed[@]}" 2>&1 || true)"
expect_match "seed: server-side" 'externalsecret.external-secrets.io/example-external-secret serverside-applied' \
    "$(kubectl apply --server-side --force-conflicts "${seed[@]}" 2>&1)"
expect_eq "seed: read back as v1beta1" "external-secrets.io/v1beta1 secret/dev-secret-test" \
    "$(kubectl get externalsecrets.v1beta1.external-secrets.io example-external-secret -o jsonpath='{.apiVersion} {.spec.data[1].remoteRef.key}')"
expect_eq "seed: read back as v1" "external-secrets.io/v1 https://my-keyvault-name.vault.azure.net" \
    "$(kubectl get ss example-secret-store -o jsonpath='{.apiVersion} {.spec.provider.azurekv.vaultUrl}')"

# ESO's e2e stores and ExternalSecrets (v1, namespace eso-azure, ClusterSecretStores).
kubectl create namespace eso-azure >/dev/null
out=$(kubectl apply -f "$M/e2e-stores.yaml" 2>&1)
expect_match "e2e: ClusterSecretStore" 'clustersecretstore.external-secrets.io/referent-auth-eso-azure created' "$out"
expect_match "e2e: SecretStore" 'secretstore.external-secrets.io/eso-azure-new-sdk created' "$out"
# Two of the cases write `target: {name: ""}` (ESO's Go client omits the empty name); the CRD
# wants at least one character there, so the API server refuses them as written.
out=$(kubectl apply --server-side -f "$M/e2e-external-secrets.yaml" 2>&1 || true)
expect_eq "e2e: 20 ExternalSecrets as written" "20" "$(printf '%s\n' "$out" | grep -c 'serverside-applied')"
expect_match "e2e: an empty target name is refused" \
    'ExternalSecret.external-secrets.io "sync-without-target-name" is invalid: \[spec.target.name: Invalid value: "": spec.target.name in body should be at least 1 chars long' \
    "$out"
sed '/^ *name: ""$/d' "$M/e2e-external-secrets.yaml" > "$WORK/e2e-external-secrets.yaml"
out=$(kubectl apply --server-side -f "$WORK/e2e-external-secrets.yaml" 2>&1)
expect_eq "e2e: 22 ExternalSecrets without the empty names" "22" "$(printf '%s\n' "$out" | grep -c 'serverside-applied')"

# Read back: short names, printer columns, category.
out=$(kubectl get es,ss,css 2>&1)
expect_match "get es,ss,css: es" '^externalsecret.external-secrets.io/example-external-secret +SecretStore +example-secret-store +1h' "$out"
expect_match "get es,ss,css: ss" '^secretstore.external-secrets.io/example-secret-store ' "$out"
expect_match "get es,ss,css: css" '^clustersecretstore.external-secrets.io/referent-auth-eso-azure ' "$out"
expect_match "es columns" '^NAME +STORETYPE +STORE +REFRESH INTERVAL +STATUS +READY +LAST SYNC$' "$(kubectl get es 2>&1 | head -1)"
expect_match "ss columns" '^NAME +AGE +STATUS +CAPABILITIES +READY$' "$(kubectl get ss 2>&1 | head -1)"
expect_match "css columns" '^NAME +AGE +STATUS +CAPABILITIES +READY$' "$(kubectl get css 2>&1 | head -1)"
expect_eq "es in eso-azure" "22" "$(kubectl get es -n eso-azure --no-headers 2>&1 | wc -l | tr -d ' ')"
expect_match "category external-secrets" 'secretstore.external-secrets.io/eso-azure-new-sdk' "$(kubectl get external-secrets -n eso-azure 2>&1)"

# Status subresource: a status write shows in the Ready columns and leaves generation alone.
kubectl patch ss example-secret-store --subresource=status --type=merge \
    -p '{"status":{"capabilities":"ReadWrite","conditions":[{"type":"Ready","status":"True","reason":"Valid"}]}}' >/dev/null
expect_match "ss status columns" '^example-secret-store +[0-9smhd]+ +Valid +ReadWrite +True$' "$(kubectl get ss 2>&1 | tail -1)"
expect_eq "status write keeps generation" "1" "$(kubectl get ss example-secret-store -o jsonpath='{.metadata.generation}')"

# A ClusterExternalSecret, by its short name.
printf 'apiVersion: external-secrets.io/v1\nkind: ClusterExternalSecret\nmetadata: {name: shared}\nspec:\n  refreshTime: 1m\n  namespaces: [eso-azure]\n  externalSecretSpec:\n    secretStoreRef: {name: referent-auth-eso-azure, kind: ClusterSecretStore}\n    data: [{secretKey: token, remoteRef: {key: shared-token}}]\n' > "$WORK/ces.yaml"
expect_eq "ces apply" "clusterexternalsecret.external-secrets.io/shared created" "$(kubectl apply -f "$WORK/ces.yaml" 2>&1)"
expect_match "ces columns" '^shared +referent-auth-eso-azure +1m' "$(kubectl get ces 2>&1 | tail -1)"
