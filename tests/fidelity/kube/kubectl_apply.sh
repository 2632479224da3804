#!/bin/bash
# Fidelity: kubectl apply (client-side with server-side field validation via
# the OpenAPI v3 stubs, and --server-side) of ESO-shaped CRDs and of the
# manifests in shared/seed/azure-key-vault-provider.md; CRD-driven discovery,
# printer columns, the status subresource, kubectl wait, and delete with
# cascade (garbage collection of ownerReferences).
#
# usage: kubectl_apply.sh ESX_MOCK_KUBE MANIFEST_DIR
. "$(dirname "$0")/lib.sh" "$1"
M=$2

out=$(kubectl apply -f "$M/eso-crds.yaml" 2>&1)
expect_match "apply CRDs" 'customresourcedefinition.apiextensions.k8s.io/externalsecrets.external-secrets.io created' "$out"
expect_match "wait Established" 'condition met' "$(kubectl wait --for=condition=Established crd/externalsecrets.external-secrets.io --timeout=20s 2>&1)"
expect_match "api-resources shows the CRD" '^externalsecrets +es +external-secrets.io/v1 +true +ExternalSecret$' "$(kubectl api-resources 2>&1 | grep ^externalsecrets)"

out=$(kubectl apply -f "$M/provider-manifests.yaml" 2>&1)
expect_match "apply manifests (client-side): Secret" 'secret/azure-secret-sp created' "$out"
expect_match "apply manifests (client-side): SecretStore v1beta1" 'secretstore.external-secrets.io/example-secret-store created' "$out"
expect_match "apply manifests (client-side): ExternalSecret v1beta1" 'externalsecret.external-secrets.io/example-external-secret created' "$out"
expect_match "re-apply is unchanged" 'externalsecret.external-secrets.io/example-external-secret unchanged' "$(kubectl apply -f "$M/provider-manifests.yaml" 2>&1)"
expect_match "last-applied annotation" 'example-external-secret' "$(kubectl get es example-external-secret -o jsonpath='{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}')"
expect_match "apply --server-side" 'externalsecret.external-secrets.io/example-external-secret serverside-applied' "$(kubectl apply --server-side -f "$M/provider-manifests.yaml" 2>&1)"
expect_match "managedFields record the manager" 'kubectl' "$(kubectl get es example-external-secret --show-managed-fields -o jsonpath='{.metadata.managedFields[*].manager}')"

expect_match "printer columns (table)" '^NAME +STORE +REFRESH INTERVAL +STATUS +READY$' "$(kubectl get es 2>&1 | head -1)"
expect_match "printer column values" '^example-external-secret +example-secret-store +1h' "$(kubectl get es 2>&1 | tail -1)"
expect_eq "served as v1 too" "external-secrets.io/v1" "$(kubectl get externalsecrets.v1.external-secrets.io example-external-secret -o jsonpath='{.apiVersion}')"
expect_eq "generation 1" "1" "$(kubectl get es example-external-secret -o jsonpath='{.metadata.generation}')"

# kubectl wait watches; the status write arrives while it waits.
kubectl wait --for=condition=Ready es/example-external-secret --timeout=30s -v=6 > "$WORK/wait.out" 2> "$WORK/wait.err" &
WAIT_PID=$!
wait_for_line "$WORK/wait.err" 'watch=true.* 200 OK' "kubectl wait's watch"
expect_eq "patch --subresource=status" "externalsecret.external-secrets.io/example-external-secret patched" \
    "$(kubectl patch es example-external-secret --subresource=status --type=merge -p '{"status":{"conditions":[{"type":"Ready","status":"True","reason":"SecretSynced"}]}}' 2>&1)"
wrc=0
wait $WAIT_PID || wrc=$?
expect_eq "wait --for=condition=Ready" "externalsecret.external-secrets.io/example-external-secret condition met (rc 0)" "$(cat "$WORK/wait.out") (rc $wrc)"
expect_eq "status write leaves generation" "1" "$(kubectl get es example-external-secret -o jsonpath='{.metadata.generation}')"
expect_match "Ready column" 'SecretSynced +True$' "$(kubectl get es 2>&1 | tail -1)"
kubectl patch es example-external-secret --type=merge -p '{"spec":{"refreshInterval":"5m"},"status":{"conditions":[]}}' >/dev/null
expect_eq "spec write bumps generation, keeps status" "2 SecretSynced" "$(kubectl get es example-external-secret -o jsonpath='{.metadata.generation} {.status.conditions[0].reason}')"

# creationPolicy: Owner — the target Secret is owned by the ExternalSecret.
owner_uid=$(kubectl get es example-external-secret -o jsonpath='{.metadata.uid}')
for n in owned-1 owned-2; do
    kubectl create secret generic $n --from-literal=k=v >/dev/null
    kubectl patch secret $n --type=merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"external-secrets.io/v1\",\"kind\":\"ExternalSecret\",\"name\":\"example-external-secret\",\"uid\":\"$owner_uid\",\"controller\":true,\"blockOwnerDeletion\":true}]}}" >/dev/null
