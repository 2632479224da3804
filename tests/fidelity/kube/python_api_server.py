#!/usr/bin/python3
# Fidelity: Debian's python3-kubernetes (run by /usr/bin/python3) against esx-mock-kube for
# what a controller meets beyond CRUD: selectors (set-based labels, metadata fields) on list
# and watch, custom resources read and watched in another served version, structural schema
# validation answered as 422 Invalid with causes, names per resource, client certificates
# from the kubeconfig, and the too-old watch that watch.Watch raises on. The harness (Mock,
# check) is python_client.py's.
#
# usage: python_api_server.py ESX_MOCK_KUBE CRD_DIR
import json
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import python_client as pc  # noqa: E402  (exits 77 when python3-kubernetes is missing)
from python_client import Mock, check, client, config, watch, ApiException, expect_api_error  # noqa: E402

import yaml  # noqa: E402

CRDS = sys.argv[2]
GROUP = "external-secrets.io"


def install_crds(m):
    ext = client.ApiextensionsV1Api(m.api_client())
    for f in sorted(os.listdir(CRDS)):
        if f.endswith(".yaml"):
            with open(os.path.join(CRDS, f)) as fh:
                ext.create_custom_resource_definition(yaml.safe_load(fh))


def names_of(items):
    return sorted(i.metadata.name if hasattr(i, "metadata") else i["metadata"]["name"] for i in items)


def selectors(m):
    v1 = client.CoreV1Api(m.api_client())
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="sel")))
    for name, labels in (("a", {"env": "a"}), ("b", {"env": "b", "legacy": "yes"}), ("c", {"env": "c"}), ("d", None)):
        v1.create_namespaced_secret("sel", client.V1Secret(metadata=client.V1ObjectMeta(name=name, labels=labels)))
    cases = (("env in (a,b),!legacy", None, ["a"]), ("env notin (a)", None, ["b", "c", "d"]), ("legacy", None, ["b"]),
             ("!env", None, ["d"]), (None, "metadata.name=c", ["c"]),
             (None, "metadata.namespace=sel,metadata.name!=a", ["b", "c", "d"]), ("env", "metadata.name!=b", ["a", "c"]))
    for labels, fields, want in cases:
        got = names_of(v1.list_namespaced_secret("sel", label_selector=labels, field_selector=fields).items)
        check(got == want, "list labelSelector=%s fieldSelector=%s -> %s" % (labels, fields, got))
    got = names_of(v1.list_secret_for_all_namespaces(field_selector="metadata.namespace=sel", label_selector="env").items)
    check(got == ["a", "b", "c"], "cluster-wide list by namespace field -> %s" % got)
    expect_api_error(400, "fieldSelector on an unselectable field", v1.list_namespaced_secret, "sel",
                     field_selector="data.k=v")
    # A watch from the list's version sees only what its selectors select.
    rv = v1.list_namespaced_secret("sel").metadata.resource_version
    seen = []
    w = watch.Watch()

    def consume():
        for ev in w.stream(v1.list_namespaced_secret, "sel", resource_version=rv, timeout_seconds=10,
                           label_selector="env in (a,c)", field_selector="metadata.name!=c"):
            seen.append((ev["type"], ev["object"].metadata.name))
            if ev["type"] == "DELETED":
                w.stop()
    t = threading.Thread(target=consume)
    t.start()
    for name, patch in (("c", {"metadata": {"labels": {"t": "1"}}}), ("b", {"metadata": {"labels": {"t": "1"}}}),
                        ("a", {"metadata": {"labels": {"t": "1"}}}), ("a", {"metadata": {"labels": {"env": "z"}}})):
        v1.patch_namespaced_secret(name, "sel", patch)
    t.join(15)
    check(seen == [("MODIFIED", "a"), ("DELETED", "a")], "watch with selectors -> %s" % seen)


def versions(m):
    co = client.CustomObjectsApi(m.api_client())
    es = {"apiVersion": GROUP + "/v1beta1", "kind": "ExternalSecret", "metadata": {"name": "versioned"},
          "spec": {"secretStoreRef": {"kind": "SecretStore", "name": "store-a"},
                   "data": [{"secretKey": "k", "remoteRef": {"key": "secret/k"}}]}}
    rv = co.list_namespaced_custom_object(GROUP, "v1", "default", "externalsecrets")["metadata"]["resourceVersion"]
    created = co.create_namespaced_custom_object(GROUP, "v1beta1", "default", "externalsecrets", es)
    as_v1 = co.get_namespaced_custom_object(GROUP, "v1", "default", "externalsecrets", "versioned")
    check(created["apiVersion"] == GROUP + "/v1beta1" and as_v1["apiVersion"] == GROUP + "/v1",
          "written as v1beta1, read as v1")
    check({k: v for k, v in as_v1.items() if k != "apiVersion"} == {k: v for k, v in created.items() if k != "apiVersion"},
          "the versions differ in apiVersion only")
    w = watch.Watch()
    events = []
    for ev in w.stream(co.list_namespaced_custom_object, GROUP, "v1", "default", "externalsecrets",
                       resource_version=rv, timeout_seconds=5):
        events.append((ev["type"], ev["object"]["apiVersion"]))
        w.stop()
    check(events == [("ADDED", GROUP + "/v1")], "a v1 watch sees the v1beta1 write as v1: %s" % events)
    as_v1["spec"]["refreshInterval"] = "5m"
    co.replace_namespaced_custom_object(GROUP, "v1", "default", "externalsecrets", "versioned", as_v1)
    back = co.get_namespaced_custom_object(GROUP, "v1beta1", "default", "externalsecrets", "versioned")
    check(back["apiVersion"] == GROUP + "/v1beta1" and back["spec"]["refreshInterval"] == "5m",
          "written as v1, read back as v1beta1")


