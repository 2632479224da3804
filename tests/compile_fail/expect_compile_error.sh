#!/usr/bin/env bash
# usage: expect_compile_error.sh SNIPPET "EXPECTED TEXT" COMPILER ARGS...
# Passes when compiling SNIPPET fails AND the diagnostics contain EXPECTED TEXT: a snippet
# that fails for some other reason (a typo) must not count as a pass.
set -u
snippet=$1 expected=$2
shift 2
out=$("$@" "$snippet" 2>&1)
status=$?
if [ $status -eq 0 ]; then
  echo "FAIL: $snippet compiled, but it must not"
  exit 1
fi
if ! grep -qF -- "$expected" <<<"$out"; then
  echo "FAIL: $snippet failed to compile without the expected message: $expected"
  echo "$out" | head -40
  exit 1
fi
echo "ok: $snippet is rejected with: $expected"
