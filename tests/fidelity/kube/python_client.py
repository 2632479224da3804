#!/usr/bin/python3
# Fidelity: Debian's python3-kubernetes (22.6.0, run by /usr/bin/python3)
# against esx-mock-kube, unmodified: it is configured only from the kubeconfig
# the mock writes. Covers CRUD, 409 on stale update, list paging, watch with
# resume and 410, CRDs with the status subresource, TokenRequest + RBAC, the
# control endpoint and a few bad inputs.
#
# usage: python_client.py ESX_MOCK_KUBE
import base64
import http.client
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

try:
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException
except ImportError as e:
    print("SKIP: Debian's python3-kubernetes is not installed (%s)" % e)
    sys.exit(77)  # Meson's "skipped"

MOCK = sys.argv[1]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)


def expect_api_error(status, what, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except ApiException as e:
        body = json.loads(e.body) if e.body else {}
        check(e.status == status and body.get("kind") == "Status" and body.get("code") == status,
              "%s -> %d (%s)" % (what, e.status, body.get("reason")))
        return body
    check(False, what + " raised no ApiException")
    return {}


class Mock:
    """Starts esx-mock-kube, reads its JSON line, stops it with SIGTERM (exit 0 checked)."""

    def __init__(self, seed=None):
        self.dir = tempfile.mkdtemp(prefix="esx-kube-py-")
        args = [MOCK, "--tls-dir", os.path.join(self.dir, "tls")]
        if seed is not None:
            path = os.path.join(self.dir, "seed.json")
            with open(path, "w") as f:
                json.dump(seed, f)
            args += ["--seed", path]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.proc.stdout.readline())

    def api_client(self, token=None):
        cfg = client.Configuration()
        config.load_kube_config(config_file=self.info["kubeconfig"], client_configuration=cfg)
        if token is not None:
            cfg.api_key = {"authorization": "Bearer " + token}
        return client.ApiClient(cfg)

    def control(self, method, path, body=None):
        req = urllib.request.Request(self.info["control"] + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def raw(self, method, path, body, headers):
        ctx = ssl.create_default_context(cafile=self.info["ca"])
        host, port = self.info["server"][len("https://"):].split(":")
        conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=10)
        headers = dict(headers)
        headers.setdefault("Authorization", "Bearer " + self.info["token"])
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        check(rc == 0, "mock exits 0 on SIGTERM")
        shutil.rmtree(self.dir, ignore_errors=True)


