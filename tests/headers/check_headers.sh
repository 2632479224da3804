#!/usr/bin/env bash
# usage: check_headers.sh INCLUDE_DIR COMPILER ARGS...
# Every public header must compile on its own, included twice (self-contained, guarded),
# in header-only mode: a user may include any one of them first.
set -u
inc=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
count=0
cd "$inc" || exit 1
for h in $(find esx -name '*.hpp' ! -name src.hpp | sort); do
  printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$work/tu.cpp"
  if ! out=$("$@" -I"$inc" -fsyntax-only "$work/tu.cpp" 2>&1); then
    echo "FAIL: $h does not compile on its own"
    echo "$out" | head -20
    failed=$((failed + 1))
  fi
  count=$((count + 1))
done
echo "$count headers checked, $failed not self-contained"
[ $failed -eq 0 ]
