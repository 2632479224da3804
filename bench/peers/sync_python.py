#!/usr/bin/python3
# The sync benchmark's baseline (bench/sync.cpp): the same one-shot job as `esx sync`, written
# with Debian's python3-azure and python3-kubernetes the way their documentation shows: a
# `ClientSecretCredential` per identity, a `SecretClient` per vault, `CoreV1Api`
# create-or-replace per Secret. It reads the same manifests (JSON `List`s of
# ClusterSecretStores and ExternalSecrets: a file or a directory of them), reads each store's
# credential Secret from the cluster, reads each entry's secret with `get_secret` as the samples do (or, with --memo, each
# distinct secret once through a dict, as esx does), and writes one Secret per ExternalSecret.
# Sequential, as the SDK samples are.
#
# The SDKs are unmodified; the only settings are the authority, the CA bundle,
# instance_discovery=False and *.<suffix> resolved to 127.0.0.1 in this process (as
# tests/fidelity/azure does). Prints one JSON line: counts and the job's own wall and CPU time
# (interpreter start and imports excluded, so the figure favours the baseline).
#
# usage: sync_python.py --manifests FILE|DIR --kubeconfig FILE --authority HOST:PORT --ca FILE
#                       --suffix SUFFIX [--every N] [--memo]
#
# --every N syncs every N-th ExternalSecret only (a sample that keeps the job's proportions:
# in bench/sync.cpp's layout every 10th ExternalSecret makes 1/10 of the reads and writes).
import argparse
import base64
import json
import os
import socket
import sys
import time

for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy",
            "AZURE_AUTHORITY_HOST"):
    os.environ.pop(var, None)
os.environ["NO_PROXY"] = "*"

from azure.identity import ClientSecretCredential  # noqa: E402
from azure.keyvault.secrets import SecretClient  # noqa: E402
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402


def resolve_to_loopback(suffix):
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.lower().endswith("." + suffix):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--manifests", required=True)
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--authority", required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--suffix", required=True)
    p.add_argument("--every", type=int, default=1, help="sync every N-th ExternalSecret only")
    p.add_argument("--memo", action="store_true", help="read each distinct secret once per run")
    a = p.parse_args()
    resolve_to_loopback(a.suffix)

    start_wall, start_cpu = time.perf_counter(), time.process_time()
    paths = ([os.path.join(a.manifests, n) for n in sorted(os.listdir(a.manifests)) if n.endswith(".json")]
             if os.path.isdir(a.manifests) else [a.manifests])
    docs = []
    for path in paths:
        with open(path) as f:
            docs += json.load(f)["items"]
    stores = {d["metadata"]["name"]: d for d in docs if d["kind"] == "ClusterSecretStore"}
    externals = [d for d in docs if d["kind"] == "ExternalSecret"]
    externals = externals[::max(1, a.every)]

    config.load_kube_config(config_file=a.kubeconfig)
    core = client.CoreV1Api()

    credentials = {}   # (tenant, client id, secret) -> ClientSecretCredential
    vaults = {}        # vault URL -> SecretClient
    values = {}        # (vault URL, name) -> value (--memo)
    store_clients = {}  # store name -> SecretClient
    reads = writes = 0

    def secret_client(store_name):
        if store_name in store_clients:
            return store_clients[store_name]
        kv = stores[store_name]["spec"]["provider"]["azurekv"]
        ref = kv["authSecretRef"]
        cred_secret = core.read_namespaced_secret(ref["clientId"]["name"], ref["clientId"]["namespace"])
        client_id = base64.b64decode(cred_secret.data[ref["clientId"]["key"]]).decode()
        secret = base64.b64decode(cred_secret.data[ref["clientSecret"]["key"]]).decode()
        key = (kv["tenantId"], client_id, secret)
        if key not in credentials:
            credentials[key] = ClientSecretCredential(kv["tenantId"], client_id, secret, authority=a.authority,
                                                      instance_discovery=False, connection_verify=a.ca)
        url = kv["vaultUrl"]
        if url not in vaults:
            vaults[url] = SecretClient(url, credentials[key], connection_verify=a.ca)
        store_clients[store_name] = vaults[url]
        return vaults[url]

    for es in externals:
        spec = es["spec"]
        ns = es["metadata"]["namespace"]
        kv_client = secret_client(spec["secretStoreRef"]["name"])
        data = {}
        for entry in spec["data"]:
            name = entry["remoteRef"]["key"]
            k = (kv_client.vault_url, name)
            if not a.memo or k not in values:
                values[k] = kv_client.get_secret(name).value
                reads += 1
            data[entry["secretKey"]] = base64.b64encode(values[k].encode()).decode()
        target = spec.get("target", {}).get("name") or es["metadata"]["name"]
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "data": data,
                "metadata": {"name": target, "namespace": ns,
                             "labels": {"reconcile.external-secrets.io/managed": "true"}}}
        try:
            core.create_namespaced_secret(ns, body)
        except ApiException as e:
            if e.status != 409:
                raise
            core.replace_namespaced_secret(target, ns, body)
        writes += 1

    print(json.dumps({"external_secrets": len(externals), "reads": reads, "writes": writes,
                      "seconds": time.perf_counter() - start_wall, "cpu_seconds": time.process_time() - start_cpu}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