def crud_and_conflict(m):
    v1 = client.CoreV1Api(m.api_client())
    s = v1.create_namespaced_secret("default", client.V1Secret(
        metadata=client.V1ObjectMeta(name="py", labels={"a": "b"}), string_data={"k": "v"}, type="Opaque"))
    check(s.data == {"k": base64.b64encode(b"v").decode()} and s.string_data is None, "stringData folded into data")
    check(s.metadata.uid and s.metadata.resource_version and s.metadata.creation_timestamp, "server-filled metadata")
    check(s.kind == "Secret" and s.api_version == "v1", "kind/apiVersion filled in")
    expect_api_error(409, "create existing -> AlreadyExists", v1.create_namespaced_secret, "default",
                     client.V1Secret(metadata=client.V1ObjectMeta(name="py")))
    got = v1.read_namespaced_secret("py", "default")
    stale_rv = got.metadata.resource_version
    got.data["k2"] = base64.b64encode(b"v2").decode()
    updated = v1.replace_namespaced_secret("py", "default", got)
    check(updated.metadata.resource_version != stale_rv and "k2" in updated.data, "replace with current RV")
    got.metadata.resource_version = stale_rv
    body = expect_api_error(409, "replace with stale RV -> Conflict", v1.replace_namespaced_secret, "py", "default", got)
    check(body.get("reason") == "Conflict" and "the object has been modified" in body.get("message", ""),
          "Conflict message: " + body.get("message", ""))
    patched = v1.patch_namespaced_secret("py", "default", {"metadata": {"labels": {"c": "d"}}})
    check(patched.metadata.labels == {"a": "b", "c": "d"}, "strategic merge patch (dict)")
    patched = v1.patch_namespaced_secret("py", "default", [{"op": "remove", "path": "/data/k2"}])
    check("k2" not in patched.data, "JSON patch (list)")
    body = expect_api_error(422, "bad data key -> Invalid", v1.create_namespaced_secret, "default",
                            client.V1Secret(metadata=client.V1ObjectMeta(name="bad"), string_data={"bad key": "x"}))
    causes = body.get("details", {}).get("causes", [])
    check(causes and causes[0]["field"] == "data[bad key]" and causes[0]["reason"] == "FieldValueInvalid",
          "422 names the field")
    immut = v1.create_namespaced_secret("default", client.V1Secret(
        metadata=client.V1ObjectMeta(name="immut"), string_data={"a": "b"}, immutable=True))
    check(immut.immutable is True, "immutable secret created")
    expect_api_error(422, "changing data of an immutable Secret", v1.patch_namespaced_secret, "immut", "default",
                     {"stringData": {"a": "c"}})
    big = "x" * (1024 * 1024 + 1)
    expect_api_error(422, "Secret over 1 MiB", v1.create_namespaced_secret, "default",
                     client.V1Secret(metadata=client.V1ObjectMeta(name="big"), string_data={"a": big}))
    v1.delete_namespaced_secret("py", "default")
    expect_api_error(404, "read after delete -> NotFound", v1.read_namespaced_secret, "py", "default")
    expect_api_error(404, "create in a missing namespace", v1.create_namespaced_secret, "nope",
                     client.V1Secret(metadata=client.V1ObjectMeta(name="x")))
    v1.create_namespaced_service_account("default", client.V1ServiceAccount(
        metadata=client.V1ObjectMeta(name="sa"), image_pull_secrets=[client.V1LocalObjectReference(name="a")]))
    sa = v1.patch_namespaced_service_account("sa", "default", {"imagePullSecrets": [{"name": "b"}],
                                                                 "metadata": {"finalizers": ["x.io/f"]}})
    check([r.name for r in sa.image_pull_secrets] == ["a", "b"] and sa.metadata.finalizers == ["x.io/f"],
          "strategic merge: lists merged by key (imagePullSecrets by name, finalizers as a set)")
    sa = v1.patch_namespaced_service_account("sa", "default", {"imagePullSecrets": [{"name": "a", "$patch": "delete"}],
                                                                 "metadata": {"finalizers": None}})
    check([r.name for r in sa.image_pull_secrets] == ["b"] and not sa.metadata.finalizers, "strategic merge: $patch delete")
    gen = v1.create_namespaced_config_map("default", client.V1ConfigMap(
        metadata=client.V1ObjectMeta(generate_name="gen-"), data={"a": "b"}))
    check(gen.metadata.name.startswith("gen-") and len(gen.metadata.name) == 9, "generateName: " + gen.metadata.name)


def paging(m):
    v1 = client.CoreV1Api(m.api_client())
    for i in range(5):
        v1.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="page-%d" % i, labels={"paged": "yes"}), data={"i": str(i)}))
    names, token, rvs, pages = [], None, set(), 0
    while True:
        page = v1.list_namespaced_config_map("default", label_selector="paged=yes", limit=2, _continue=token)
        pages += 1
        names += [cm.metadata.name for cm in page.items]
        rvs.add(page.metadata.resource_version)
        token = page.metadata._continue
        if not token:
            break
    check(names == ["page-%d" % i for i in range(5)] and pages == 3, "limit/continue pages: %s" % names)
    check(len(rvs) == 1, "list resourceVersion constant across pages")
    # remainingItemCount as kube-apiserver sets it: on an unfiltered page, never with a selector.
    first = v1.list_namespaced_config_map("default", limit=2)
    whole = v1.list_namespaced_config_map("default")
    check(first.metadata.remaining_item_count == len(whole.items) - 2 and first.metadata._continue,
          "remainingItemCount of an unfiltered page: %s of %d" % (first.metadata.remaining_item_count, len(whole.items)))
    filtered = v1.list_namespaced_config_map("default", label_selector="paged=yes", limit=2)
    check(filtered.metadata.remaining_item_count is None and filtered.metadata._continue,
          "no remainingItemCount with a selector")
    sel = v1.list_namespaced_config_map("default", field_selector="metadata.name=page-3")
    check([c.metadata.name for c in sel.items] == ["page-3"], "fieldSelector metadata.name")
    sel = v1.list_namespaced_config_map("default", label_selector="paged in (yes),!missing")
    check(len(sel.items) == 5, "set-based labelSelector")