def schema_validation(m):
    co = client.CustomObjectsApi(m.api_client())
    bad = {"apiVersion": GROUP + "/v1", "kind": "ExternalSecret", "metadata": {"name": "bad"},
           "spec": {"refreshInterval": 5, "secretStoreRef": {"kind": "Store"},
                    "data": [{"secretKey": "k", "remoteRef": {}}] * 2}}
    body = expect_api_error(422, "invalid ExternalSecret", co.create_namespaced_custom_object, GROUP, "v1", "default",
                            "externalsecrets", bad)
    causes = {(c["reason"], c["field"]) for c in body.get("details", {}).get("causes", [])}
    check(causes == {("FieldValueRequired", "spec.data[0].remoteRef.key"), ("FieldValueRequired", "spec.data[1].remoteRef.key"),
                     ("FieldValueTypeInvalid", "spec.refreshInterval"), ("FieldValueNotSupported", "spec.secretStoreRef.kind")},
          "422 causes: %s" % sorted(causes))
    check(body.get("details", {}).get("kind") == "ExternalSecret" and body["details"].get("group") == GROUP,
          "422 details name the kind and group")
    check(body.get("message", "").startswith('ExternalSecret.external-secrets.io "bad" is invalid: ['),
          "422 message: %s" % body.get("message", "")[:80])
    # Defaults and pruning (the client sends no fieldValidation: the server's Warn).
    good = {"apiVersion": GROUP + "/v1", "kind": "ExternalSecret", "metadata": {"name": "good"},
            "spec": {"secretStoreRef": {"name": "store-a"}, "unknownField": True}}
    out = co.create_namespaced_custom_object(GROUP, "v1", "default", "externalsecrets", good)
    check("unknownField" not in out["spec"], "unknown fields pruned")
    with open(os.path.join(CRDS, "externalsecrets.yaml")) as fh:
        crd = yaml.safe_load(fh)
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")["schema"]["openAPIV3Schema"]
    declared = schema["properties"]["spec"]["properties"]
    check(out["spec"].get("refreshInterval") == declared["refreshInterval"]["default"] and
          out["spec"]["target"].get("creationPolicy") == declared["target"]["properties"]["creationPolicy"]["default"],
          "defaults the CRD declares filled in: %s" % {k: out["spec"].get(k) for k in ("refreshInterval", "target")})
    # The status subresource validates too.
    st = co.get_namespaced_custom_object(GROUP, "v1", "default", "externalsecrets", "good")
    st["status"] = {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "yesterday"}]}
    body = expect_api_error(422, "status with a bad date-time", co.replace_namespaced_custom_object_status, GROUP, "v1",
                            "default", "externalsecrets", "good", st)
    check(any(c["field"] == "status.conditions[0].lastTransitionTime" for c in body.get("details", {}).get("causes", [])),
          "status cause names the field")


def names(m):
    v1 = client.CoreV1Api(m.api_client())
    long_name = "x" * 253
    v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name=long_name)))
    check(v1.read_namespaced_config_map(long_name, "default").metadata.name == long_name, "ConfigMap name of 253 characters")
    body = expect_api_error(422, "namespace name of 64 characters", v1.create_namespace,
                            client.V1Namespace(metadata=client.V1ObjectMeta(name="n" * 64)))
    check(any(c["field"] == "metadata.name" and "must be no more than 63 characters" in c["message"]
              for c in body.get("details", {}).get("causes", [])), "namespace cause")
    body = expect_api_error(422, "label value of 64 characters", v1.create_namespaced_secret, "default",
                            client.V1Secret(metadata=client.V1ObjectMeta(name="lbl", labels={"k": "v" * 64})))
    check(any(c["field"] == "metadata.labels" for c in body.get("details", {}).get("causes", [])), "label cause")


def client_certificates(m):
    cfg = client.Configuration()
    config.load_kube_config(config_file=m.info["kubeconfig"], context="alice", client_configuration=cfg)
    check(bool(cfg.cert_file) and bool(cfg.key_file) and not cfg.api_key, "the alice context carries a client certificate")
    api = client.ApiClient(cfg)
    v1 = client.CoreV1Api(api)
    check(isinstance(v1.list_namespaced_secret("default").items, list), "a group's rule allows listing in default")
    expect_api_error(403, "outside the group's rule", v1.list_namespaced_secret, "team-a")
    review = client.AuthorizationV1Api(api).create_self_subject_access_review(client.V1SelfSubjectAccessReview(
        spec=client.V1SelfSubjectAccessReviewSpec(resource_attributes=client.V1ResourceAttributes(
            verb="list", resource="secrets", namespace="default"))))
    check(review.status.allowed, "SelfSubjectAccessReview as alice: allowed to list secrets in default")
    users = {r["user"] for r in m.control("GET", "/requests") if r["path"].endswith("/selfsubjectaccessreviews")}
    check(users == {"alice"}, "the request log names the certificate's user: %s" % users)


def main():
    seed = {
        "users": [
            {"name": "admin", "token": "esx-admin-token"},
            {"name": "alice", "certificate": True, "groups": ["esx-readers"], "rules": []},
        ],
        "groups": [{"name": "esx-readers",
                    "rules": [{"verbs": ["get", "list"], "resources": ["secrets"], "namespaces": ["default"]}]}],
        "namespaces": ["default", "team-a"],
    }
    m = Mock(seed)
    try:
        install_crds(m)
        for test in (selectors, versions, schema_validation, names, client_certificates):
            print("--- " + test.__name__, flush=True)
            test(m)
    finally:
        m.stop()
    print("%d failure(s)" % len(pc.failures))
    sys.exit(1 if pc.failures else 0)


if __name__ == "__main__":
    main()
