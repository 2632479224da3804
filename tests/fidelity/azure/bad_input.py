#!/usr/bin/python3
# Bad input against esx-mock-azure: malformed form bodies, JSON, JWTs, names,
# versions, query parameters, oversized bodies and headers, garbage request
# lines and injected connection faults. Each gets the documented status and
# body (or, where the listener's limits apply, a closed connection), and the
# server keeps answering afterwards and exits 0 on SIGTERM.
#
# usage: bad_input.py ESX_MOCK_AZURE SEED_JSON
import base64
import http.client
import json
import socket
import ssl
import sys
import urllib.parse

import harness
from harness import check

MOCK, SEED = sys.argv[1], sys.argv[2]
class Client:
    def __init__(self, info):
        self.info = info
        self.port = int(info["authority"].rsplit(":", 1)[1])
        self.imds_port = int(info["imds"].rsplit(":", 1)[1])
        self.ctx = ssl.create_default_context(cafile=info["ca"])
        self.ctx.check_hostname = False  # we connect to 127.0.0.1 and set Host ourselves

    def raw(self, data, tls=True, port=None, timeout=10):
        """Sends bytes on a fresh connection; returns (status, headers, body) or None if closed unanswered."""
        s = socket.create_connection(("127.0.0.1", port or self.port), timeout=timeout)
        try:
            if tls:
                s = self.ctx.wrap_socket(s, server_hostname="localhost")
            try:
                s.sendall(data)
            except (ssl.SSLError, ConnectionError):
                pass  # the server may close as soon as it has seen enough (e.g. Content-Length over its limit)
            resp = http.client.HTTPResponse(s)
            try:
                resp.begin()
            except (http.client.RemoteDisconnected, ConnectionResetError, ssl.SSLError, http.client.BadStatusLine):
                return None
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            s.close()

    def request(self, method, path, host=None, headers=None, body=b"", tls=True, port=None):
        host = host or "127.0.0.1:%d" % self.port
        if isinstance(body, str):
            body = body.encode()
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + host, "Connection: close",
                 "Content-Length: %d" % len(body)]
        for k, v in (headers or {}).items():
            lines.append("%s: %s" % (k, v))
        return self.raw(("\r\n".join(lines) + "\r\n\r\n").encode() + body, tls=tls, port=port)

    def token_request(self, form, tenant=None, content_type="application/x-www-form-urlencoded"):
        body = form if isinstance(form, (bytes, str)) else urllib.parse.urlencode(form)
        return self.request("POST", "/%s/oauth2/v2.0/token" % (tenant or self.info["tenant"]),
                            headers={"Content-Type": content_type}, body=body)

    def vault(self, method, path, token=None, body=b"", vault="v1", extra=None):
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = token if token.startswith(("Bearer ", "Basic ")) else "Bearer " + token
        headers.update(extra or {})
        return self.request(method, path, host="%s.%s:%d" % (vault, self.info["vault_suffix"], self.port),
                            headers=headers, body=body)


def jbody(r):
    try:
        return json.loads(r[2])
    except Exception:
        return None


def expect_aad(r, status, error, code, what):
    b = jbody(r) if r else None
    ok = (r is not None and r[0] == status and b is not None and b.get("error") == error and
          b.get("error_codes") == [code] and b.get("error_description", "").startswith("AADSTS%d: " % code))
    check(ok, "%s: expected %d %s AADSTS%d, got %r" % (what, status, error, code, r and (r[0], r[2][:200])))


def expect_kv(r, status, code, message_part, what, inner=None):
    b = jbody(r) if r else None
    err = (b or {}).get("error") or {}
    ok = (r is not None and r[0] == status and err.get("code") == code and message_part in err.get("message", ""))
    if inner is not None:
        ok = ok and (err.get("innererror") or {}).get("code") == inner
    check(ok, "%s: expected %d %s %r, got %r" % (what, status, code, message_part, r and (r[0], r[2][:300])))
    return r