def watching(m):
    v1 = client.CoreV1Api(m.api_client())
    rv = v1.list_namespaced_secret("default").metadata.resource_version
    v1.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="w1"),
                                                           string_data={"a": "1"}))
    v1.patch_namespaced_secret("w1", "default", {"stringData": {"a": "2"}})
    v1.delete_namespaced_secret("w1", "default")
    w = watch.Watch()
    seen = []
    for ev in w.stream(v1.list_namespaced_secret, "default", resource_version=rv, timeout_seconds=30):
        seen.append((ev["type"], ev["object"].metadata.name, ev["object"].metadata.resource_version))
        if len(seen) == 3:
            w.stop()
    check([t for t, _, _ in seen] == ["ADDED", "MODIFIED", "DELETED"], "watch from RV replays: %s" % seen)
    resume = seen[1][2]
    w = watch.Watch()
    again = []
    for ev in w.stream(v1.list_namespaced_secret, "default", resource_version=resume, timeout_seconds=30):
        again.append(ev["type"])
        w.stop()
    check(again == ["DELETED"], "resume from a MODIFIED event's RV: %s" % again)
    # bookmarks: the first one follows the initial events at once
    w = watch.Watch()
    kinds = []
    for ev in w.stream(v1.list_namespaced_secret, "default", allow_watch_bookmarks=True, timeout_seconds=30):
        kinds.append(ev["type"])
        if ev["type"] == "BOOKMARK":
            w.stop()
    check(kinds and kinds[-1] == "BOOKMARK", "BOOKMARK with allowWatchBookmarks: %s" % kinds)
    # timeoutSeconds ends the stream (1 s, no events)
    w = watch.Watch()
    n = sum(1 for _ in w.stream(v1.list_namespaced_secret, "default", resource_version=v1.list_namespaced_secret(
        "default").metadata.resource_version, timeout_seconds=1))
    check(n == 0, "watch ends after timeoutSeconds")


def watch_backlog(m):
    # A watcher that reads nothing while 300 changes happen: the mock sends what piled up in
    # few writes, and the stream must still be every event, whole and in order, as separate
    # JSON lines in valid chunked encoding (http.client decodes the chunks).
    v1 = client.CoreV1Api(m.api_client())
    rv = v1.list_namespaced_config_map("default").metadata.resource_version
    ctx = ssl.create_default_context(cafile=m.info["ca"])
    host, port = m.info["server"][len("https://"):].split(":")
    conn = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=1&labelSelector=burst%3Dyes&resourceVersion=" + rv,
                 headers={"Authorization": "Bearer " + m.info["token"]})
    r = conn.getresponse()
    check(r.status == 200 and r.getheader("Transfer-Encoding") == "chunked", "watch answers chunked")
    names = ["burst-%03d" % i for i in range(300)]
    for name in names:
        v1.create_namespaced_config_map("default", client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name=name, labels={"burst": "yes"}), data={"v": name * 20}))
    seen = []
    while len(seen) < len(names):
        line = r.readline()
        if not line:
            break
        event = json.loads(line)
        seen.append((event["type"], event["object"]["metadata"]["name"]))
    conn.close()
    check(seen == [("ADDED", n) for n in names], "300 queued events arrive whole and in order (%d seen)" % len(seen))
    for name in names:
        v1.delete_namespaced_config_map(name, "default")


def expired(m):
    v1 = client.CoreV1Api(m.api_client())
    rv = v1.list_namespaced_config_map("default").metadata.resource_version
    for i in range(5):
        v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="e%d" % i)))
    w = watch.Watch()
    try:
        for _ in w.stream(v1.list_namespaced_config_map, "default", resource_version=rv, timeout_seconds=5):
            pass
        check(False, "watch from a compacted RV should fail")
    except ApiException as e:
        check(e.status == 410 and "Expired" in str(e), "410 Expired for a too-old RV: %s" % e.reason)


