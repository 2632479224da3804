#!/bin/bash
# Fidelity: names and selectors as kube-apiserver checks and applies them, through kubectl
# against esx-mock-kube:
# - Secrets, ConfigMaps and custom resources take DNS subdomain names up to 253 characters
#   (no 63-character limit per dot-separated part); namespaces keep DNS labels (63); label
#   values keep 63;
# - set-based label selectors (in, notin, exists, !exists) and field selectors on
#   metadata.name / metadata.namespace, on list and on watch.
#
# usage: kubectl_names_and_selectors.sh ESX_MOCK_KUBE CRD_DIR
. "$(dirname "$0")/lib.sh" "$1"
CRDS=$2

long() { printf "$1%.0s" $(seq 1 "$2"); }

# ----- names
expect_eq "Secret named with 253 characters" "secret/$(long s 253) created" \
    "$(kubectl create secret generic "$(long s 253)" --from-literal=a=b 2>&1)"
expect_eq "ConfigMap named with 200 characters and dots" "configmap/$(long c 100).$(long d 99) created" \
    "$(kubectl create configmap "$(long c 100).$(long d 99)" --from-literal=a=b 2>&1)"
expect_match "Secret named with 254 characters" \
    "Secret \"$(long s 254)\" is invalid: metadata.name: Invalid value: \"$(long s 254)\": must be no more than 253 characters$" \
    "$(kubectl create secret generic "$(long s 254)" --from-literal=a=b 2>&1 || true)"
expect_match "Secret named with an upper-case letter" \
    "metadata.name: Invalid value: \"Upper\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters" \
    "$(kubectl create secret generic Upper --from-literal=a=b 2>&1 || true)"
kubectl apply -f "$CRDS" >/dev/null
kubectl wait --for=condition=Established crd/secretstores.external-secrets.io --timeout=20s >/dev/null
printf 'apiVersion: external-secrets.io/v1\nkind: SecretStore\nmetadata: {name: %s}\nspec:\n  provider:\n    azurekv: {vaultUrl: "https://v.vault.azure.net"}\n' \
    "$(long r 120)" > "$WORK/store.yaml"
expect_eq "custom resource named with 120 characters" "secretstore.external-secrets.io/$(long r 120) created" \
    "$(kubectl apply -f "$WORK/store.yaml" 2>&1)"
expect_eq "namespace named with 63 characters" "namespace/$(long n 63) created" "$(kubectl create namespace "$(long n 63)" 2>&1)"
expect_match "namespace named with 64 characters" \
    "^\* metadata.name: Invalid value: \"$(long n 64)\": must be no more than 63 characters$" \
    "$(kubectl create namespace "$(long n 64)" 2>&1 || true)"
# kubectl checks label values itself on `kubectl label`; a manifest reaches the server.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  labels: {tier: %s}\n' "$(long v 64)" > "$WORK/label.yaml"
expect_match "label value of 64 characters" \
    "^The ConfigMap \"labelled\" is invalid: metadata.labels: Invalid value: \"$(long v 64)\": must be no more than 63 characters$" \
    "$(kubectl apply -f "$WORK/label.yaml" 2>&1 || true)"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: labelled\n  labels: {tier: %s}\n' "$(long v 63)" > "$WORK/label.yaml"
expect_eq "label value of 63 characters" "configmap/labelled created" "$(kubectl apply -f "$WORK/label.yaml" 2>&1)"

# ----- selectors
kubectl create namespace sel >/dev/null
for s in "a env=a" "b env=b,legacy=yes" "c env=c" "d"; do
    set -- $s
    kubectl create secret generic "$1" -n sel --from-literal=k=v >/dev/null
    [ -n "${2:-}" ] && kubectl label secret "$1" -n sel ${2//,/ } >/dev/null
done
names() { kubectl get secrets -n sel "$@" -o jsonpath='{range .items[*]}{.metadata.name} {end}' | sed 's/ $//'; }
expect_eq "in, !key" "a" "$(names -l 'env in (a,b),!legacy')"
expect_eq "notin (absent labels match)" "b c d" "$(names -l 'env notin (a)')"
expect_eq "exists" "b" "$(names -l 'legacy')"
expect_eq "in with spaces, !=" "c" "$(names -l 'env in ( b , c ),env!=b')"
expect_eq "fieldSelector metadata.name" "c" "$(names --field-selector metadata.name=c)"
expect_eq "fieldSelector metadata.namespace, !=" "a b d" "$(names --field-selector metadata.namespace=sel,metadata.name!=c)"
expect_match "a field that cannot be selected" '"spec.x" is not a known field selector|field label not supported: spec.x' \
    "$(kubectl get secrets -n sel --field-selector spec.x=1 2>&1 || true)"

# Watches filter the same way: only the selected object's events arrive.
kubectl get secrets -n sel -w --output-watch-events -l 'env in (a,c),!legacy' --field-selector metadata.name!=c \
    -o jsonpath='{.type} {.object.metadata.name}{"\n"}' -v=6 > "$WORK/watch.out" 2> "$WORK/watch.err" &
WATCH_PID=$!
wait_for_line "$WORK/watch.err" 'watch=true.* 200 OK' "the selective watch"
kubectl label secret c -n sel touched=1 >/dev/null      # not selected (by name)
kubectl label secret b -n sel touched=1 >/dev/null      # not selected (legacy)
kubectl label secret a -n sel touched=1 >/dev/null      # selected
kubectl label secret a -n sel env=z --overwrite >/dev/null  # leaves the selection: DELETED
wait_for_line "$WORK/watch.out" '^DELETED a$' "the watch sees a leave its selection"
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
expect_eq "watch events" "ADDED a,MODIFIED a,DELETED a," "$(tr '\n' ',' < "$WORK/watch.out")"
