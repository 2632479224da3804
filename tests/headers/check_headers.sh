#!/usr/bin/env bash
# usage: check_headers.sh INCLUDE_DIR COMPILER ARGS...
# Every public header must compile on its own, included twice (self-contained, guarded),
# in header-only mode: a user may include any one of them first. Headers are checked in
# parallel (one compiler per core): with ~80 headers, a serial run takes minutes.
set -u
inc=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$inc" || exit 1
export work inc
check_one() {
  h=$1; shift
  tu="$work/$(echo "$h" | tr '/.' '__').cpp"
  printf '#include <%s>\n#include <%s>\n' "$h" "$h" >"$tu"
  if ! out=$("$@" -I"$inc" -fsyntax-only "$tu" 2>&1); then
    { echo "FAIL: $h does not compile on its own"; echo "$out" | head -20; } >"$tu.fail"
  fi
}
export -f check_one
find esx -name '*.hpp' ! -name src.hpp | sort >"$work/list"
count=$(wc -l <"$work/list")
xargs -P "$(nproc)" -I{} bash -c 'check_one "$@"' _ {} "$@" <"$work/list"
failed=0
for f in "$work"/*.fail; do
  [ -e "$f" ] || continue
  cat "$f"
  failed=$((failed + 1))
done
echo "$count headers checked, $failed not self-contained"
[ $failed -eq 0 ]