def history_cap(m):
    # The retained watch history is also capped by memory (64 MiB): 60 Secrets
    # of 1 MiB compact it long before the 1000-event window.
    v1 = client.CoreV1Api(m.api_client())
    rv = v1.list_namespaced_secret("default").metadata.resource_version
    blob = "x" * (1024 * 1024 - 16)
    for i in range(60):
        v1.create_namespaced_secret("default", client.V1Secret(metadata=client.V1ObjectMeta(name="big-%d" % i),
                                                               string_data={"a": blob}))
    code, data = m.raw("GET", "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=" + rv, None, {})
    event = json.loads(data.splitlines()[0]) if code == 200 and data else {}
    check(event.get("type") == "ERROR" and event.get("object", {}).get("code") == 410,
          "history capped by memory -> an ERROR event with 410 for the oldest RV")
    recent = v1.list_namespaced_secret("default", limit=1).metadata.resource_version
    code, _ = m.raw("GET", "/api/v1/namespaces/default/secrets?watch=1&timeoutSeconds=0&resourceVersion=" + recent, None, {})
    check(code == 200, "recent RV still resumable")


def crds(m):
    api = m.api_client()
    ext = client.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.esx.io"},
        "spec": {"group": "example.esx.io", "scope": "Namespaced",
                 "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                 "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {"type": "object",
                                                              "x-kubernetes-preserve-unknown-fields": True}}}]}})
    crd = ext.read_custom_resource_definition("widgets.example.esx.io")
    conds = {c.type: c.status for c in crd.status.conditions}
    check(conds.get("Established") == "True" and conds.get("NamesAccepted") == "True", "CRD Established")
    co = client.CustomObjectsApi(api)
    w = co.create_namespaced_custom_object("example.esx.io", "v1", "default", "widgets", {
        "apiVersion": "example.esx.io/v1", "kind": "Widget", "metadata": {"name": "w"},
        "spec": {"size": 1}, "status": {"ignored": True}})
    check(w["metadata"]["generation"] == 1 and "status" not in w, "CR create: generation 1, status dropped")
    s = co.patch_namespaced_custom_object_status("example.esx.io", "v1", "default", "widgets", "w",
                                                 {"status": {"phase": "Ready"}, "spec": {"size": 99}})
    check(s["status"] == {"phase": "Ready"} and s["spec"] == {"size": 1} and s["metadata"]["generation"] == 1,
          "status write does not touch spec or generation")
    s = co.patch_namespaced_custom_object("example.esx.io", "v1", "default", "widgets", "w",
                                          {"spec": {"size": 2}, "status": {"phase": "Lost"}})
    check(s["spec"] == {"size": 2} and s["status"] == {"phase": "Ready"} and s["metadata"]["generation"] == 2,
          "spec write bumps generation and does not touch status")
    from kubernetes.dynamic import DynamicClient  # discovers /apis and /apis/<g>/<v> itself
    widgets = DynamicClient(api).resources.get(api_version="example.esx.io/v1", kind="Widget")
    check([i.metadata.name for i in widgets.get(namespace="default").items] == ["w"], "DynamicClient lists the CR")
    dyn = client.ApisApi(api).get_api_versions()
    check(any(g.name == "example.esx.io" for g in dyn.groups), "CRD group in /apis")
    code, data = m.raw("GET", "/apis/example.esx.io/v1", None, {})
    names = [r["name"] for r in json.loads(data)["resources"]]
    check(code == 200 and names == ["widgets", "widgets/status"], "CRD discovery lists plural and status: %s" % names)
    ext.delete_custom_resource_definition("widgets.example.esx.io")
    code, _ = m.raw("GET", "/apis/example.esx.io/v1/namespaces/default/widgets/w", None, {})
    check(code == 404, "CRD delete removes the resource and its objects")


