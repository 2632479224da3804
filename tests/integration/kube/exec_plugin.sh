#!/bin/sh
# A client.authentication.k8s.io/v1 exec credential plugin for the kube integration tests.
# It records each run (ESX_TEST_EXEC_LOG: one line per run, the KUBERNETES_EXEC_INFO it got)
# and prints an ExecCredential with ESX_TEST_EXEC_TOKEN, expiring at ESX_TEST_EXEC_EXPIRY.
# ESX_TEST_EXEC_FAIL=1 makes it exit 3 without output.
if [ "${ESX_TEST_EXEC_FAIL:-0}" = 1 ]; then
  echo "exec_plugin.sh: failing as asked" >&2
  exit 3
fi
printf '%s\n' "$KUBERNETES_EXEC_INFO" >> "$ESX_TEST_EXEC_LOG"
cat <<JSON
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
 "status":{"token":"$ESX_TEST_EXEC_TOKEN","expirationTimestamp":"$ESX_TEST_EXEC_EXPIRY"}}
JSON
