#!/usr/bin/python3
# esx-mock-azure with fixed ports (--port/--imds-port/--control-port N): the
# JSON line names them, every service answers on them, and a port that is
# already taken makes start-up fail with exit status 1.
#
# usage: fixed_ports.py ESX_MOCK_AZURE SEED_JSON
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

MOCK, SEED = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def main():
    # Hold three free ports until just before the mock starts: a short race
    # with other processes, which a retry would hide, so none is attempted.
    holders = [socket.socket() for _ in range(3)]
    for h in holders:
        h.bind(("127.0.0.1", 0))
    ports = [h.getsockname()[1] for h in holders]
    for h in holders:
        h.close()
    tmp = tempfile.mkdtemp(prefix="esx-fixed-ports-")
    proc = subprocess.Popen([MOCK, "--port", str(ports[0]), "--imds-port", str(ports[1]), "--control-port",
                             str(ports[2]), "--seed", SEED, "--tls-dir", os.path.join(tmp, "tls")],
                            stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        check(info["authority"] == "https://127.0.0.1:%d" % ports[0], "authority port")
        check(info["imds"] == "http://127.0.0.1:%d" % ports[1], "imds port")
        check(info["control"] == "http://127.0.0.1:%d" % ports[2], "control port")
        check(info["vaults"]["v1"] == "https://v1.%s:%d" % (info["vault_suffix"], ports[0]), "vault URL port")

        ctx = ssl.create_default_context(cafile=info["ca"])
        scope = "https://%s:%d/.default" % (info["vault_suffix"], ports[0])
        form = urllib.parse.urlencode({"grant_type": "client_credentials", "client_id": "esx-client",
                                       "client_secret": "esx-secret", "scope": scope}).encode()
        with urllib.request.urlopen(info["authority"] + "/esx-tenant/oauth2/v2.0/token", data=form, context=ctx,
                                    timeout=10) as r:
            token = json.loads(r.read())["access_token"]
        # A vault request through the fixed port, with SNI and Host of the vault.
        host = "v1." + info["vault_suffix"]
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", ports[0]), timeout=10), server_hostname=host)
        s.sendall(("GET /secrets/db-password?api-version=7.3 HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n"
                   "Connection: close\r\n\r\n" % (host, ports[0], token)).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        check(data.startswith(b"HTTP/1.1 200") and b'"value":"s3cr3t"' in data, "vault via the fixed port")
        try:
            urllib.request.urlopen(info["imds"] + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x",
                                   timeout=10)
            check(False, "IMDS without Metadata must fail")
        except urllib.error.HTTPError as e:
            check(e.code == 400 and json.loads(e.read())["error"] == "bad_request_102", "IMDS via the fixed port")
        with urllib.request.urlopen(info["control"] + "/requests", timeout=10) as r:
            log = json.loads(r.read())["requests"]
        check([x["service"] for x in log] == ["aad", "vault", "imds"], "log through the fixed ports: %r" % log)

        # The same main port again: taken, so a second mock fails to start.
        second = subprocess.run([MOCK, "--port", str(ports[0]), "--seed", SEED], capture_output=True, text=True,
                                timeout=60)
        check(second.returncode == 1 and "cannot listen on 127.0.0.1:%d" % ports[0] in second.stderr,
              "port in use: exit %d, stderr %r" % (second.returncode, second.stderr))
        bad = subprocess.run([MOCK, "--port", "70000"], capture_output=True, text=True, timeout=60)
        check(bad.returncode == 2, "invalid port is a usage error")
    finally:
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, "exit 0 on SIGTERM (got %s)" % rc)
    print("fixed ports: %d failed" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