def tokens_and_rbac(m):
    admin = m.api_client()
    v1 = client.CoreV1Api(admin)
    v1.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="team-a")))
    v1.create_namespaced_service_account("team-a", client.V1ServiceAccount(metadata=client.V1ObjectMeta(name="esx")))
    tr = v1.create_namespaced_service_account_token("esx", "team-a", client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=["api://AzureADTokenExchange"], expiration_seconds=3600)))
    token = tr.status.token
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    check(claims["sub"] == "system:serviceaccount:team-a:esx" and claims["aud"] == ["api://AzureADTokenExchange"]
          and claims["iss"] == m.info["issuer"] and claims["exp"] - claims["iat"] >= 600, "TokenRequest JWT claims")
    check(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == "RS256", "RS256 JWT")
    expect_api_error(422, "TokenRequest under 10 minutes", v1.create_namespaced_service_account_token, "esx", "team-a",
                     client.AuthenticationV1TokenRequest(spec=client.V1TokenRequestSpec(audiences=["x"],
                                                                                        expiration_seconds=60)))
    ctx = ssl.create_default_context(cafile=m.info["ca"])
    with urllib.request.urlopen(m.info["issuer"] + "/.well-known/openid-configuration", context=ctx) as r:
        oidc = json.loads(r.read())
    with urllib.request.urlopen(oidc["jwks_uri"], context=ctx) as r:
        jwks = json.loads(r.read())
    check(oidc["issuer"] == m.info["issuer"] and jwks["keys"][0]["kty"] == "RSA", "OIDC discovery and JWKS")
    sa = client.CoreV1Api(m.api_client(token=token))
    body = expect_api_error(403, "SA token: list secrets in team-a (rules allow configmaps only)",
                            sa.list_namespaced_secret, "team-a")
    check("system:serviceaccount:team-a:esx" in body.get("message", ""), "403 names the user: " + body.get("message", ""))
    check(sa.list_namespaced_config_map("team-a").items == [], "SA token: allowed by its rule")
    expect_api_error(403, "SA token: other namespace", sa.list_namespaced_config_map, "default")
    expect_api_error(401, "unknown token", client.CoreV1Api(m.api_client(token="nope")).list_namespaced_secret,
                     "default")


def leases_and_events(m):
    api = m.api_client()
    co = client.CoordinationV1Api(api)
    lease = co.create_namespaced_lease("default", client.V1Lease(
        metadata=client.V1ObjectMeta(name="esx-leader"),
        spec=client.V1LeaseSpec(holder_identity="pod-a", lease_duration_seconds=15)))
    check(lease.spec.holder_identity == "pod-a" and lease.metadata.resource_version, "Lease create")
    stale = co.read_namespaced_lease("esx-leader", "default")
    fresh = co.read_namespaced_lease("esx-leader", "default")
    fresh.spec.holder_identity = "pod-b"
    co.replace_namespaced_lease("esx-leader", "default", fresh)
    stale.spec.holder_identity = "pod-c"
    expect_api_error(409, "Lease takeover with a stale RV", co.replace_namespaced_lease, "esx-leader", "default", stale)
    check(co.read_namespaced_lease("esx-leader", "default").spec.holder_identity == "pod-b", "the winner holds it")
    v1 = client.CoreV1Api(api)
    ev = v1.create_namespaced_event("default", client.CoreV1Event(
        metadata=client.V1ObjectMeta(generate_name="es1."),
        involved_object=client.V1ObjectReference(kind="ExternalSecret", name="es1", namespace="default"),
        reason="Updated", message="secret synced", type="Normal", count=1))
    check(ev.metadata.name.startswith("es1.") and ev.reason == "Updated", "core/v1 Event create")
    check([e.reason for e in v1.list_namespaced_event("default", field_selector="involvedObject.name=es1").items]
          == ["Updated"], "core/v1 Event list by involvedObject.name")
    ev2 = client.EventsV1Api(api).create_namespaced_event("default", client.EventsV1Event(
        metadata=client.V1ObjectMeta(name="es1.v1"), event_time="2026-11-28T00:00:00.000000Z",
        reporting_controller="esx.io/controller", reporting_instance="esx-0", action="Sync", reason="Updated",
        note="secret synced", type="Normal"))
    check(ev2.note == "secret synced" and ev2.reporting_controller == "esx.io/controller", "events.k8s.io/v1 Event create")
    core = v1.read_namespaced_event("es1.v1", "default")
    check(core.message == "secret synced" and core.reporting_component == "esx.io/controller",
          "one storage: the events.k8s.io Event is a core/v1 Event too")
    # Read raw: like a real cluster's, a core Event without eventTime has none in events.k8s.io/v1,
    # which python3-kubernetes 22.6's EventsV1Event model refuses (a known client bug).
    code, data = m.raw("GET", "/apis/events.k8s.io/v1/namespaces/default/events/" + ev.metadata.name, None, {})
    new = json.loads(data)
    check(code == 200 and new["note"] == "secret synced" and new["regarding"]["name"] == "es1"
          and new["deprecatedCount"] == 1 and new["apiVersion"] == "events.k8s.io/v1",
          "and a core/v1 Event reads as events.k8s.io/v1")


