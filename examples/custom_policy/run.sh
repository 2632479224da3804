#!/usr/bin/env bash
# usage: run.sh MOCK_AZURE MOCK_KUBE CUSTOM_POLICY MANIFESTS
# Runs examples/custom_policy against the sample mocks and checks what both of its pipelines
# printed: the custom sink's report (keys and sizes) and the built-in json sink's List, whose
# `content-type` key the custom kind produced.
set -euo pipefail
work=$(mktemp -d)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../mocks/sample/start.sh" "$1" "$2" "$work"
trap 'status=$?; stop_sample_mocks || status=1; rm -rf "$work"; exit $status' EXIT
envsubst '${AZURE_PORT}' <"$4" >"$work/manifests.yaml"
export ESX_CACERT=$AZURE_CA ESX_RESOLVE="my-keyvault-name.vault.esx.test:$AZURE_PORT:127.0.0.1"
"$3" "$work/manifests.yaml" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err"; exit 1; }
cat "$work/out" "$work/err"
/usr/bin/python3 - "$work/out" "$work/err" <<'PY'
import base64, json, sys
out = open(sys.argv[1]).read()
report, _, listing = out.partition("\n{\n")
expect = ["  content-type: 10 bytes", "default/custom-example: created report default/custom-example (3 keys)"]
for line in expect:
    assert line in report.splitlines(), f"missing report line: {line!r}"
items = json.loads("{\n" + listing)["items"]
assert len(items) == 1, items
data = {k: base64.b64decode(v) for k, v in items[0]["data"].items()}
assert data["content-type"] == b"text/plain", data
assert data["value"] == b"Hello from my-keyvault-name (sample value)", data
assert len(data["public-key"]) > 0, data
assert "default/custom-example: created stdout" in open(sys.argv[2]).read()
print("custom_policy: both pipelines synced; the custom kind and sink did their part")
PY
