#!/usr/bin/env bash
# `esx get` for secret/, key/ (--pem) and cert/ (--pem) through the documentation's stores;
# `esx http`; and the usage errors and --help of every command (exit statuses 0, 1, 2).
#
# usage: get_and_usage.sh ESX MOCK_AZURE MOCK_KUBE SOURCE_ROOT
. "$(dirname "$0")/lib.sh" "$@"
envsubst '${AZURE_PORT}' <"$SRC/examples/seed/service-principal.yaml" >"$WORK/service-principal.yaml"
envsubst '${AZURE_PORT}' <"$SRC/examples/seed/workload-identity.yaml" >"$WORK/workload-identity.yaml"
SP=(--store "$WORK/service-principal.yaml" -n service-principal "${ESX_LOOPBACK[@]}")

run_esx get "${SP[@]}" dev-secret-test
expect_eq "get NAME: the value, exit 0" "0 Hello from my-keyvault-name (sample value)" "$RC $OUT"
run_esx get "${SP[@]}" secret/dev-secret-test
expect_eq "get secret/NAME" "0 Hello from my-keyvault-name (sample value)" "$RC $OUT"
run_esx get "${SP[@]}" key/dev-key-test
expect_eq "get key/: a public RSA JWK" "0 RSA False" "$RC $(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; k=json.load(sys.stdin); print(k["kty"], "d" in k)')"
run_esx get "${SP[@]}" key/dev-key-test --pem
expect_match "get key/ --pem: a PEM public key" '^-----BEGIN PUBLIC KEY-----' "$OUT"
expect_match "get key/ --pem: openssl reads it" 'Public-Key: \(2048 bit\)' \
    "$(printf '%s\n' "$OUT" | openssl pkey -pubin -noout -text 2>&1)"
run_esx get "${SP[@]}" cert/dev-cert-test --pem
expect_match "get cert/ --pem: the certificate" 'dev-cert-test.example.com' \
    "$(printf '%s\n' "$OUT" | openssl x509 -noout -subject 2>&1)"
"$ESX" get "${SP[@]}" cert/dev-cert-test >"$WORK/cert.der"
expect_match "get cert/ (redirected): DER" 'dev-cert-test.example.com' \
    "$(openssl x509 -inform DER -in "$WORK/cert.der" -noout -subject 2>&1)"
run_esx get "${SP[@]}" no-such-secret
expect_eq "get a missing object: exit 1" 1 "$RC"
expect_match "get a missing object: says so" 'no-such-secret' "$ERR"
run_esx get "${SP[@]}" --pem dev-secret-test
expect_eq "get --pem on a secret: usage error" 2 "$RC"

# A workload identity store from the file; its ServiceAccount's token comes from the cluster.
kubectl apply -f "$SRC/examples/controller/deploy/crds" >/dev/null
sample_apply "$SRC/examples/seed/workload-identity.yaml" workload-identity >/dev/null
run_esx get --store "$WORK/workload-identity.yaml" -n workload-identity "${ESX_LOOPBACK[@]}" dev-secret-test
expect_eq "get through a workload identity store" "0 Hello from xx-xxxx-xx (sample value)" "$RC $OUT"

# esx http: one GET through the transport.
run_esx http "https://127.0.0.1:$AZURE_PORT/d3bc2180-xxxx-xxxx-xxxx-154105743342/v2.0/.well-known/openid-configuration" \
    --cacert "$AZURE_CA"
expect_match "http: 200, exit 0" '^0 HTTP 200 \(' "$RC $OUT"
run_esx http "https://my-keyvault-name.vault.esx.test:$AZURE_PORT/secrets/dev-secret-test?api-version=7.4" \
    --cacert "$AZURE_CA" --resolve "my-keyvault-name.vault.esx.test:$AZURE_PORT:127.0.0.1"
expect_match "http: the vault's challenge, exit 1" '^1 HTTP 401 \(' "$RC $OUT"
run_esx http "https://127.0.0.1:$AZURE_PORT/" --resolve nonsense
expect_eq "http: a bad --resolve is a usage error" 2 "$RC"

# Usage errors exit 2 and say why; --help exits 0 for every command.
run_esx; expect_eq "no command: exit 2" 2 "$RC"
run_esx frobnicate; expect_match "unknown command: exit 2, named" '^2 esx: no command `frobnicate`' "$RC $ERR"
run_esx sync; expect_match "sync without -f: exit 2" '^2 esx: no manifest' "$RC $ERR"
run_esx sync -f x.yaml --sink nowhere; expect_match "sync --sink nowhere: exit 2" '^2 esx: --sink takes' "$RC $ERR"
run_esx sync -f x.yaml --frobnicate; expect_match "sync --frobnicate: exit 2" '^2 esx: unknown option `--frobnicate`' "$RC $ERR"
run_esx get dev-secret-test; expect_match "get without --store: exit 2" '^2 esx: --store FILE is required' "$RC $ERR"
for cmd in sync get validate http; do
    run_esx "$cmd" --help
    expect_match "$cmd --help: exit 0 and its usage" "^0 usage: esx $cmd " "$RC $OUT"
done
run_esx help get; expect_match "esx help get" '^0 usage: esx get ' "$RC $OUT"
run_esx --help; expect_match "esx --help lists the commands" 'validate +check manifests' "$OUT"