def control_and_bad_input(m):
    v1 = client.CoreV1Api(m.api_client())
    m.control("DELETE", "/requests")
    # urllib3 (under the client) honours Retry-After on 429 by itself: one retry, then success.
    m.control("POST", "/faults", {"status": 429, "count": 1, "retry_after": 1,
                                  "path_prefix": "/api/v1/namespaces/default/secrets"})
    v1.list_namespaced_secret("default")
    m.control("POST", "/faults", {"status": 500, "count": 1, "method": "GET"})
    expect_api_error(500, "injected 500", v1.list_namespaced_secret, "default")
    log = m.control("GET", "/requests")
    check([r["status"] for r in log] == [429, 200, 500] and log[0]["fault"] and log[2]["fault"],
          "request log: %s" % [(r["status"], r["fault"]) for r in log])
    m.control("POST", "/faults", {"latency_ms": 300, "count": 1, "path_prefix": "/api/v1/namespaces/default/configmaps"})
    m.control("DELETE", "/requests")
    v1.list_namespaced_config_map("default")
    log = m.control("GET", "/requests")
    check([r.get("fault") for r in log] == ["latency 300ms"], "injected latency recorded: %r" % log)
    code, data = m.raw("POST", "/api/v1/namespaces/default/secrets", b"\x6b\x38\x73\x00",
                       {"Content-Type": "application/vnd.kubernetes.protobuf"})
    check(code == 415 and json.loads(data)["reason"] == "UnsupportedMediaType", "protobuf body -> 415")
    code, data = m.raw("POST", "/api/v1/namespaces/default/configmaps",
                       b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  port: \"8080\"\n"
                       b"  # a comment\n  enabled: 'true'\n", {"Content-Type": "application/yaml"})
    check(code == 201 and json.loads(data)["data"] == {"port": "8080", "enabled": "true"}, "YAML body -> 201")
    code, data = m.raw("PATCH", "/api/v1/namespaces/default/configmaps/applied-yaml?fieldManager=fidelity",
                       b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied-yaml\ndata:\n  k: v\n",
                       {"Content-Type": "application/apply-patch+yaml"})
    check(code == 201 and json.loads(data)["data"] == {"k": "v"}, "server-side apply with a YAML body -> 201")
    code, data = m.raw("POST", "/api/v1/namespaces/default/configmaps", b"metadata: [unclosed\n",
                       {"Content-Type": "application/yaml"})
    check(code == 400 and json.loads(data)["reason"] == "BadRequest" and "YAML" in json.loads(data)["message"],
          "malformed YAML -> 400")
    code, data = m.raw("POST", "/api/v1/namespaces/default/secrets", b"{not json", {"Content-Type": "application/json"})
    check(code == 400 and json.loads(data)["reason"] == "BadRequest", "malformed JSON -> 400")
    code, data = m.raw("POST", "/api/v1/namespaces/default/secrets", b'{"metadata":{"name":"Bad_Name"}}',
                       {"Content-Type": "application/json"})
    check(code == 422 and json.loads(data)["details"]["causes"][0]["field"] == "metadata.name", "invalid name -> 422")
    code, data = m.raw("PATCH", "/api/v1/namespaces/default/secrets/x", b"{}", {"Content-Type": "text/plain"})
    check(code == 415, "PATCH with an unknown content type -> 415")
    code, data = m.raw("GET", "/apis/nope.io/v1/things", None, {})
    check(code == 404 and json.loads(data)["reason"] == "NotFound", "unknown resource -> 404 Status")
    code, data = m.raw("POST", "/api/v1/namespaces/default/configmaps", b"x" * (3 * 1024 * 1024 + 10),
                       {"Content-Type": "application/json"})
    check(code == 413, "oversized body -> 413")
    code, data = m.raw("POST", "/api/v1/namespaces/default/configmaps", b"[" * 100000 + b"]" * 100000,
                       {"Content-Type": "application/json"})
    check(code == 400, "deeply nested JSON -> 400")
    code, data = m.raw("PATCH", "/api/v1/namespaces/default/configmaps/gen-x", b'[{"op":"bogus","path":"/a"}]',
                       {"Content-Type": "application/json-patch+json"})
    check(code == 404, "patch of a missing object -> 404")
    v1.create_namespaced_config_map("default", client.V1ConfigMap(metadata=client.V1ObjectMeta(name="victim")))
    for patch in (b'[{"op":"bogus","path":"/a"}]', b'[{"op":"remove","path":"/nope/deeper"}]', b'{"op":"add"}',
                  b'[{"op":"replace","path":"/metadata/name","value":"other"}]', b'[{"op":"add","path":"","value":7}]',
                  b'[{"op":"test","path":"/metadata/name","value":"x"}]', b'[{"op":"move","from":"/zz","path":"/a"}]'):
        code, data = m.raw("PATCH", "/api/v1/namespaces/default/configmaps/victim", patch,
                           {"Content-Type": "application/json-patch+json"})
        check(code in (400, 422) and json.loads(data)["kind"] == "Status", "bad JSON patch %s -> %d" % (patch, code))
    for method, path, body in (("BREW", "/api/v1/namespaces", b""), ("GET", "/api/v1/namespaces/default/secrets/a/b/c/d", b""),
                               ("POST", "/api/v1/namespaces/default/secrets/x", b"{}"),
                               ("GET", "/api/v1/namespaces/default/secrets?labelSelector=a+in+x", b""),
                               ("GET", "/api/v1/namespaces/default/secrets?fieldSelector=spec.x%3D1", b""),
                               ("GET", "/api/v1/namespaces/default/secrets?continue=%%%", b""),
                               ("GET", "/api/v1/namespaces/default/secrets?watch=1&resourceVersion=abc", b""),
                               ("PUT", "/api/v1/namespaces/default/configmaps/victim", b'{"metadata":{"name":"victim"},"data":{"a":1}}'),
                               ("POST", "/api/v1/namespaces/default/secrets", b'{"metadata":{"name":"b64"},"data":{"a":"!!"}}')):
        code, data = m.raw(method, path, body or None, {"Content-Type": "application/json"})
        check(400 <= code < 500 and json.loads(data)["kind"] == "Status", "%s %s -> %d" % (method, path, code))
    ctx = ssl.create_default_context(cafile=m.info["ca"])
    host, port = m.info["server"][len("https://"):].split(":")
    import socket
    with socket.create_connection((host, int(port)), timeout=10) as raw_sock:
        with ctx.wrap_socket(raw_sock, server_hostname=host) as tls:
            tls.sendall(b"\x00\x01garbage that is not HTTP\r\n\r\n")
            reply = tls.recv(4096)
    check(reply.startswith(b"HTTP/1.1 400"), "non-HTTP bytes -> 400 and close")
    with socket.create_connection((host, int(port)), timeout=10) as raw_sock:
        raw_sock.sendall(b"GET /version HTTP/1.1\r\n\r\n")  # plain HTTP on the TLS port
    code, _ = m.raw("GET", "/version", None, {})
    check(code == 200, "server still answers after bad input")


def main():
    seed = {
        "users": [
            {"name": "admin", "token": "esx-admin-token"},
            {"name": "system:serviceaccount:team-a:esx",
             "rules": [{"verbs": ["get", "list", "watch"], "resources": ["configmaps"], "namespaces": ["team-a"]}]},
        ],
        "namespaces": ["default"],
        "watch_window": 4,
    }
    m = Mock(seed)
    try:
        for test in (crud_and_conflict, paging, watching, watch_backlog, crds, tokens_and_rbac, leases_and_events,
                     control_and_bad_input):
            print("--- " + test.__name__, flush=True)
            test(m)
    finally:
        m.stop()
    m = Mock(dict(seed, watch_window=2))
    try:
        print("--- expired", flush=True)
        expired(m)
    finally:
        m.stop()
    m = Mock(dict(seed, watch_window=1000))
    try:
        print("--- history_cap", flush=True)
        history_cap(m)
    finally:
        m.stop()
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
