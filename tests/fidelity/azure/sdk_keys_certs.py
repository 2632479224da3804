#!/usr/bin/python3
# Fidelity: Debian's python3-azure KeyClient (keys 4.8.0b3, api-version
# 7.4-preview.1), CertificateClient (4.7.0b1), CertificateCredential (MSAL 1.21
# client assertion) and the workload-identity token exchange
# (ClientAssertionCredential, and ManagedIdentityCredential reading
# AZURE_FEDERATED_TOKEN_FILE) against esx-mock-azure. The SDK is unmodified;
# the test adds to the example seed an application with a freshly generated
# certificate and one with a federated credential, whose issuer's JWKS it
# registers through the control endpoint. Challenge-resource verification
# stays ON.
#
# usage: sdk_keys_certs.py ESX_MOCK_AZURE SEED_JSON
import base64
import datetime
import hashlib
import json
import os
import shutil
import sys
import tempfile

import time

import harness
from harness import check, control, expect_raises

MOCK, SEED = sys.argv[1], sys.argv[2]

harness.isolate_network()

try:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError, ResourceNotFoundError
    from azure.identity import (CertificateCredential, ClientAssertionCredential, ClientSecretCredential,
                                ManagedIdentityCredential)
    import jwt
    from azure.keyvault.certificates import CertificateClient, CertificateContentType, CertificatePolicy
    from azure.keyvault.keys import JsonWebKey, KeyClient
    from azure.keyvault.secrets import SecretClient
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
except ImportError as e:
    print("SKIP: Debian's python3-azure is not installed (%s)" % e)
    sys.exit(77)  # Meson's "skipped"