done
kubectl create configmap keeper --from-literal=k=v >/dev/null
store_uid=$(kubectl get secretstore example-secret-store -o jsonpath='{.metadata.uid}')
kubectl patch configmap keeper --type=merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"external-secrets.io/v1\",\"kind\":\"SecretStore\",\"name\":\"example-secret-store\",\"uid\":\"$store_uid\"}]}}" >/dev/null

expect_eq "delete (background cascade)" 'externalsecret.external-secrets.io "example-external-secret" deleted' "$(kubectl delete es example-external-secret 2>&1)"
expect_eq "owned Secrets collected" "azure-secret-sp" "$(kubectl get secrets -o jsonpath='{.items[*].metadata.name}')"
expect_eq "delete --cascade=orphan" 'secretstore.external-secrets.io "example-secret-store" deleted' "$(kubectl delete secretstore example-secret-store --cascade=orphan 2>&1)"
expect_eq "orphaned dependent kept without its ownerReference" "keeper:" "$(kubectl get configmap keeper -o jsonpath='{.metadata.name}:{.metadata.ownerReferences}')"

# Finalizers: delete only marks the object until the finalizer is removed.
kubectl apply -f "$M/provider-manifests.yaml" >/dev/null
kubectl patch es example-external-secret --type=merge -p '{"metadata":{"finalizers":["esx.io/cleanup"]}}' >/dev/null
kubectl delete es example-external-secret --wait=false >/dev/null
expect_match "finalizer keeps the object with a deletionTimestamp" '^[0-9TZ:-]+$' "$(kubectl get es example-external-secret -o jsonpath='{.metadata.deletionTimestamp}')"
kubectl patch es example-external-secret --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
expect_match "removing the finalizer completes the delete" 'NotFound' "$(kubectl get es example-external-secret 2>&1 || true)"

# Server-side apply ownership: another manager's change conflicts unless forced.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "1", b: "2"}\n' > "$WORK/ssa1.yaml"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {a: "9", b: "2"}\n' > "$WORK/ssa2.yaml"
expect_eq "SSA create" "configmap/ssa serverside-applied" "$(kubectl apply --server-side -f "$WORK/ssa1.yaml" 2>&1)"
expect_match "SSA conflict with another manager" '^error: Apply failed with 1 conflict: conflict with "kubectl" using v1: \.data\.a$' "$(kubectl apply --server-side --field-manager=other -f "$WORK/ssa2.yaml" 2>&1 | head -1 || true)"
expect_eq "SSA --force-conflicts" "configmap/ssa serverside-applied" "$(kubectl apply --server-side --field-manager=other --force-conflicts -f "$WORK/ssa2.yaml" 2>&1)"
expect_eq "forced value and ownership" '9 kubectl other' "$(kubectl get cm ssa -o jsonpath='{.data.a} {.metadata.managedFields[*].manager}' --show-managed-fields)"

# Non-apply writers own what they set ("Update" managers); apply conflicts with them too.
kubectl create configmap upd --from-literal=a=1 >/dev/null
expect_eq "create records an Update manager" "kubectl-create:Update" "$(kubectl get cm upd --show-managed-fields -o jsonpath='{.metadata.managedFields[0].manager}:{.metadata.managedFields[0].operation}')"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: upd}\ndata: {a: "2"}\n' > "$WORK/upd.yaml"
expect_match "SSA conflicts with an Update manager" '^error: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: \.data\.a$' "$(kubectl apply --server-side -f "$WORK/upd.yaml" 2>&1 | head -1 || true)"
expect_eq "SSA --force-conflicts takes it over" "configmap/upd serverside-applied 2" "$(kubectl apply --server-side --force-conflicts -f "$WORK/upd.yaml" 2>&1) $(kubectl get cm upd -o jsonpath='{.data.a}')"

# Foreground cascade: dependents go first, then the owner.
kubectl create secret generic fg --from-literal=a=b >/dev/null
ssa_uid=$(kubectl get cm ssa -o jsonpath='{.metadata.uid}')
kubectl patch secret fg --type=merge -p "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"ssa\",\"uid\":\"$ssa_uid\",\"blockOwnerDeletion\":true}]}}" >/dev/null
expect_eq "delete --cascade=foreground" 'configmap "ssa" deleted' "$(kubectl delete cm ssa --cascade=foreground 2>&1)"
expect_match "foreground dependent collected" 'NotFound' "$(kubectl get secret fg 2>&1 || true)"

expect_eq "delete CRD" 'customresourcedefinition.apiextensions.k8s.io "externalsecrets.external-secrets.io" deleted' "$(kubectl delete crd externalsecrets.external-secrets.io 2>&1)"
expect_match "resource gone from discovery" "doesn't have a resource type|the server doesn't have" "$(kubectl get externalsecrets.external-secrets.io 2>&1 || true)"
