#!/usr/bin/python3
# Fidelity: Debian's python3-azure (azure-identity 1.13.0b2, azure-keyvault-secrets
# 4.7.0b1) against esx-mock-azure. The SDK is unmodified; the only settings are
# the authority, the CA, instance_discovery=False and host resolution of
# *.<vault_suffix> to 127.0.0.1 (a getaddrinfo wrapper in this process only).
# Challenge-resource verification stays ON.
#
# usage: sdk_secrets.py ESX_MOCK_AZURE SEED_JSON
import json
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

import harness
from harness import check, control, expect_raises

MOCK, SEED = sys.argv[1], sys.argv[2]

harness.isolate_network()

try:
    from azure.core.exceptions import (ClientAuthenticationError, HttpResponseError,
                                       ResourceNotFoundError)
    from azure.identity import (ClientSecretCredential, CredentialUnavailableError,
                                ManagedIdentityCredential)
    from azure.keyvault.secrets import SecretClient
except ImportError as e:
    print("SKIP: Debian's python3-azure is not installed (%s)" % e)
    sys.exit(77)  # Meson's "skipped"


def run(info):
    ca = info["ca"]
    authority = info["authority"][len("https://"):]  # "127.0.0.1:P", as the reference shows
    tenant = info["tenant"]
    suffix = info["vault_suffix"]
    v1, v2 = info["vaults"]["v1"], info["vaults"]["v2"]
    check(v1.startswith("https://v1." + suffix + ":"), "vault URL shape " + v1)

    harness.resolve_vault_hosts(suffix)

    def credential(client="esx-client", secret="esx-secret", tenant_id=tenant):
        return ClientSecretCredential(tenant_id, client, secret, authority=authority, instance_discovery=False,
                                      connection_verify=ca)

    cred = credential()
    c1 = SecretClient(v1, cred, connection_verify=ca)

    # --- get (latest, by version), seeded attributes and tags
    s = c1.get_secret("db-password")
    check(s.value == "s3cr3t", "get latest value")
    check(s.properties.version == "0123456789abcdef0123456789abcdef", "latest version id")
    check(s.properties.content_type == "text/plain", "contentType")
    check(s.properties.tags == {"env": "test", "managed-by": "esx"}, "tags")
    check(s.properties.expires_on is not None and int(s.properties.expires_on.timestamp()) == 1900000000, "exp")
    check(s.properties.enabled is True, "enabled")
    check(s.properties.recovery_level == "Recoverable+Purgeable", "recoveryLevel")
    versions = list(c1.list_properties_of_secret_versions("db-password"))
    check(len(versions) == 2, "two seeded versions, got %d" % len(versions))
    old = [v for v in versions if v.version != s.properties.version]
    check(len(old) == 1 and c1.get_secret("db-password", old[0].version).value == "old-password", "get by version")

    log = control(info, "GET", "/requests")["requests"]
    tokens = [r for r in log if r["service"] == "aad" and r["method"] == "POST"]
    check(len(tokens) == 1 and tokens[0]["status"] == 200 and tokens[0]["identity"] == "esx-client",
          "exactly one token request so far: %r" % tokens)
    check(log[0]["service"] == "vault" and log[0]["status"] == 401 and log[0]["identity"] == "",
          "first request is the unauthenticated challenge probe: %r" % log[0])
    check(any(r["path"].endswith("/openid-configuration") and r["status"] == 200 for r in log),
          "MSAL tenant discovery hit the mock")

    # --- set / list with several pages / list versions (vault v2 starts empty)
    c2 = SecretClient(v2, cred, connection_verify=ca)
    for i in range(12):
        c2.set_secret("item-%02d" % i, "value-%d" % i, content_type="text/plain", tags={"n": str(i)})
    got = c2.get_secret("item-07")
    check(got.value == "value-7" and got.properties.tags == {"n": "7"}, "set then get")
    # v2 is seeded with "empty_pages": an empty page with a nextLink precedes every later page.
    pages = [list(page) for page in c2.list_properties_of_secrets(max_page_size=5).by_page()]
    items = [p for page in pages for p in page]
    check([len(p) for p in pages] == [5, 0, 5, 0, 2], "12 secrets in pages of 5 with empty pages between: %r" %
          [len(p) for p in pages])
    check(sorted(p.name for p in items) == ["item-%02d" % i for i in range(12)], "every secret listed once")
    check(all(p.content_type == "text/plain" for p in items), "list items carry contentType")
    for i in range(3):
        c2.set_secret("rotating", "gen-%d" % i)
    vpages = [list(page) for page in c2.list_properties_of_secret_versions("rotating", max_page_size=2).by_page()]
    check([len(p) for p in vpages] == [2, 0, 1], "3 versions in pages of 2 (and an empty one)")
    check(len({p.version for page in vpages for p in page}) == 3, "three distinct versions listed")
    check(c2.get_secret("rotating").value == "gen-2", "latest is the newest version")

    # --- update attributes, disabled secret -> 403 SecretDisabled
    c2.update_secret_properties("rotating", enabled=False)
    e = expect_raises(HttpResponseError, lambda: c2.get_secret("rotating"),
                      "Operation get is not allowed on a disabled secret.", "disabled secret", status=403)
    check(e is not None and e.error is not None and e.error.code == "Forbidden", "disabled secret error code")
    expect_raises(HttpResponseError, lambda: c1.get_secret("disabled-one"),
                  "Operation get is not allowed on a disabled secret.", "seeded disabled secret", status=403)

    # --- delete / get deleted / list deleted / recover / purge
    poller = c2.begin_delete_secret("item-03", _polling_interval=0)
    deleted = poller.result()
    check(deleted.name == "item-03" and deleted.recovery_id.endswith("/deletedsecrets/item-03"), "delete result")
    check(deleted.deleted_date is not None and deleted.scheduled_purge_date is not None, "deleted dates")
    expect_raises(ResourceNotFoundError, lambda: c2.get_secret("item-03"), "A secret with (name/id) item-03 was not found",
                  "get after delete")
    check(c2.get_deleted_secret("item-03").name == "item-03", "get deleted")
    check([d.name for d in c2.list_deleted_secrets()] == ["item-03"], "list deleted")
    expect_raises(HttpResponseError, lambda: c2.set_secret("item-03", "x"),
                  "is currently in a deleted but recoverable state", "set on a soft-deleted name", status=409)
    recovered = c2.begin_recover_deleted_secret("item-03", _polling_interval=0).result()
    check(recovered.name == "item-03", "recover result")
    check(c2.get_secret("item-03").value == "value-3", "value back after recover")
    c2.begin_delete_secret("item-04", _polling_interval=0).wait()
    c2.purge_deleted_secret("item-04")
    expect_raises(ResourceNotFoundError, lambda: c2.get_deleted_secret("item-04"), "Deleted Secret not found: item-04",
                  "purged secret is gone")
    check("gone" in [d.name for d in c1.list_deleted_secrets()], "seeded deleted secret listed")

    # --- error cases, each with the SDK's own exception type and the mock's message
    expect_raises(ResourceNotFoundError, lambda: c1.get_secret("nope"),
                  "A secret with (name/id) nope was not found in this key vault", "missing secret", status=404)
    expect_raises(ResourceNotFoundError, lambda: c1.get_secret("db-password", "ffffffffffffffffffffffffffffffff"),
                  "db-password/ffffffffffffffffffffffffffffffff was not found", "missing version", status=404)
    reader = SecretClient(v1, credential("reader-client", "reader-secret"), connection_verify=ca)
    check(reader.get_secret("db-password").value == "s3cr3t", "reader may get")
    e = expect_raises(HttpResponseError, lambda: list(reader.list_properties_of_secrets()),
                      "does not have secrets list permission on key vault 'v1;location=eastus'", "reader may not list",
                      status=403)
    expect_raises(HttpResponseError, lambda: reader.set_secret("x", "y"), "does not have secrets set permission",
                  "reader may not set", status=403)
    expect_raises(ClientAuthenticationError, lambda: SecretClient(v1, credential(secret="wrong"),
                                                                  connection_verify=ca).get_secret("db-password"),
                  "AADSTS7000215: Invalid client secret provided", "wrong client secret")
    expect_raises(ClientAuthenticationError, lambda: SecretClient(v1, credential(client="no-such-app"),
                                                                  connection_verify=ca).get_secret("db-password"),
                  "AADSTS700016: Application with identifier 'no-such-app' was not found", "unknown client")
    # MSAL's tenant discovery meets the 400 first and reports it in its own words;
    # the token endpoint's own body is checked directly below.
    control(info, "POST", "/reset-log")
    expect_raises(ClientAuthenticationError,
                  lambda: credential(tenant_id="no-such-tenant").get_token("https://%s/.default" % suffix),
                  "Unable to get authority configuration", "unknown tenant (MSAL discovery)")
    log = control(info, "GET", "/requests")["requests"]
    check([(r["path"], r["status"]) for r in log] == [("/no-such-tenant/v2.0/.well-known/openid-configuration", 400)],
          "unknown tenant: discovery answered 400 and no token request followed: %r" % log)
    ctx = ssl.create_default_context(cafile=ca)
    form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "esx-client",
                                   "client_secret": "esx-secret", "scope": "https://%s/.default" % suffix}).encode()
    try:
        urllib.request.urlopen(info["authority"] + "/no-such-tenant/oauth2/v2.0/token", data=form, context=ctx,
                               timeout=10)
        check(False, "unknown tenant token request must fail")
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        check(e.code == 400 and body["error"] == "invalid_request" and body["error_codes"] == [90002] and
              body["error_description"].startswith("AADSTS90002: Tenant 'no-such-tenant' not found."),
              "unknown tenant token body: %d %r" % (e.code, body))

    # --- managed identity through the IMDS mock (user-assigned, by client id)
    os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"] = info["imds"]
    try:
        mi = SecretClient(v1, ManagedIdentityCredential(client_id="mi-user"), connection_verify=ca)
        check(mi.get_secret("db-password").value == "s3cr3t", "managed identity (IMDS) get")
        system = SecretClient(v1, ManagedIdentityCredential(), connection_verify=ca)
        check(system.get_secret("db-password").value == "s3cr3t", "system-assigned identity (IMDS) get")
        imds = [r for r in control(info, "GET", "/requests")["requests"] if r["service"] == "imds"]
        check([r["identity"] for r in imds] == ["mi-user", "mi-system"] and all(r["status"] == 200 for r in imds),
              "IMDS log names both identities: %r" % imds)
        unknown = SecretClient(v1, ManagedIdentityCredential(client_id="not-assigned"), connection_verify=ca)
        # IMDS answers 400 "Identity not found"; the SDK turns that into its own
        # CredentialUnavailableError wording.
        control(info, "POST", "/reset-log")
        expect_raises(CredentialUnavailableError, lambda: unknown.get_secret("db-password"),
                      "The requested identity has not been assigned to this resource", "IMDS unknown identity")
        imds = [r for r in control(info, "GET", "/requests")["requests"] if r["service"] == "imds"]
        check(len(imds) == 1 and imds[0]["status"] == 400, "IMDS log: %r" % imds)
    finally:
        del os.environ["AZURE_POD_IDENTITY_AUTHORITY_HOST"]

    # --- fault injection: one 503, the SDK retries and succeeds; the log shows both
    control(info, "POST", "/reset-log")
    control(info, "POST", "/faults", {"target": "vault", "vault": "v1", "kind": "status", "status": 503, "count": 1})
    check(c1.get_secret("db-password").value == "s3cr3t", "get succeeds after one injected 503")
    log = control(info, "GET", "/requests")["requests"]
    check([(r["status"], r["fault"]) for r in log] == [(503, "status"), (200, "")], "log shows 503 then 200: %r" % log)
    check(all(r["host"].startswith("v1.") for r in log), "no request reached another host")

    # AAD outage: a fresh credential cannot get a token; the vault itself is fine
    control(info, "POST", "/faults", {"kind": "aad_outage", "status": 400})
    control(info, "POST", "/reset-log")
    expect_raises(ClientAuthenticationError, lambda: credential().get_token("https://%s/.default" % suffix),
                  "Authentication failed", "AAD outage")
    log = control(info, "GET", "/requests")["requests"]
    check(len(log) >= 1 and all(r["service"] == "aad" and r["fault"] == "status" and r["status"] == 400 for r in log),
          "AAD outage log: %r" % log)
    control(info, "DELETE", "/faults")
    check(credential().get_token("https://%s/.default" % suffix).token.count(".") == 2, "AAD back after outage")


def main():
    return harness.run_against_mock(MOCK, SEED, run)


if __name__ == "__main__":
    sys.exit(main())