def make_cert(cn):
    """A self-signed RSA certificate and its key, as PEM (key first, as CertificateCredential reads it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return key_pem + cert.public_bytes(serialization.Encoding.PEM), cert.public_bytes(serialization.Encoding.PEM)


ISSUER = "https://kube.esx.test/oidc"
SUBJECT = "system:serviceaccount:apps:sync"


def b64url_int(n, size=None):
    raw = n.to_bytes(size or (n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def workload_identity(info, ca, authority, tenant, v1, tmp):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rn, en = rsa_key.public_key().public_numbers(), ec_key.public_key().public_numbers()
    jwks = {"keys": [{"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": b64url_int(rn.n),
                      "e": b64url_int(rn.e)},
                     {"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256",
                      "x": b64url_int(en.x, 32), "y": b64url_int(en.y, 32)}]}

    def sa_token(sub=SUBJECT, exp_in=3600, key=rsa_key, alg="RS256", kid="rsa-1", aud="api://AzureADTokenExchange"):
        now = int(time.time())
        claims = {"iss": ISSUER, "sub": sub, "aud": [aud], "iat": now, "nbf": now, "exp": now + exp_in,
                  "kubernetes.io": {"namespace": "apps", "serviceaccount": {"name": "sync", "uid": "1234"}}}
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})

    # azure-identity 1.13.0b2's ClientAssertionCredential forwards its keyword
    # arguments to object.__init__ (TypeError for any of them), so the authority
    # and the CA come from the environment here, as in an AKS pod.
    def client(assertion):
        return SecretClient(v1, ClientAssertionCredential(tenant, "wi-client", lambda: assertion),
                            connection_verify=ca)

    os.environ["AZURE_AUTHORITY_HOST"] = info["authority"] + "/"
    os.environ["REQUESTS_CA_BUNDLE"] = ca
    try:
        workload_identity_checks(info, tenant, v1, tmp, sa_token, client, rsa_key, ec_key, jwks)
    finally:
        del os.environ["AZURE_AUTHORITY_HOST"]
        del os.environ["REQUESTS_CA_BUNDLE"]


def workload_identity_checks(info, tenant, v1, tmp, sa_token, client, rsa_key, ec_key, jwks):
    ca = info["ca"]

    # Before the issuer's keys are known, the signature cannot be checked.
    expect_raises(ClientAuthenticationError, lambda: client(sa_token()).get_secret("db-password"),
                  "AADSTS700027", "federated assertion from an unregistered issuer")
    control(info, "POST", "/issuers", {"issuer": ISSUER, "jwks": jwks})
    check(client(sa_token()).get_secret("db-password").value == "s3cr3t", "ClientAssertionCredential (RS256 SA token)")
    check(client(sa_token(key=ec_key, alg="ES256", kid="ec-1")).get_secret("db-password").value == "s3cr3t",
          "ClientAssertionCredential (ES256 SA token)")
    expect_raises(ClientAuthenticationError,
                  lambda: client(sa_token(sub="system:serviceaccount:apps:other")).get_secret("db-password"),
                  "AADSTS70021: No matching federated identity record found for presented assertion. Assertion "
                  "Issuer: '%s'. Assertion Subject: 'system:serviceaccount:apps:other'." % ISSUER, "wrong subject")
    expect_raises(ClientAuthenticationError,
                  lambda: client(sa_token(aud="api://something-else")).get_secret("db-password"),
                  "AADSTS70021", "wrong audience")
    expect_raises(ClientAuthenticationError, lambda: client(sa_token(exp_in=-60)).get_secret("db-password"),
                  "AADSTS700024: Client assertion is not within its valid time range.", "expired SA token")
    forged = sa_token(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    expect_raises(ClientAuthenticationError, lambda: client(forged).get_secret("db-password"),
                  "AADSTS700027", "SA token signed by another key")

    # The AKS workload-identity environment: ManagedIdentityCredential picks the token exchange.
    token_file = os.path.join(tmp, "azure-identity-token")
    with open(token_file, "w") as f:
        f.write(sa_token())
    env = {"AZURE_TENANT_ID": tenant, "AZURE_CLIENT_ID": "wi-client", "AZURE_FEDERATED_TOKEN_FILE": token_file}
    os.environ.update(env)
    try:
        control(info, "POST", "/reset-log")
        mi = SecretClient(v1, ManagedIdentityCredential(), connection_verify=ca)
        check(mi.get_secret("db-password").value == "s3cr3t", "ManagedIdentityCredential via token exchange")
        log = control(info, "GET", "/requests")["requests"]
        # (The challenge is cached process-wide per vault, so no 401 probe this time.)
        aad = [r for r in log if r["service"] != "vault"]
        check(len(aad) == 1 and aad[0]["identity"] == "wi-client" and aad[0]["status"] == 200 and
              aad[0]["path"] == "/%s/oauth2/v2.0/token" % tenant and log[-1]["status"] == 200,
              "token exchange posts straight to the token endpoint, no IMDS, no discovery: %r" %
              [(r["service"], r["path"]) for r in log])
    finally:
        for k in env:
            del os.environ[k]


def run(info, cert_file, rogue_file):
    ca = info["ca"]
    authority = info["authority"][len("https://"):]
    tenant = info["tenant"]
    v1 = info["vaults"]["v1"]
    harness.resolve_vault_hosts(info["vault_suffix"])

    # ---- CertificateCredential (client assertion signed with a registered certificate)
    for chain in (False, True):
        cc = CertificateCredential(tenant, "cert-client", certificate_path=cert_file, authority=authority,
                                   instance_discovery=False, connection_verify=ca, send_certificate_chain=chain)
        s = SecretClient(v1, cc, connection_verify=ca).get_secret("db-password")
        check(s.value == "s3cr3t", "CertificateCredential (send_certificate_chain=%s) reads a secret" % chain)
    rogue = CertificateCredential(tenant, "cert-client", certificate_path=rogue_file, authority=authority,
                                  instance_discovery=False, connection_verify=ca)
    expect_raises(ClientAuthenticationError, lambda: SecretClient(v1, rogue, connection_verify=ca).get_secret("x"),
                  "AADSTS700027: Client assertion failed signature validation. [Reason - The key was not found.",
                  "unregistered certificate")

    cred = ClientSecretCredential(tenant, "esx-client", "esx-secret", authority=authority, instance_discovery=False,
                                  connection_verify=ca)

    # ---- keys: RSA 2048/3072/4096, EC P-256/384/521; public JWK only
    keys = KeyClient(v1, cred, connection_verify=ca)
    for name, size in (("rsa-2048", 256), ("rsa-3072", 384), ("rsa-4096", 512)):
        k = keys.get_key(name)
        check(k.key_type == "RSA" and len(k.key.n) == size and k.key.e == b"\x01\x00\x01",
              "%s: RSA modulus of %d bytes" % (name, size))
        check(k.key.d is None and k.key.p is None, name + ": no private members")
        check(k.id == "%s/keys/%s/%s" % (v1, name, k.properties.version), name + ": kid")
    for name, crv, size in (("ec-p256", "P-256", 32), ("ec-p384", "P-384", 48), ("ec-p521", "P-521", 66)):
        k = keys.get_key(name)
        check(k.key_type == "EC" and k.key.crv == crv and len(k.key.x) == size and len(k.key.y) == size,
              "%s: %s coordinates of %d bytes" % (name, crv, size))
        check(k.key_operations == ["sign", "verify"], name + ": key_ops")
    versions = list(keys.list_properties_of_key_versions("rsa-2048"))
    check(len(versions) == 2, "rsa-2048 has two versions")
    older = [v.version for v in versions if v.version != keys.get_key("rsa-2048").properties.version]
    check(len(older) == 1 and keys.get_key("rsa-2048", older[0]).properties.version == older[0], "key by version")
    check(keys.get_key("rsa-2048").properties.tags == {"purpose": "signing"}, "key tags")
    listed = {p.name: p for p in keys.list_properties_of_keys(max_page_size=3)}
    check(set(listed) == {"rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "ec-p521", "tls-cert", "pem-cert"},
          "every key listed (including certificate-backed ones): %r" % sorted(listed))
    check(listed["tls-cert"].managed is True and listed["rsa-2048"].managed is None, "managed flag")
    expect_raises(ResourceNotFoundError, lambda: keys.get_key("nope"), "A key with (name/id) nope was not found",
                  "missing key", status=404)

    # ---- certificates, and the key and secret behind them
    certs = CertificateClient(v1, cred, connection_verify=ca)
    c = certs.get_certificate("tls-cert")
    der = bytes(c.cer)
    parsed = x509.load_der_x509_certificate(der)
    check(parsed.subject.rfc4514_string() == "CN=api.example.test", "certificate subject")
    check(c.properties.x509_thumbprint == hashlib.sha1(der).digest(), "x5t is the SHA-1 thumbprint of cer")
    check(c.policy.subject == "CN=api.example.test" and c.policy.content_type == "application/x-pkcs12",
          "certificate policy")
    check(c.secret_id == "%s/secrets/tls-cert/%s" % (v1, c.properties.version) and
          c.key_id == "%s/keys/tls-cert/%s" % (v1, c.properties.version), "sid and kid")
    check(c.properties.tags == {"team": "platform"}, "certificate tags")
    secrets = SecretClient(v1, cred, connection_verify=ca)
    backing = secrets.get_secret("tls-cert")
    check(backing.properties.content_type == "application/x-pkcs12" and backing.properties.managed is True,
          "backing secret is a managed PKCS#12")
    key, cert, _ = pkcs12.load_key_and_certificates(base64.b64decode(backing.value), None)
    check(cert.public_bytes(serialization.Encoding.DER) == der and key is not None,
          "PKCS#12 holds the certificate and its key")
    check(backing.properties.key_id == c.key_id, "backing secret points at the key")
    pem = secrets.get_secret("pem-cert")
    check(pem.properties.content_type == "application/x-pem-file" and "BEGIN PRIVATE KEY" in pem.value and
          "BEGIN CERTIFICATE" in pem.value, "PEM-backed certificate secret")
    pc = certs.get_certificate("pem-cert")
    check(x509.load_der_x509_certificate(bytes(pc.cer)).subject.rfc4514_string() == "O=esx,CN=pem.example.test",
          "EC certificate subject")
    check(keys.get_key("pem-cert").key.crv == "P-256", "EC certificate's key")
    names = sorted(p.name for p in certs.list_properties_of_certificates())
    check(names == ["pem-cert", "tls-cert"], "list certificates: %r" % names)
    check(len(list(certs.list_properties_of_certificate_versions("tls-cert"))) == 1, "certificate versions")
    expect_raises(ResourceNotFoundError, lambda: certs.get_certificate("nope"),
                  "A certificate with (name/id) nope was not found", "missing certificate", status=404)

    # ---- permissions per object kind
    reader = ClientSecretCredential(tenant, "reader-client", "reader-secret", authority=authority,
                                    instance_discovery=False, connection_verify=ca)
    check(CertificateClient(v1, reader, connection_verify=ca).get_certificate("tls-cert").name == "tls-cert",
          "reader may get certificates")
    expect_raises(HttpResponseError, lambda: KeyClient(v1, reader, connection_verify=ca).get_key("rsa-2048"),
                  "does not have keys get permission on key vault 'v1;location=eastus'", "reader may not get keys",
                  status=403)

    imports(keys, certs, secrets)
    deletions(keys, certs, secrets)
    workload_identity(info, ca, authority, tenant, v1, os.path.dirname(cert_file))


def deletions(keys, certs, secrets):
    deleted = keys.begin_delete_key("imported-rsa", _polling_interval=0).result()
    check(deleted.name == "imported-rsa" and deleted.recovery_id.endswith("/deletedkeys/imported-rsa") and
          deleted.deleted_date is not None, "delete key")
    expect_raises(ResourceNotFoundError, lambda: keys.get_key("imported-rsa"), "A key with (name/id) imported-rsa",
                  "deleted key is gone", status=404)
    check(keys.get_deleted_key("imported-rsa").name == "imported-rsa", "get deleted key")
    check([k.name for k in keys.list_deleted_keys()] == ["imported-rsa"], "list deleted keys")
    expect_raises(HttpResponseError, lambda: keys.import_key("imported-rsa", JsonWebKey(kty="RSA", n=b"\x01" * 256,
                                                                                        e=b"\x01\x00\x01")),
                  "is currently in a deleted but recoverable state", "import over a soft-deleted key", status=409)
    keys.begin_recover_deleted_key("imported-rsa", _polling_interval=0).wait()
    check(keys.get_key("imported-rsa").properties.tags == {"origin": "test"}, "recovered key")
    keys.begin_delete_key("imported-rsa", _polling_interval=0).wait()
    keys.purge_deleted_key("imported-rsa")
    expect_raises(ResourceNotFoundError, lambda: keys.get_deleted_key("imported-rsa"), "Deleted Key not found",
                  "purged key", status=404)
    expect_raises(HttpResponseError, lambda: keys.begin_delete_key("tls-cert", _polling_interval=0),
                  "not allowed on a managed key", "a certificate's key cannot be deleted alone", status=403)

    dc = certs.begin_delete_certificate("imported-pem", _polling_interval=0).result()
    check(dc.name == "imported-pem" and dc.recovery_id.endswith("/deletedcertificates/imported-pem"),
          "delete certificate")
    expect_raises(ResourceNotFoundError, lambda: secrets.get_secret("imported-pem"), "imported-pem",
                  "the certificate's secret goes with it", status=404)
    expect_raises(ResourceNotFoundError, lambda: keys.get_key("imported-pem"), "imported-pem",
                  "the certificate's key goes with it", status=404)
    check(certs.get_deleted_certificate("imported-pem").name == "imported-pem", "get deleted certificate")
    check([c.name for c in certs.list_deleted_certificates()] == ["imported-pem"], "list deleted certificates")
    certs.begin_recover_deleted_certificate("imported-pem", _polling_interval=0).wait()
    check("BEGIN CERTIFICATE" in secrets.get_secret("imported-pem").value, "recovered certificate's secret is back")
    certs.begin_delete_certificate("imported-pem", _polling_interval=0).wait()
    certs.purge_deleted_certificate("imported-pem")
    expect_raises(ResourceNotFoundError, lambda: certs.get_deleted_certificate("imported-pem"),
                  "Deleted Certificate not found", "purged certificate", status=404)


def imports(keys, certs, secrets):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    n = rsa_key.private_numbers()
    to_bytes = lambda i: i.to_bytes((i.bit_length() + 7) // 8, "big")  # noqa: E731
    jwk = JsonWebKey(kty="RSA", n=to_bytes(n.public_numbers.n), e=to_bytes(n.public_numbers.e), d=to_bytes(n.d),
                     p=to_bytes(n.p), q=to_bytes(n.q))
    imported = keys.import_key("imported-rsa", jwk, tags={"origin": "test"})
    check(imported.key.n == to_bytes(n.public_numbers.n) and imported.key.d is None, "import_key keeps the public part")
    check(keys.get_key("imported-rsa").properties.tags == {"origin": "test"}, "imported key readable")

    both, cert_pem = make_cert("imported.example.test")
    cert = x509.load_pem_x509_certificate(cert_pem)
    key = serialization.load_pem_private_key(both, None)
    pfx = pkcs12.serialize_key_and_certificates(b"imported", key, cert, None, serialization.NoEncryption())
    c = certs.import_certificate("imported-pfx", pfx, tags={"origin": "pfx"})
    check(bytes(c.cer) == cert.public_bytes(serialization.Encoding.DER), "import_certificate (PKCS#12)")
    check(certs.get_certificate("imported-pfx").properties.tags == {"origin": "pfx"}, "imported certificate readable")
    backing = secrets.get_secret("imported-pfx")
    check(backing.properties.content_type == "application/x-pkcs12", "imported PKCS#12 backing secret")
    policy = CertificatePolicy(issuer_name="Unknown", subject="CN=imported.example.test",
                               content_type=CertificateContentType.pem)
    c = certs.import_certificate("imported-pem", both, policy=policy)
    check(bytes(c.cer) == cert.public_bytes(serialization.Encoding.DER), "import_certificate (PEM)")
    check("BEGIN CERTIFICATE" in secrets.get_secret("imported-pem").value, "imported PEM backing secret")
    expect_raises(HttpResponseError, lambda: certs.import_certificate("bad-import", b"not a certificate"),
                  "PFX content could not be read", "importing garbage", status=400)


def main():
    tmp = tempfile.mkdtemp(prefix="esx-fidelity-keys-")
    cert_file, rogue_file = os.path.join(tmp, "client.pem"), os.path.join(tmp, "rogue.pem")
    both, cert_pem = make_cert("cert-client")
    with open(cert_file, "wb") as f:
        f.write(both)
    with open(rogue_file, "wb") as f:
        f.write(make_cert("cert-client")[0])
    seed = json.load(open(SEED))
    seed["service_principals"].append({"tenant": seed["tenants"][0]["id"], "client_id": "cert-client",
                                       "certificates": [cert_pem.decode()]})
    seed["access"].append({"identity": "cert-client", "vault": "v1", "secrets": ["get"]})
    seed["service_principals"].append({"tenant": seed["tenants"][0]["id"], "client_id": "wi-client",
                                       "federated_credentials": [{"issuer": ISSUER, "subject": SUBJECT}]})
    seed["access"].append({"identity": "wi-client", "vault": "v1", "secrets": ["get"]})
    # The larger RSA sizes cost seconds to generate, so only this test asks for them.
    seed["vaults"][0]["keys"] += [{"name": "rsa-3072", "kty": "RSA", "size": 3072},
                                  {"name": "rsa-4096", "kty": "RSA", "size": 4096}]
    seed_file = os.path.join(tmp, "seed.json")
    with open(seed_file, "w") as f:
        json.dump(seed, f)
    try:
        return harness.run_against_mock(MOCK, seed_file, lambda info: run(info, cert_file, rogue_file))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
