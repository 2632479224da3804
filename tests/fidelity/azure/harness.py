# Shared by the fidelity scripts: start/stop esx-mock-azure, tally checks,
# talk to the control endpoint, resolve *.<vault_suffix> to 127.0.0.1.
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import traceback
import urllib.request

failures = []
passed = 0


def isolate_network():
    """No proxies and no real Azure authority: nothing may leave the machine."""
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy",
                "AZURE_AUTHORITY_HOST", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = "*"


def check(cond, what):
    global passed
    if cond:
        passed += 1
    else:
        failures.append(what)
        print("FAIL:", what, flush=True)


def expect_raises(exc_type, fn, contains, what, status=None):
    try:
        fn()
    except exc_type as e:
        msg = str(e)
        ok = contains in msg and (status is None or getattr(e, "status_code", None) == status)
        check(ok, "%s: got %s(status=%s) %r" % (what, type(e).__name__, getattr(e, "status_code", None), msg[:300]))
        return e
    except Exception as e:  # wrong type
        check(False, "%s: expected %s, got %s: %s" % (what, exc_type.__name__, type(e).__name__, str(e)[:300]))
        return None
    check(False, "%s: expected %s, nothing raised" % (what, exc_type.__name__))
    return None


def control(info, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(info["control"] + path, data=data, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def resolve_vault_hosts(suffix):
    """Makes this process resolve *.<suffix> to 127.0.0.1 (the SDK itself is untouched)."""
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if isinstance(host, str) and host.lower().endswith("." + suffix):
            host = "127.0.0.1"
        return real_getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def run_against_mock(mock, seed_path, body):
    """Starts the mock on ephemeral ports, runs body(info), stops it with SIGTERM; returns the exit status."""
    tmp = tempfile.mkdtemp(prefix="esx-fidelity-azure-")
    proc = subprocess.Popen([mock, "--port", "0", "--seed", seed_path, "--tls-dir", os.path.join(tmp, "tls")],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        if not line:
            print("FAIL: esx-mock-azure printed nothing (exit %s)" % proc.wait())
            return 1
        try:
            body(json.loads(line))
        except Exception:
            traceback.print_exc()
            failures.append("unexpected exception")
        check(proc.poll() is None, "server still running at the end")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            rc = "hung after SIGTERM"
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, "mock exits 0 on SIGTERM (got %s)" % rc)
    print("%d checks passed, %d failed" % (passed, len(failures)))
    return 1 if failures else 0