def expect_challenge(r, info, message_part, what):
    expect_kv(r, 401, "Unauthorized", message_part, what)
    port = info["authority"].rsplit(":", 1)[1]
    want = 'Bearer authorization="%s/%s", resource="https://%s:%s"' % (info["authority"], info["tenant"],
                                                                       info["vault_suffix"], port)
    check(r is not None and r[1].get("www-authenticate") == want,
          "%s: challenge header %r" % (what, r and r[1].get("www-authenticate")))


def run(info):
    c = Client(info)
    suffix = info["vault_suffix"]
    scope = "https://%s:%d/.default" % (suffix, c.port)
    good = {"grant_type": "client_credentials", "client_id": "esx-client", "client_secret": "esx-secret",
            "scope": scope}

    # ---- Entra ID token endpoint
    expect_aad(c.token_request(json.dumps(good), content_type="application/json"), 400, "invalid_request", 900144,
               "JSON instead of a form")
    expect_aad(c.token_request("grant_type=%ZZ&client_id=esx-client"), 400, "invalid_request", 900144,
               "bad percent escape")
    expect_aad(c.token_request(b"\x00\xff\xfe binary \x01"), 400, "invalid_request", 900144, "binary body")
    expect_aad(c.token_request(""), 400, "invalid_request", 900144, "empty body")
    expect_aad(c.token_request(dict(good, grant_type="password")), 400, "unsupported_grant_type", 70003,
               "unsupported grant")
    expect_aad(c.token_request({k: v for k, v in good.items() if k != "client_id"}), 400, "invalid_request", 900144,
               "missing client_id")
    expect_aad(c.token_request({k: v for k, v in good.items() if k != "client_secret"}), 401, "invalid_client",
               7000216, "missing credential")
    expect_aad(c.token_request(dict(good, client_secret="nope")), 401, "invalid_client", 7000215, "wrong secret")
    expect_aad(c.token_request(dict(good, client_id="ghost")), 400, "unauthorized_client", 700016, "unknown client")
    expect_aad(c.token_request(good, tenant="ghost-tenant"), 400, "invalid_request", 90002, "unknown tenant")
    expect_aad(c.token_request(dict(good, scope="https://%s:%d" % (suffix, c.port))), 400, "invalid_scope", 1002012,
               "scope without /.default")
    expect_aad(c.token_request(dict(good, scope="https://management.azure.com/.default")), 400, "invalid_resource",
               500011, "scope for another resource")
    expect_aad(c.request("GET", "/%s/oauth2/v2.0/token" % info["tenant"]), 405, "invalid_request", 900561,
               "GET on the token endpoint")
    r = c.token_request(dict(good, client_info="1", claims='{"access_token":{"xms_cc":{"values":["CP1"]}}}',
                             **{"x-client-sku": "test"}))
    check(r is not None and r[0] == 200 and jbody(r)["token_type"] == "Bearer" and
          isinstance(jbody(r)["expires_in"], int), "unknown form fields are ignored: %r" % (r and r[2][:200]))
    token = jbody(r)["access_token"]
    r = c.request("GET", "/%s/v2.0/.well-known/openid-configuration" % info["tenant"])
    check(r is not None and r[0] == 200 and
          jbody(r)["token_endpoint"] == "%s/%s/oauth2/v2.0/token" % (info["authority"], info["tenant"]),
          "openid-configuration token_endpoint")
    r = c.request("GET", "/%s/discovery/v2.0/keys" % info["tenant"])
    check(r is not None and r[0] == 200 and jbody(r)["keys"][0]["kty"] == "RSA", "JWKS")

    # ---- Key Vault: authentication
    expect_challenge(c.vault("GET", "/secrets/db-password?api-version=7.3"), info,
                     "AKV10000: Request is missing a Bearer or PoP token.", "no token")
    expect_challenge(c.vault("GET", "/secrets/db-password?api-version=7.3", token="Basic dXNlcjpwdw=="), info,
                     "AKV10000", "Basic instead of Bearer")
    for name, bad in [("garbage", "not-a-jwt"), ("two segments", "a.b"), ("bad base64", "!!.??.##"),
                      ("alg none", base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=") + "." +
                       token.split(".")[1] + "."),
                      ("tampered payload", token.split(".")[0] + "." +
                       base64.urlsafe_b64encode(b'{"appid":"esx-client","exp":9999999999}').decode().rstrip("=") +
                       "." + token.split(".")[2]),
                      ("tampered signature", token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))]:
        expect_challenge(c.vault("GET", "/secrets/db-password?api-version=7.3", token=bad), info, "AKV1", name)
    foreign = jbody(c.token_request({"grant_type": "client_credentials", "client_id": "foreign-client",
                                     "client_secret": "foreign-secret", "scope": scope}, tenant="other-tenant"))
    r = c.vault("GET", "/secrets/db-password?api-version=7.3", token=foreign["access_token"])
    check(r is not None and r[0] == 401 and "AKV10032: Invalid issuer" in r[2].decode(),
          "token from another tenant: %r" % (r and r[2][:200]))
    r = c.vault("GET", "/secrets/db-password?api-version=7.3", token=token)
    check(r is not None and r[0] == 200 and jbody(r)["value"] == "s3cr3t", "valid token works")
    check(r is not None and r[1].get("content-type") == "application/json; charset=utf-8", "content type")
    r = c.vault("GET", "/secrets/db-password/%2F?api-version=7.6-preview.2", token=token,
                extra={"x-ms-client-request-id": "abc-123"})
    check(r is not None and r[0] == 200 and r[1].get("x-ms-client-request-id") == "abc-123",
          "latest via /%2F and request id echo")

    # ---- Key Vault: names, versions, api-versions, query parameters
    expect_kv(c.vault("GET", "/secrets/bad_name?api-version=7.3", token=token), 400, "BadParameter",
              "The request URI contains an invalid name: bad_name", "underscore in a name")
    expect_kv(c.vault("GET", "/secrets/%s?api-version=7.3" % ("a" * 128), token=token), 400, "BadParameter",
              "invalid name", "128-character name")
    r = c.vault("PUT", "/secrets/%s?api-version=7.3" % ("a" * 127), token=token, body='{"value":"x"}')
    check(r is not None and r[0] == 200, "127-character name is fine")
    expect_kv(c.vault("GET", "/secrets/db-password/xyz?api-version=7.3", token=token), 404, "SecretNotFound",
              "db-password/xyz was not found", "malformed version")
    expect_kv(c.vault("GET", "/secrets/db-password?api-version=9.9", token=token), 400, "BadParameter",
              "The specified version (9.9) is not recognized. Consider using the latest supported version (2025-07-01).",
              "unknown api-version")
    expect_kv(c.vault("GET", "/secrets/db-password", token=token), 400, "BadParameter", "api-version",
              "missing api-version")
    for bad in ("0", "26", "abc", ""):
        expect_kv(c.vault("GET", "/secrets?api-version=7.3&maxresults=" + bad, token=token), 400, "BadParameter",
                  "maxresults", "maxresults=" + bad)
    expect_kv(c.vault("GET", "/secrets?api-version=7.3&$skiptoken=%%%", token=token), 400, "BadParameter",
              "malformed query", "malformed query escape")
    expect_kv(c.vault("GET", "/secrets?api-version=7.3&$skiptoken=bm9wZQ", token=token), 400, "BadParameter",
              "skip token", "foreign skiptoken")
    r = c.vault("GET", "/secrets?api-version=7.3&maxresults=1", token=token)
    b = jbody(r)
    check(r[0] == 200 and len(b["value"]) == 1 and b["nextLink"].startswith(info["vaults"]["v1"] + "/secrets?"),
          "first page has an absolute nextLink")
    tok = urllib.parse.parse_qs(urllib.parse.urlparse(b["nextLink"]).query)["$skiptoken"][0]
    check(all(ch.isalnum() or ch in "-_" for ch in tok), "skiptoken is URL-safe: " + tok)

    # ---- Key Vault: request bodies
    for what, body in [("malformed JSON", '{"value": '), ("JSON array", "[1,2]"), ("not JSON", "value=x"),
                       ("empty body", "")]:
        expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token, body=body), 400, "BadParameter",
                  "not a valid JSON object", what)
    expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token, body='{"value": 5}'), 400,
              "BadParameter", "'value'", "numeric value")
    expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token, body='{"contentType": "x"}'), 400,
              "BadParameter", "'value'", "missing value")
    expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token,
                      body=json.dumps({"value": "x" * (25 * 1024 + 1)})), 400, "BadParameter", "25 KB",
              "value over 25 KB")
    expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token,
                      body='{"value": "x", "attributes": {"exp": "tomorrow"}}'), 400, "BadParameter",
              "attributes.exp", "string exp")
    expect_kv(c.vault("PUT", "/secrets/new-one?api-version=7.3", token=token,
                      body='{"value": "x", "tags": {"a": 1}}'), 400, "BadParameter", "tag values", "numeric tag")
    expect_kv(c.vault("PATCH", "/secrets/db-password/?api-version=7.3", token=token, body="{oops"), 400,
              "BadParameter", "not a valid JSON object", "PATCH with malformed JSON")
    expect_kv(c.vault("GET", "/secrets/disabled-one?api-version=7.3", token=token), 403, "Forbidden",
              "Operation get is not allowed on a disabled secret.", "disabled", inner="SecretDisabled")
    expect_kv(c.vault("GET", "/secrets/db-password?api-version=7.3", token=token, vault="nosuchvault"), 404,
              "VaultNotFound", "nosuchvault", "unknown vault host")

    # ---- per-vault throttling: v3 allows 5 secret operations per 60 s, without Retry-After
    for i in range(5):
        r = c.vault("GET", "/secrets/busy?api-version=7.3", token=token, vault="v3")
        check(r is not None and r[0] == 200, "v3 request %d within the limit" % (i + 1))
    r = expect_kv(c.vault("GET", "/secrets/busy?api-version=7.3", token=token, vault="v3"), 429, "Throttled",
                  "Request was not processed because too many requests were received. Reason: "
                  "VaultRequestTypeLimitReached", "over the per-vault limit")
    check(r is not None and "retry-after" not in r[1], "429 without Retry-After when none is configured")
    r = c.vault("GET", "/secrets/db-password?api-version=7.3", token=token)
    check(r is not None and r[0] == 200, "other vaults are not throttled")
    ctl = dict(tls=False, port=int(info["control"].rsplit(":", 1)[1]))
    r = c.request("POST", "/throttle", body=json.dumps({"vault": "v3", "limit": 1, "retry_after": 4}), **ctl)
    check(r is not None and r[0] == 200, "throttle changed at run time")
    check(c.vault("GET", "/secrets/busy?api-version=7.3", token=token, vault="v3")[0] == 200, "new window")
    r = c.vault("GET", "/secrets/busy?api-version=7.3", token=token, vault="v3")
    check(r is not None and r[0] == 429 and r[1].get("retry-after") == "4", "429 with Retry-After: 4")
    r = c.request("POST", "/throttle", body=json.dumps({"vault": "nope"}), **ctl)
    check(r is not None and r[0] == 400, "throttle for an unknown vault is rejected")

    # ---- IMDS (plain HTTP)
    imds = dict(tls=False, port=c.imds_port, host="127.0.0.1:%d" % c.imds_port)
    q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=" + urllib.parse.quote(
        "https://%s:%d" % (suffix, c.port), safe="")
    r = c.request("GET", q, **imds)
    check(r is not None and r[0] == 400 and jbody(r) == {"error": "bad_request_102",
                                                          "error_description": "Required metadata header not specified"},
          "IMDS without Metadata: %r" % (r and r[2]))
    r = c.request("GET", q, headers={"Metadata": "true"}, **imds)
    b = jbody(r)
    check(r[0] == 200 and b["client_id"] == "mi-system" and isinstance(b["expires_in"], str) and
          b["resource"] == "https://%s:%d" % (suffix, c.port), "IMDS system-assigned: %r" % b)
    r = c.request("GET", q + "&client_id=nobody", headers={"Metadata": "true"}, **imds)
    check(r[0] == 400 and jbody(r) == {"error": "invalid_request", "error_description": "Identity not found"},
          "IMDS unknown identity")
    r = c.request("GET", q.split("&resource=")[0] + "&resource=https%3A%2F%2Fmanagement.azure.com",
                  headers={"Metadata": "true"}, **imds)
    check(r[0] == 400 and jbody(r)["error"] == "invalid_resource", "IMDS unknown resource")

    # ---- listener limits: oversized body and header, garbage request line
    big = b"x" * (2 * 1024 * 1024)
    r = c.raw(b"PUT /secrets/big?api-version=7.3 HTTP/1.1\r\nHost: v1.%s:%d\r\nAuthorization: Bearer %s\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" %
              (suffix.encode(), c.port, token.encode(), len(big)) + big[:65536])
    check(r is not None and r[0] == 413 and r[1].get("connection") == "close",
          "2 MiB body: 413 Payload Too Large, then the connection closes (listener limit 1 MiB): %r" % (r,))
    r = c.raw(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (100 * 1024) + b"\r\n\r\n")
    check(r is not None and r[0] == 431, "100 KiB header: 431 Request Header Fields Too Large: %r" % (r,))
    check(c.raw(b"HELLO WORLD\r\n\r\n") is None, "garbage request line: connection closed")
    check(c.raw(b"\x16\x03\x01garbage", tls=False) is None, "garbage TLS handshake: connection closed")

    # ---- injected connection faults, then the server still answers
    def fault(spec):
        r = c.request("POST", "/faults", body=json.dumps(spec), tls=False, port=int(info["control"].rsplit(":", 1)[1]),
                      host="127.0.0.1")
        check(r is not None and r[0] == 200, "fault accepted: %r" % (spec,))

    r = c.request("POST", "/faults", body="{bad", tls=False, port=int(info["control"].rsplit(":", 1)[1]))
    check(r is not None and r[0] == 400, "malformed fault rejected")
    r = c.request("POST", "/faults", body='{"kind": "explode"}', tls=False,
                  port=int(info["control"].rsplit(":", 1)[1]))
    check(r is not None and r[0] == 400, "unknown fault kind rejected")
    for kind in ("reset", "truncate"):
        fault({"target": "vault", "kind": kind})
        s = socket.create_connection(("127.0.0.1", c.port), timeout=10)
        s = c.ctx.wrap_socket(s, server_hostname="localhost")
        s.sendall(b"GET /secrets/db-password?api-version=7.3 HTTP/1.1\r\nHost: v1.%s:%d\r\nAuthorization: Bearer %s"
                  b"\r\nConnection: close\r\n\r\n" % (suffix.encode(), c.port, token.encode()))
        resp = http.client.HTTPResponse(s)
        resp.begin()
        try:
            resp.read()
            check(False, kind + ": body must be incomplete")
        except (http.client.IncompleteRead, ssl.SSLError, ConnectionError):
            check(True, kind)
        s.close()
    fault({"target": "vault", "kind": "status", "status": 429, "retry_after": 7})
    r = c.vault("GET", "/secrets/db-password?api-version=7.3", token=token)
    expect_kv(r, 429, "Throttled", "VaultRequestTypeLimitReached", "injected 429")
    check(r is not None and r[1].get("retry-after") == "7", "429 carries Retry-After")
    fault({"target": "vault", "kind": "hang"})
    try:
        c.raw(b"GET /secrets/db-password?api-version=7.3 HTTP/1.1\r\nHost: v1.%s:%d\r\n\r\n" % (suffix.encode(), c.port),
              timeout=0.5)
        check(False, "hang: expected no answer")
    except (socket.timeout, TimeoutError):
        check(True, "hang")
    r = c.vault("GET", "/secrets/db-password?api-version=7.3", token=token)
    check(r is not None and r[0] == 200, "server still answers after all of the above")


def main():
    return harness.run_against_mock(MOCK, SEED, run)


if __name__ == "__main__":
    sys.exit(main())
