#!/bin/bash
# Fidelity: TLS client certificates as kube-apiserver's x509 authentication reads them,
# through kubectl against esx-mock-kube: the mock asks for certificates signed by its CA, the
# kubeconfig it writes carries one per seed user with "certificate": true, CN is the user and
# each O a group, and the seed's rules per user and per group authorise.
#
# usage: kubectl_client_certificates.sh ESX_MOCK_KUBE
SEED=$(mktemp "${TMPDIR:-/tmp}/esx-kube-seed-XXXXXX.json")
cat > "$SEED" <<'EOF_SEED'
{
  "users": [
    {"name": "admin", "token": "esx-admin-token", "groups": ["system:masters"]},
    {"name": "alice", "certificate": true, "groups": ["esx-readers"], "rules": []},
    {"name": "carol", "certificate": true, "groups": ["system:masters"]}
  ],
  "groups": [{"name": "esx-readers",
              "rules": [{"verbs": ["get", "list"], "resources": ["secrets"], "apiGroups": [""], "namespaces": ["default"]}]}],
  "namespaces": ["default", "team-a"]
}
EOF_SEED
. "$(dirname "$0")/lib.sh" "$1" --seed "$SEED"
rm -f "$SEED"

expect_eq "contexts in the kubeconfig" "alice carol esx-mock" "$(kubectl config get-contexts -o name | sort | tr '\n' ' ' | sed 's/ $//')"
expect_eq "the token context stays current" "esx-mock" "$(kubectl config current-context)"
whoami=$(kubectl --context alice auth whoami 2>&1)
expect_match "whoami: CN is the user" '^Username +alice$' "$whoami"
expect_match "whoami: O is a group" '^Groups +\[esx-readers system:authenticated\]$' "$whoami"
expect_match "whoami: the token user" '^Username +admin$' "$(kubectl auth whoami 2>&1)"

kubectl create secret generic readable --from-literal=a=b >/dev/null
expect_eq "a group's rule allows" "secret/readable" "$(kubectl --context alice get secrets -o name 2>&1)"
expect_eq "can-i: yes" "yes" "$(kubectl --context alice auth can-i list secrets 2>&1 || true)"
expect_match "outside the rule: Forbidden" \
    '^Error from server \(Forbidden\): secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "team-a"$' \
    "$(kubectl --context alice get secrets -n team-a 2>&1 || true)"
expect_match "no write rule: Forbidden" 'User "alice" cannot create resource "secrets"' \
    "$(kubectl --context alice create secret generic nope --from-literal=a=b 2>&1 || true)"
expect_eq "system:masters may do everything" "secret/by-carol created" \
    "$(kubectl --context carol create secret generic by-carol --from-literal=a=b 2>&1)"
expect_eq "the request log names the certificate's user" "carol" \
    "$(control GET /requests | /usr/bin/python3 -c 'import json,sys; print([r["user"] for r in json.load(sys.stdin) if r["method"] == "POST"][-1])')"

# A certificate from another CA is not the mock's to trust: 401, as kube-apiserver answers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=mallory/O=system:masters" \
    -keyout "$WORK/mallory-key.pem" -out "$WORK/mallory.pem" 2>/dev/null
kubectl config set-credentials mallory --client-certificate="$WORK/mallory.pem" --client-key="$WORK/mallory-key.pem" >/dev/null
kubectl config set-context mallory --cluster=esx-mock --user=mallory >/dev/null
expect_match "foreign certificate: Unauthorized" 'error: You must be logged in to the server \(Unauthorized\)|Unauthorized' \
    "$(kubectl --context mallory get secrets 2>&1 || true)"
