#!/usr/bin/env python3
# Compares esx's CRDs (this directory) with External Secrets Operator's, schema node by schema node,
# for every field esx models: the azurekv provider and every non-provider field. Prints each
# difference (a field one side lacks, or a differing type, default, enum, pattern, length, item or
# property bound, required list, format or x-kubernetes-* marker) and exits 1 if there is any.
#
#   git -C ESO show v2.9.0:config/crds/bases/external-secrets.io_externalsecrets.yaml > eso/externalsecrets.yaml
#   ... (secretstores, clustersecretstores, clusterexternalsecrets)
#   python3 compare_eso.py eso/            # ESO's v1 against ours
#
# Deliberate differences are listed in ALLOWED with the reason; descriptions are not compared.
import sys, os, yaml

KEYS = ["type", "default", "enum", "pattern", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
        "maxProperties", "format", "nullable", "x-kubernetes-int-or-string", "x-kubernetes-list-type",
        "x-kubernetes-map-type", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-list-map-keys"]

# path (dotted, `[]` for array items) -> why esx differs.
ALLOWED = {
    # ESO types every provider; esx types azurekv and keeps the rest as unknown fields so that a
    # store naming another provider is stored and then refused by esx with a clear message.
    ".spec.provider": "other providers kept as unknown fields (refused by esx, not by the schema)",
    ".spec.provider.maxProperties": "",
}


def version(crd, name):
    for v in crd["spec"]["versions"]:
        if v["name"] == name:
            return v
    return None


def walk(ours, theirs, path, out, skip_provider):
    for k in KEYS:
        a, b = ours.get(k), theirs.get(k)
        if k == "required":
            continue
        if a != b and path not in ALLOWED:
            out.append(f"{path or '.'}: {k}: esx {a!r}, ESO {b!r}")
    ra, rb = sorted(ours.get("required", [])), sorted(theirs.get("required", []))
    if ra != rb and path not in ALLOWED:
        out.append(f"{path or '.'}: required: esx {ra}, ESO {rb}")
    pa, pb = ours.get("properties", {}), theirs.get("properties", {})
    for name in sorted(set(pa) | set(pb)):
        sub = f"{path}.{name}"
        if skip_provider and path == ".spec.provider" and name != "azurekv":
            continue
        if name not in pa:
            out.append(f"{sub}: missing in esx")
        elif name not in pb:
            out.append(f"{sub}: not in ESO")
        else:
            walk(pa[name], pb[name], sub, out, skip_provider)
    ia, ib = ours.get("items"), theirs.get("items")
    if ia is not None and ib is not None:
        walk(ia, ib, path + "[]", out, skip_provider)
    elif (ia is None) != (ib is None):
        out.append(f"{path}[]: items: esx {ia is not None}, ESO {ib is not None}")
    aa, ab = ours.get("additionalProperties"), theirs.get("additionalProperties")
    if isinstance(aa, dict) and isinstance(ab, dict):
        walk(aa, ab, path + "{}", out, skip_provider)
    elif (aa is None) != (ab is None):
        out.append(f"{path}{{}}: additionalProperties: esx {aa!r}, ESO {ab!r}")
    xa, xb = ours.get("anyOf"), theirs.get("anyOf")
    if xa != xb:
        out.append(f"{path}: anyOf: esx {xa!r}, ESO {xb!r}")


def main():
    eso_dir = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    problems = []
    for plural in ["secretstores", "clustersecretstores", "externalsecrets", "clusterexternalsecrets"]:
        with open(os.path.join(here, f"{plural}.yaml")) as f:
            ours = yaml.safe_load(f)
        with open(os.path.join(eso_dir, f"{plural}.yaml")) as f:
            theirs = yaml.safe_load(f)
        for v in ["v1", "v1beta1"]:
            a, b = version(ours, v), version(theirs, v)
            if a is None or b is None:
                problems.append(f"{plural} {v}: version missing ({'esx' if a is None else 'ESO'})")
                continue
            out = []
            walk(a["schema"]["openAPIV3Schema"], b["schema"]["openAPIV3Schema"], "", out, True)
            for k in ["additionalPrinterColumns", "subresources", "deprecated"]:
                if a.get(k) != b.get(k):
                    out.append(f"{k}: esx {a.get(k)!r}, ESO {b.get(k)!r}")
            problems += [f"{plural} {v}: {o}" for o in out]
        for k in ["names", "scope", "group"]:
            if ours["spec"].get(k) != theirs["spec"].get(k):
                problems.append(f"{plural}: spec.{k}: esx {ours['spec'].get(k)!r}, ESO {theirs['spec'].get(k)!r}")
    for p in problems:
        print(p)
    print(f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
