#!/usr/bin/env bash
# Builds a libFuzzer target of tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined)
# and runs it for a bounded time on a copy of its in-tree seed corpus.
#
#   tests/fuzz/run.sh TARGET SECONDS      e.g. tests/fuzz/run.sh template 60
#
# Exit status: 0 if the run found nothing, non-zero on a crash, a sanitizer report, a leak or
# a timeout of one input; the reproducer (crash-*, timeout-*) is left in the work directory,
# printed at the end. Builds in $ESX_FUZZ_BUILD (default: build-fuzz at the repository root).
# Needs clang and libclang-rt-14-dev (scripts/install-deps installs them).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 TARGET SECONDS" >&2
  exit 2
fi
target=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
src="$here/$target.cpp"
seeds="$here/corpus/$target"
[ -f "$src" ] || { echo "run.sh: no fuzz target $src" >&2; exit 2; }
[ -d "$seeds" ] || { echo "run.sh: no seed corpus $seeds" >&2; exit 2; }

build=${ESX_FUZZ_BUILD:-$root/build-fuzz}
mkdir -p "$build"
exe="$build/fuzz-$target"
cxx=${CXX_FUZZ:-clang++}
deps="re2 yaml-cpp openssl"
# Rebuild when the target or any esx header is newer than the executable.
if [ ! -x "$exe" ] || [ -n "$(find "$src" "$root/include" -newer "$exe" -print -quit)" ]; then
  echo "run.sh: building $exe"
  # shellcheck disable=SC2046
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/include" $(pkg-config --cflags $deps) \
    "$src" -o "$exe" \
    $(pkg-config --libs $deps) -lboost_json -pthread
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/esx-fuzz-$target.XXXXXX")
mkdir -p "$work/corpus"
cp -R "$seeds/." "$work/corpus/"
echo "run.sh: running $target for ${seconds}s (work directory $work)"
status=0
(cd "$work" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
  "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 corpus) || status=$?
if [ "$status" -ne 0 ]; then
  echo "run.sh: $target failed (status $status); reproducers:" >&2
  ls -1 "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-* 2>/dev/null >&2 || true
  exit "$status"
fi
rm -rf "$work"
echo "run.sh: $target ran ${seconds}s without a finding"
