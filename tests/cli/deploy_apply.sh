#!/usr/bin/env bash
# examples/controller/deploy/ applied to the mock cluster as a user installs it: `kubectl apply
# -k` creates every object kustomize renders, each reads back as applied (RBAC rules, bindings,
# the Deployment's pod spec), a second apply changes nothing, and each file applies on its own
# too. The Deployment is checked for what deploy/ promises: non-root, read-only root filesystem,
# no capabilities, RuntimeDefault seccomp, requests and limits, probes on the health port, and
# (when the controller is built) only flags that `esx-controller --help` lists.
#
# usage: deploy_apply.sh ESX_CONTROLLER|none MOCK_AZURE MOCK_KUBE SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$@"
DEPLOY=$SRC/examples/controller/deploy

kubectl kustomize "$DEPLOY" >"$WORK/rendered.yaml"
expected=$(/usr/bin/python3 - "$WORK/rendered.yaml" <<'PY'
import sys, yaml
for o in yaml.safe_load_all(open(sys.argv[1])):
    if o:
        print(o["kind"], o["metadata"].get("namespace", "-"), o["metadata"]["name"])
PY
)
expect_eq "kustomize renders the 4 CRDs, namespace, ServiceAccount, RBAC and Deployment" \
    "ClusterRole ClusterRoleBinding CustomResourceDefinition:4 Deployment Namespace Role RoleBinding ServiceAccount" \
    "$(echo "$expected" | awk '{print $1}' | sort | uniq -c | awk '{print $2 ($1 > 1 ? ":" $1 : "")}' | tr '\n' ' ' | sed 's/ $//')"

RC=0
kubectl apply -k "$DEPLOY" >"$WORK/apply.out" 2>&1 || RC=$?
expect_eq "kubectl apply -k deploy/: exit 0" 0 "$RC"
expect_eq "every object created" "$(echo "$expected" | wc -l) created" \
    "$(grep -c ' created$' "$WORK/apply.out") created"
expect_match "CRDs established" 'condition met' \
    "$(kubectl wait --for=condition=Established crd/externalsecrets.external-secrets.io --timeout=20s 2>&1)"

# Each object read back from the API and compared with what was applied (the fields it carries).
readback=$(/usr/bin/python3 - "$WORK/rendered.yaml" <<'PY'
import json, subprocess, sys, yaml
bad = 0
for o in yaml.safe_load_all(open(sys.argv[1])):
    if not o:
        continue
    kind, meta = o["kind"], o["metadata"]
    group = o["apiVersion"].rpartition("/")[0]
    args = ["kubectl", "get", kind.lower() + ("." + group if group else ""), meta["name"], "-o", "json"]
    if "namespace" in meta:
        args += ["-n", meta["namespace"]]
    got = subprocess.run(args, capture_output=True, text=True)
    if got.returncode != 0:
        print(f"FAIL {kind} {meta['name']}: {got.stderr.strip()}"); bad += 1; continue
    g = json.loads(got.stdout)
    fields = {"ClusterRole": ["rules"], "Role": ["rules"], "ClusterRoleBinding": ["roleRef", "subjects"],
              "RoleBinding": ["roleRef", "subjects"], "Deployment": ["spec"],
              "CustomResourceDefinition": ["spec"]}.get(kind, [])
    for f in fields:
        want, have = o.get(f), g.get(f)
        if f == "spec" and kind == "CustomResourceDefinition":
            want, have = want["names"], have["names"]  # the schema is kubectl_crds.sh's subject
        if want != have:
            print(f"FAIL {kind} {meta['name']}: {f} reads back as {json.dumps(have)[:300]}"); bad += 1
    for k, v in meta.get("labels", {}).items():
        if g["metadata"].get("labels", {}).get(k) != v:
            print(f"FAIL {kind} {meta['name']}: label {k} lost"); bad += 1
    if not g["metadata"].get("uid"):
        print(f"FAIL {kind} {meta['name']}: no uid"); bad += 1
print(f"{bad} mismatches")
PY
)
expect_eq "every object reads back as applied" "0 mismatches" "$(echo "$readback" | tail -1)"
[ "$(echo "$readback" | tail -1)" = "0 mismatches" ] || echo "$readback"

RC=0
out=$(kubectl apply -k "$DEPLOY" 2>&1) || RC=$?
expect_eq "a second apply -k: exit 0" 0 "$RC"
expect_eq "a second apply -k changes nothing" "$(echo "$expected" | wc -l) unchanged" \
    "$(echo "$out" | grep -c ' unchanged$') unchanged"
