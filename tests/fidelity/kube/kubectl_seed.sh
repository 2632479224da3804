#!/bin/bash
# Fidelity: the seed example of mocks/kube/README.md (seed.example.json) loads,
# its objects are served to kubectl (a seeded CRD, a Ready ExternalSecret), and
# its RBAC rules give a restricted user real 403s.
#
# usage: kubectl_seed.sh ESX_MOCK_KUBE SEED_JSON
. "$(dirname "$0")/lib.sh" "$1" --seed "$2"

expect_match "seeded namespace" '^team-a +Active' "$(kubectl get ns team-a 2>&1 | tail -1)"
expect_eq "seeded Secret (stringData folded)" "$(printf my-client-id | base64)" "$(kubectl -n team-a get secret azure-secret-sp -o jsonpath='{.data.ClientID}')"
expect_eq "seeded CR with status" "True 1" "$(kubectl -n team-a get es es1 -o jsonpath='{.status.conditions[0].status} {.metadata.generation}')"
expect_match "seeded CRD served as v1beta1" 'external-secrets.io/v1beta1' "$(kubectl -n team-a get externalsecrets.v1beta1.external-secrets.io es1 -o jsonpath='{.apiVersion}')"
kubectl -n team-a wait --for=condition=Ready es/es1 --timeout=20s >/dev/null 2>&1 && ok "wait on a seeded Ready condition" || fail "wait on a seeded Ready condition"

# The restricted user from the seed.
kubectl config set-credentials tenant-a --token=tenant-a-token >/dev/null
kubectl config set-context tenant-a --cluster=esx-mock --user=tenant-a --namespace=team-a >/dev/null
expect_match "tenant-a may list secrets in team-a" 'azure-secret-sp' "$(kubectl --context=tenant-a get secrets 2>&1)"
expect_eq "tenant-a may not read default" 'Error from server (Forbidden): secrets is forbidden: User "tenant-a" cannot list resource "secrets" in API group "" in the namespace "default"' "$(kubectl --context=tenant-a -n default get secrets 2>&1 || true)"
expect_match "tenant-a may not create secrets" 'secrets is forbidden: User "tenant-a" cannot create resource "secrets" in API group "" in the namespace "team-a"' "$(kubectl --context=tenant-a create secret generic x --from-literal=a=b 2>&1 || true)"
expect_match "tenant-a may patch ExternalSecret status" 'patched' "$(kubectl --context=tenant-a patch es es1 --subresource=status --type=merge -p '{"status":{"refreshTime":"2026-01-01T00:00:00Z"}}' 2>&1)"
expect_eq "auth can-i: tenant-a may list secrets in team-a" "yes" "$(kubectl --context=tenant-a auth can-i list secrets 2>&1)"
expect_eq "auth can-i: tenant-a may not create secrets" "no" "$(kubectl --context=tenant-a auth can-i create secrets 2>&1 || true)"
