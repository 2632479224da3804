#!/bin/bash
# Fidelity: the installed kubectl (dispatcher -> kubectl 1.31 because the mock
# reports minor 31) against esx-mock-kube: get as a table, -o yaml, -o
# jsonpath, create secret generic, label, annotate, patch (strategic, merge,
# json), replace with a stale resourceVersion, the Status errors, delete.
#
# usage: kubectl_basics.sh ESX_MOCK_KUBE
. "$(dirname "$0")/lib.sh" "$1"

expect_match "kubectl runs the 1.31 client" 'Server Version: v1\.31\.0' "$(kubectl version 2>&1)"
control DELETE /requests >/dev/null
kubectl get secrets >/dev/null 2>&1
expect_eq "aggregated discovery: kubectl needs /api and /apis only" "GET /version,GET /api,GET /apis,GET /api/v1/namespaces/default/secrets," \
    "$(control GET /requests | /usr/bin/python3 -c 'import json,sys; print("".join(r["method"] + " " + r["path"] + "," for r in json.load(sys.stdin)))')"
expect_eq "auth can-i (SelfSubjectAccessReview)" "yes" "$(kubectl auth can-i delete secrets 2>&1)"
expect_match "get ns (table)" '^default +Active +[0-9]+s' "$(kubectl get ns 2>&1 | grep ^default)"

expect_eq "create secret generic" "secret/gen created" "$(kubectl create secret generic gen --from-literal=a=b --from-literal=c=d 2>&1)"
expect_match "get secrets (table with Type and Data)" '^gen +Opaque +2 +[0-9]+s$' "$(kubectl get secrets 2>&1 | grep ^gen)"
expect_match "table header" '^NAME +TYPE +DATA +AGE$' "$(kubectl get secrets 2>&1 | head -1)"
yaml=$(kubectl get secret gen -o yaml 2>&1)
expect_match "-o yaml has data" '^  a: Yg==$' "$yaml"
expect_match "-o yaml defaults type" '^type: Opaque$' "$yaml"
expect_match "-o yaml has uid" '^  uid: [0-9a-f-]{36}$' "$yaml"
expect_eq "-o jsonpath" "Yg== Opaque" "$(kubectl get secret gen -o jsonpath='{.data.a} {.type}' 2>&1)"

expect_eq "label" "secret/gen labeled" "$(kubectl label secret gen tier=backend 2>&1)"
expect_eq "annotate" "secret/gen annotated" "$(kubectl annotate secret gen owner=esx 2>&1)"
expect_match "get -l ... --show-labels" '^gen .* tier=backend$' "$(kubectl get secrets -l tier=backend --show-labels 2>&1 | grep ^gen)"
expect_eq "label selector excludes" "No resources found in default namespace." "$(kubectl get secrets -l tier=frontend 2>&1)"
expect_eq "annotation stored" "esx" "$(kubectl get secret gen -o jsonpath='{.metadata.annotations.owner}')"

expect_eq "patch (strategic, default)" "secret/gen patched" "$(kubectl patch secret gen -p '{"stringData":{"e":"f"}}' 2>&1)"
expect_eq "stringData folded into data" "Zg==" "$(kubectl get secret gen -o jsonpath='{.data.e}')"
expect_eq "patch --type=json" "secret/gen patched" "$(kubectl patch secret gen --type=json -p '[{"op":"remove","path":"/data/e"}]' 2>&1)"
expect_eq "patch --type=merge" "secret/gen patched" "$(kubectl patch secret gen --type=merge -p '{"metadata":{"labels":{"tier":null}}}' 2>&1)"
expect_eq "merge patch removed the label" "" "$(kubectl get secret gen -o jsonpath='{.metadata.labels.tier}')"

out=$(kubectl patch secret gen --type=merge -p '{"type":"kubernetes.io/tls"}' 2>&1 || true)
expect_match "type is immutable (422 rendered by kubectl)" 'type: Invalid value: "kubernetes.io/tls": field is immutable' "$out"
out=$(kubectl create secret generic gen --from-literal=a=b 2>&1 || true)
expect_eq "AlreadyExists" 'error: failed to create secret secrets "gen" already exists' "$out"

kubectl get secret gen -o json > "$WORK/gen.json"
kubectl label secret gen bump=1 >/dev/null
out=$(kubectl replace -f "$WORK/gen.json" 2>&1 || true)
expect_match "replace with a stale resourceVersion -> Conflict" 'Error from server \(Conflict\): error when replacing .*Operation cannot be fulfilled on secrets "gen": the object has been modified; please apply your changes to the latest version and try again' "$out"

expect_eq "create configmap" "configmap/cm created" "$(kubectl create configmap cm --from-literal=k=v 2>&1)"
expect_match "get cm (table)" '^cm +1 +[0-9]+s$' "$(kubectl get cm 2>&1 | grep ^cm)"
expect_eq "create namespace" "namespace/team-a created" "$(kubectl create namespace team-a 2>&1)"
expect_eq "create sa" "serviceaccount/robot created" "$(kubectl -n team-a create serviceaccount robot 2>&1)"
expect_match "create token (TokenRequest)" '^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$(kubectl -n team-a create token robot --duration=10m 2>&1)"
expect_match "get all namespaces" '^team-a +robot ' "$(kubectl get sa -A 2>&1 | grep robot)"

expect_eq "delete" 'secret "gen" deleted' "$(kubectl delete secret gen 2>&1)"
expect_eq "get after delete -> NotFound" 'Error from server (NotFound): secrets "gen" not found' "$(kubectl get secret gen 2>&1 || true)"
expect_eq "missing namespace -> NotFound" 'Error from server (NotFound): namespaces "nope" not found' "$(kubectl -n nope get secret x 2>&1 || true)"
expect_eq "delete namespace" 'namespace "team-a" deleted' "$(kubectl delete namespace team-a 2>&1)"
expect_eq "namespace contents went with it" "" "$(kubectl get sa -A -o jsonpath='{.items[?(@.metadata.namespace=="team-a")].metadata.name}' 2>&1)"

# Without credentials kubectl gets a real 401.
kubectl config view --raw -o json | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); c["users"][0]["user"]["token"]="wrong"; print(json.dumps(c))' > "$WORK/bad.kubeconfig"
expect_match "bad token -> 401" 'You must be logged in to the server' "$(KUBECONFIG=$WORK/bad.kubeconfig kubectl get secrets 2>&1 || true)"