RC=0
out=$(for f in namespace serviceaccount rbac deployment; do kubectl apply -f "$DEPLOY/$f.yaml"; done 2>&1) || RC=$?
expect_eq "each file applies on its own (kubectl apply -f)" "0 0" "$RC $(echo "$out" | grep -vc ' unchanged$')"

expect_eq "the controller's ServiceAccount" "esx-controller" \
    "$(kubectl get deploy esx-controller -n esx-system -o jsonpath='{.spec.template.spec.serviceAccountName}')"

# What deploy/deployment.yaml promises, read from the object the API holds.
pod=$(kubectl get deploy esx-controller -n esx-system -o json)
promises=$(/usr/bin/python3 - "$pod" <<'PY'
import json, sys
d = json.loads(sys.argv[1])
spec = d["spec"]["template"]["spec"]
c = spec["containers"][0]
sc, psc = c.get("securityContext", {}), spec.get("securityContext", {})
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
args = c.get("args", [])
def arg(name):
    return next((a.split("=", 1)[1] for a in args if a.startswith(name + "=")), None)
print("runAsNonRoot", psc.get("runAsNonRoot") is True and sc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0)
print("readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem") is True)
print("allowPrivilegeEscalation", sc.get("allowPrivilegeEscalation"))
print("capabilities", sc.get("capabilities"))
print("seccomp", psc.get("seccompProfile", {}).get("type"), sc.get("seccompProfile", {}).get("type"))
r = c.get("resources", {})
print("resources", r.get("requests", {}).get("memory"), r.get("requests", {}).get("cpu"), r.get("limits", {}).get("memory"))
for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
    g = c.get(probe, {}).get("httpGet", {})
    port = ports.get(g.get("port"), g.get("port"))
    print(probe, g.get("path") == path and str(port) == (arg("--health-addr") or "").rsplit(":", 1)[-1])
print("metrics port", str(ports.get("metrics")) == (arg("--metrics-addr") or "").rsplit(":", 1)[-1])
print("leader election", "--leader-elect" in args, arg("--leader-elect-namespace") == d["metadata"]["namespace"])
PY
)
expect_match "pod: runAsNonRoot with a non-zero uid" '^runAsNonRoot True$' "$promises"
expect_match "pod: read-only root filesystem" '^readOnlyRootFilesystem True$' "$promises"
expect_match "pod: no privilege escalation" '^allowPrivilegeEscalation False$' "$promises"
expect_match "pod: every capability dropped" "^capabilities \\{'drop': \\['ALL'\\]\\}$" "$promises"
expect_match "pod: seccomp RuntimeDefault" '^seccomp RuntimeDefault RuntimeDefault$' "$promises"
expect_match "pod: requests 64Mi/50m, limit 128Mi" '^resources 64Mi 50m 128Mi$' "$promises"
expect_match "pod: liveness on /healthz at --health-addr's port" '^livenessProbe True$' "$promises"
expect_match "pod: readiness on /readyz at --health-addr's port" '^readinessProbe True$' "$promises"
expect_match "pod: the metrics port is --metrics-addr's" '^metrics port True$' "$promises"
expect_match "pod: leader election in its own namespace" '^leader election True True$' "$promises"

# The Deployment's flags are the controller's (when it is built: the first argument).
if [ -x "$ESX" ]; then
    help=$("$ESX" --help 2>&1 || true)
    for flag in $(kubectl get deploy esx-controller -n esx-system -o jsonpath='{.spec.template.spec.containers[0].args[*]}'); do
        name=${flag%%=*}
        expect_match "esx-controller --help lists $name" "(^|[^-a-z])$name([^-a-z]|\$)" "$help"
    done
    # The args parse: with a kubeconfig that does not exist it cannot start (1), not bad flags (2).
    RC=0
    read -ra args <<<"$(kubectl get deploy esx-controller -n esx-system -o jsonpath='{.spec.template.spec.containers[0].args[*]}')"
    timeout 20 "$ESX" "${args[@]}" --kubeconfig "$WORK/no-such-kubeconfig" >"$WORK/ctl.out" 2>&1 || RC=$?
    expect_eq "esx-controller accepts the Deployment's args (exit 1: no cluster, not 2: bad flags)" 1 "$RC"
else
    echo "skip: the Deployment's flags against esx-controller --help (no controller binary given)"
fi
