#!/usr/bin/python3
# Fidelity: what Debian's python3-azure (secrets 4.7.0b1, keys 4.8.0b3, certificates 4.7.0b1,
# identity 1.13.0b2) does against esx-mock-azure when
# - a vault's first answer is a challenge naming another resource (the SDK refuses it: its
#   challenge-resource verification stays on) or another tenant (the credential refuses to get
#   a token there), injected with the mock's "challenge" fault: no token leaves for either;
# - a certificate is imported as PKCS#12 with legacy encryption (RC2-40 and 3DES, as
#   `openssl pkcs12 -export -legacy` and older Windows write it), which Key Vault accepts;
# - a key is imported with its key_ops, which it keeps.
#
# usage: sdk_challenges_and_imports.py ESX_MOCK_AZURE SEED_JSON
import datetime
import os
import shutil
import subprocess
import sys
import tempfile

import harness
from harness import check, control, expect_raises

MOCK, SEED = sys.argv[1], sys.argv[2]

harness.isolate_network()

try:
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError
    from azure.identity import ClientSecretCredential
    from azure.keyvault.certificates import CertificateClient
    from azure.keyvault.keys import JsonWebKey, KeyClient
    from azure.keyvault.secrets import SecretClient
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
except ImportError as e:
    print("SKIP: Debian's python3-azure is not installed (%s)" % e)
    sys.exit(77)  # Meson's "skipped"


def requests(info, **match):
    return [r for r in control(info, "GET", "/requests")["requests"] if all(r[k] == v for k, v in match.items())]


def challenges(info, cred, ca):
    # v2 and v3 have not been used by this process: the SDK's first request is the
    # unauthenticated probe, which the fault answers.
    v2, v3 = info["vaults"]["v2"], info["vaults"]["v3"]
    control(info, "POST", "/faults", {"kind": "challenge", "vault": "v2", "resource": "https://vault.attacker.example"})
    control(info, "POST", "/faults", {"kind": "challenge", "vault": "v3", "tenant": "other-tenant"})
    control(info, "POST", "/reset-log")
    expect_raises(ValueError, lambda: SecretClient(v2, cred, connection_verify=ca).get_secret("db-password"),
                  "The challenge resource 'vault.attacker.example' does not match the requested domain",
                  "a challenge naming another resource is refused")
    expect_raises(ClientAuthenticationError, lambda: SecretClient(v3, cred, connection_verify=ca).get_secret("x"),
                  "other-tenant", "a challenge naming another tenant is refused")
    log = control(info, "GET", "/requests")["requests"]
    check([(r["service"], r["status"], r["fault"]) for r in log] == [("vault", 401, "challenge")] * 2,
          "the two probes were answered by the fault and nothing followed them: %r" % log)
    check(not requests(info, service="aad"), "no token was asked for, for either")


def legacy_pkcs12(info, cred, ca, tmp):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "legacy.example.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_file, cert_file = os.path.join(tmp, "key.pem"), os.path.join(tmp, "cert.pem")
    with open(key_file, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(cert_file, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    certs = CertificateClient(info["vaults"]["v1"], cred, connection_verify=ca)
    variants = (("rc2-40", ["-legacy"]),  # RC2-40 for the certificate, 3DES for the key, SHA-1 MAC
                ("3des", ["-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"]))
    for name, flags in variants:
        pfx = os.path.join(tmp, name + ".pfx")
        subprocess.run(["openssl", "pkcs12", "-export", "-inkey", key_file, "-in", cert_file, "-passout", "pass:pw",
                        "-out", pfx] + flags, check=True, capture_output=True)
        if name == "rc2-40":
            plain = subprocess.run(["openssl", "pkcs12", "-in", pfx, "-passin", "pass:pw", "-nokeys"], capture_output=True)
            check(plain.returncode != 0, "the RC2-40 file needs OpenSSL's legacy provider (without it: %d)" % plain.returncode)
        with open(pfx, "rb") as f:
            imported = certs.import_certificate("legacy-" + name, f.read(), password="pw")
        check(bytes(imported.cer) == cert.public_bytes(serialization.Encoding.DER),
              "import_certificate of a PKCS#12 with %s encryption" % name)
    with open(os.path.join(tmp, "rc2-40.pfx"), "rb") as f:
        legacy = f.read()
    expect_raises(HttpResponseError, lambda: certs.import_certificate("legacy-wrong-password", legacy, password="nope"),
                  "PFX content could not be read", "a legacy PKCS#12 with the wrong password", status=400)


def key_operations(info, cred, ca):
    keys = KeyClient(info["vaults"]["v1"], cred, connection_verify=ca)
    pub = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    jwk = JsonWebKey(kty="EC", crv="P-256", x=pub.x.to_bytes(32, "big"), y=pub.y.to_bytes(32, "big"),
                     key_ops=["verify"])
    imported = keys.import_key("verify-only", jwk)
    check(imported.key_operations == ["verify"], "import_key keeps key_ops: %r" % imported.key_operations)
    check(keys.get_key("verify-only").key_operations == ["verify"], "get_key returns the imported key_ops")
    plain = keys.import_key("all-ops", JsonWebKey(kty="EC", crv="P-256", x=jwk.x, y=jwk.y))
    check(plain.key_operations == ["sign", "verify"], "without key_ops: every operation of the type")
    expect_raises(HttpResponseError, lambda: keys.import_key(
        "bad-ops", JsonWebKey(kty="EC", crv="P-256", x=jwk.x, y=jwk.y, key_ops=["launch"])),
        "key_ops", "an unknown key operation", status=400)


def run(info, tmp):
    ca = info["ca"]
    harness.resolve_vault_hosts(info["vault_suffix"])
    cred = ClientSecretCredential(info["tenant"], "esx-client", "esx-secret", authority=info["authority"][len("https://"):],
                                  instance_discovery=False, connection_verify=ca)
    challenges(info, cred, ca)
    legacy_pkcs12(info, cred, ca, tmp)
    key_operations(info, cred, ca)


def main():
    tmp = tempfile.mkdtemp(prefix="esx-fidelity-imports-")
    try:
        return harness.run_against_mock(MOCK, SEED, lambda info: run(info, tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
