#!/usr/bin/python3
# The RBAC of examples/controller/deploy/ as data, for tests/cli/deploy_rbac.sh: read from the
# objects `kubectl kustomize` renders (what `kubectl apply -k` sends), never copied by hand.
#
#   deploy_rules.py seed RENDERED BASE_SEED SUBJECT   -> a mock seed (stdout): BASE_SEED plus an
#       entry for SUBJECT (system:serviceaccount:NS:NAME) whose rules are those its bindings grant
#   deploy_rules.py check RENDERED SUBJECT LOG        -> every request SUBJECT made (the mock's
#       request log) checked against the same rules, resourceNames included; exit 1 on any 403
#       or any request the rules do not allow
#
# The mock's seed rules have no resourceNames, so a rule with names is wider in the mock than in
# a real cluster; `check` applies the names itself, so a request outside them still fails.
import json
import sys
import urllib.parse

import yaml

# Non-resource URLs every authenticated identity may GET (the system:discovery and
# system:public-info-viewer ClusterRoles a real cluster binds to system:authenticated).
DISCOVERY_PREFIXES = ("/api", "/apis", "/version", "/openapi", "/healthz", "/livez", "/readyz")


def granted_rules(rendered_path, subject):
    """[(rule, namespace or None)] the bindings in the rendered manifests grant to subject."""
    with open(rendered_path) as f:
        objects = [o for o in yaml.safe_load_all(f) if o]
    kind, sa_ns, sa_name = "ServiceAccount", *subject.split(":")[2:4]
    roles = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o.get("rules", [])
             for o in objects if o["kind"] in ("ClusterRole", "Role")}
    out = []
    for b in objects:
        if b["kind"] not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        if not any(s.get("kind") == kind and s.get("name") == sa_name and s.get("namespace") == sa_ns
                   for s in b.get("subjects", [])):
            continue
        ref = b["roleRef"]
        ns = b["metadata"].get("namespace") if b["kind"] == "RoleBinding" else None
        role_ns = ns if ref["kind"] == "Role" else None
        rules = roles.get((ref["kind"], role_ns, ref["name"]))
        if rules is None:
            raise SystemExit(f"deploy_rules: {b['kind']} {b['metadata']['name']} names a missing "
                             f"{ref['kind']} {ref['name']}")
        out += [(r, ns) for r in rules]
    if not out:
        raise SystemExit(f"deploy_rules: no binding grants {subject} anything")
    return out


def seed(rendered, base_seed, subject):
    with open(base_seed) as f:
        doc = json.load(f)
    rules = []
    for r, ns in granted_rules(rendered, subject):
        if r.get("nonResourceURLs"):
            continue
        m = {"verbs": r["verbs"], "resources": r["resources"], "apiGroups": r.get("apiGroups", [])}
        if ns is not None:
            m["namespaces"] = [ns]
        rules.append(m)
    doc.setdefault("users", []).append({"name": subject, "rules": rules})
    json.dump(doc, sys.stdout, indent=1)


def request_attributes(method, path, query):
    """(verb, group, resource, namespace, name) of a resource request; None for others."""
    segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
    if len(segs) >= 2 and segs[0] == "api":
        group, rest = "", segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis":
        group, rest = segs[1], segs[3:]
    else:
        return None
    if not rest:
        return None
    ns = ""
    if rest[0] == "namespaces" and len(rest) >= 3:
        ns, rest = rest[1], rest[2:]
    resource, name, sub = rest[0], rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else ""
    q = urllib.parse.parse_qs(query)
    watch = q.get("watch", ["false"])[0] in ("true", "1")
    verb = {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method)
    if method == "GET":
        verb = "get" if name else ("watch" if watch else "list")
    elif method == "DELETE":
        verb = "delete" if name else "deletecollection"
    # GET /api/v1/namespaces/NAME is the namespace itself (ns stays ""); a TokenRequest, POST
    # .../serviceaccounts/NAME/token, is "create serviceaccounts/token" on NAME.
    return (verb or method.lower(), group, resource + ("/" + sub if sub else ""), ns, name)


def allows(rule, ns_of_binding, verb, group, resource, ns, name):
    def has(lst, x):
        return "*" in lst or x in lst
    if ns_of_binding is not None and ns != ns_of_binding:
        return False
    if not (has(rule.get("verbs", []), verb) and has(rule.get("apiGroups", []), group)
            and has(rule.get("resources", []), resource)):
        return False
    names = rule.get("resourceNames")
    return not names or (name != "" and name in names)


def check(rendered, subject, log_path):
    rules = granted_rules(rendered, subject)
    with open(log_path) as f:
        log = json.load(f)
    log = log["requests"] if isinstance(log, dict) else log
    mine = [r for r in log if r.get("user") == subject]
    bad = 0
    seen = {}
    for r in mine:
        attrs = request_attributes(r["method"], r["path"], r.get("query", ""))
        where = f'{r["method"]} {r["path"]}?{r.get("query", "")} -> {r["status"]}'
        if r["status"] == 403:
            print(f"FAIL refused by the mock: {where}")
            bad += 1
            continue
        if attrs is None:
            if r["method"] == "GET" and r["path"].startswith(DISCOVERY_PREFIXES):
                continue
            print(f"FAIL a non-resource request outside discovery: {where}")
            bad += 1
            continue
        verb, group, resource, ns, name = attrs
        if not any(allows(rule, rns, verb, group, resource, ns, name) for rule, rns in rules):
            print(f"FAIL not allowed by deploy/'s RBAC ({verb} {group or 'core'}/{resource}"
                  f"{' in ' + ns if ns else ''}{' named ' + name if name else ''}): {where}")
            bad += 1
            continue
        key = f"{verb} {(group + '/') if group else ''}{resource}{' (namespaced)' if ns else ''}"
        seen[key] = seen.get(key, 0) + 1
    for key in sorted(seen):
        print(f"     {seen[key]:5d}  {key}")
    print(f"{len(mine)} requests as {subject}, {bad} outside the rules or refused")
    return 1 if bad or not mine else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "seed":
        seed(*sys.argv[2:])
    elif len(sys.argv) == 5 and sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:]))
    else:
        raise SystemExit("usage: deploy_rules.py seed RENDERED BASE_SEED SUBJECT | check RENDERED SUBJECT LOG")
