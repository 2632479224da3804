#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang (-fsanitize=fuzzer,address,undefined)
# and runs them for a bounded time on a copy of their in-tree seed corpora.
#
#   tests/fuzz/run.sh TARGET SECONDS     build TARGET if out of date, run it SECONDS
#   tests/fuzz/run.sh --all SECONDS      build every target, run each SECONDS, print a table
#   tests/fuzz/run.sh --build [TARGET..] build only (every target when none is named)
#
# Why a library: every target needs esx's out-of-line code. It is compiled once per build
# directory (ESX_SEPARATE_COMPILATION, the .ipp list of include/esx/src.hpp split into a few
# translation units that compile in parallel) into libesx-fuzz.a, so a target's own TU stays
# small. Objects are rebuilt only when a file they include changed (clang -MMD dependency
# files), and through ccache when it is installed.
#
# A target opts out of the library with the line `// esx-fuzz: header-only` (it is then
# compiled with every definition inline), and passes libFuzzer options with
# `// esx-fuzz-flags: -max_len=16384`. tests/fuzz/TARGET.dict, if present, is the dictionary.
#
# Each run prints one summary line, `run.sh: TARGET: N runs, E exec/s, cov C, ft F, ...`.
# Exit status: 0 if the runs found nothing, non-zero on a crash, a sanitizer report, a leak or
# a timeout of one input; the reproducer (crash-*, timeout-*, leak-*, oom-*) is left in the
# work directory, printed at the end. Builds in $ESX_FUZZ_BUILD (default: build-fuzz at the
# repository root); $ESX_FUZZ_JOBS compilers at once (default: the number of CPUs). Needs
# clang and libclang-rt-14-dev (scripts/install-deps installs them).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${ESX_FUZZ_BUILD:-$root/build-fuzz}
jobs=${ESX_FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
cxx=${CXX_FUZZ:-clang++}
if [ -z "${CXX_FUZZ:-}" ] && [ "${ESX_FUZZ_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null; then
  cxx="ccache clang++"
fi
deps="re2 yaml-cpp openssl"
# Out-of-line code clang 14 with libstdc++ 12 cannot compile yet (recursive value types in
# std::vector, captured structured bindings): the Sprig/ESO template functions. No target
# links against them.
exclude=${ESX_FUZZ_EXCLUDE:-'transform/template/functions/'}
lib_parts=4

usage() {
  sed -n '4,7p' "$0" | sed 's/^# *//' >&2
  exit 2
}

# -fsized-deallocation: g++'s default, which esx's wiping allocators rely on.
# -fno-sanitize=function: clang 14 cannot emit its prologue data for coroutines ("Cannot
# represent a difference across sections"); the other UBSan checks stay on.
# shellcheck disable=SC2046
common_flags=(-std=c++20 -fsized-deallocation -O1 -gline-tables-only -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize=function -fno-sanitize-recover=undefined -I"$root/include" $(pkg-config --cflags $deps))
# shellcheck disable=SC2046
link_libs=($(pkg-config --libs $deps) -lboost_json -pthread)

all_targets() {
  local f
  for f in "$here"/*.cpp; do basename "$f" .cpp; done
}

is_header_only() { grep -q '^// esx-fuzz: header-only' "$here/$1.cpp"; }

# True when $1 (an object) is missing or older than a file its dependency file $2 names.
stale() {
  local obj=$1 depfile=$2 dep
  [ -f "$obj" ] && [ -f "$depfile" ] || return 0
  for dep in $(sed -e 's/\\$//' -e 's/^[^:]*://' "$depfile"); do
    case $dep in /usr/*) continue ;; esac
    [ -e "$dep" ] || return 0
    [ "$dep" -nt "$obj" ] && return 0
  done
  return 1
}

# Writes $2 to file $1 only when it differs, so an unchanged generated source keeps its mtime.
write_if_changed() {
  if [ ! -f "$1" ] || [ "$(cat "$1")" != "$2" ]; then printf '%s\n' "$2" >"$1"; fi
}

running=0
build_failed=0
# Runs a compile in the background, at most $jobs at once; its output goes to $log.
spawn() {
  local log=$1
  shift
  if [ "$running" -ge "$jobs" ]; then
    wait -n || build_failed=1
    running=$((running - 1))
  fi
  ("$@" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }) &
  running=$((running + 1))
}
wait_all() {
  while [ "$running" -gt 0 ]; do
    wait -n || build_failed=1
    running=$((running - 1))
  done
}

compile() { # src obj extra-flags...
  local src=$1 obj=$2
  shift 2
  # shellcheck disable=SC2086
  $cxx "${common_flags[@]}" "$@" -MMD -MF "$obj.d" -c "$src" -o "$obj"
}

build_targets() {
  mkdir -p "$build/lib" "$build/obj"
  # One build at a time per build directory (several runs may share it); released on return.
  exec 9>"$build/.lock"
  flock 9
  build_targets_locked "$@"
  local status=$?
  flock -u 9
  exec 9>&-
  return "$status"
}

build_targets_locked() {
  # Flags changed since the last build: start over.
  local flags_now="$cxx ${common_flags[*]} | $exclude"
  if [ "$(cat "$build/flags" 2>/dev/null)" != "$flags_now" ]; then
    rm -f "$build"/lib/* "$build"/obj/* "$build"/fuzz-*
    printf '%s\n' "$flags_now" >"$build/flags"
  fi

  # The library: src.hpp's .ipp list (minus the excluded ones), split into $lib_parts TUs.
  local ipps n i part text lib_stale=0
  mapfile -t ipps < <(grep -E '^#include <esx/.*\.ipp>' "$root/include/esx/src.hpp" | grep -vE "$exclude")
  n=${#ipps[@]}
  for ((part = 0; part < lib_parts; part++)); do
    text="// Generated by tests/fuzz/run.sh from include/esx/src.hpp: part $part of the fuzz library."
    for ((i = part * n / lib_parts; i < (part + 1) * n / lib_parts; i++)); do text+=$'\n'"${ipps[i]}"; done
    write_if_changed "$build/lib/esx-$part.cpp" "$text"
    if stale "$build/lib/esx-$part.o" "$build/lib/esx-$part.o.d"; then
      lib_stale=1
      spawn "$build/lib/esx-$part.log" compile "$build/lib/esx-$part.cpp" "$build/lib/esx-$part.o" \
        -DESX_SEPARATE_COMPILATION -fsanitize=fuzzer-no-link
    fi
  done

  local t src obj
  for t in "$@"; do
    src="$here/$t.cpp"
    [ -f "$src" ] || { echo "run.sh: no fuzz target $src" >&2; exit 2; }
    [ -d "$here/corpus/$t" ] || { echo "run.sh: no seed corpus $here/corpus/$t" >&2; exit 2; }
    obj="$build/obj/$t.o"
    if stale "$obj" "$obj.d"; then
      if is_header_only "$t"; then
        spawn "$build/obj/$t.log" compile "$src" "$obj" -fsanitize=fuzzer
      else
        spawn "$build/obj/$t.log" compile "$src" "$obj" -fsanitize=fuzzer -DESX_SEPARATE_COMPILATION
      fi
    fi
  done
  wait_all
  [ "$build_failed" -eq 0 ] || { echo "run.sh: build failed" >&2; return 1; }

  local lib="$build/libesx-fuzz.a"
  if [ "$lib_stale" -eq 1 ] || [ ! -f "$lib" ]; then
    rm -f "$lib"
    ar rcs "$lib" "$build"/lib/esx-*.o
  fi
  for t in "$@"; do
    obj="$build/obj/$t.o"
    local exe="$build/fuzz-$t"
    if [ ! -x "$exe" ] || [ "$obj" -nt "$exe" ] || { ! is_header_only "$t" && [ "$lib" -nt "$exe" ]; }; then
      if is_header_only "$t"; then
        spawn "$build/obj/$t.link.log" $cxx -fsanitize=fuzzer,address,undefined "$obj" -o "$exe" "${link_libs[@]}"
      else
        spawn "$build/obj/$t.link.log" $cxx -fsanitize=fuzzer,address,undefined "$obj" "$lib" -o "$exe" \
          "${link_libs[@]}"
      fi
    fi
  done
  wait_all
  [ "$build_failed" -eq 0 ] || { echo "run.sh: link failed" >&2; return 1; }
}

# Runs one built target; prints the summary line; returns libFuzzer's status.
run_target() {
  local t=$1 seconds=$2 exe="$build/fuzz-$1" work extra=() status=0 log
  work=$(mktemp -d "${TMPDIR:-/tmp}/esx-fuzz-$t.XXXXXX")
  mkdir -p "$work/corpus"
  cp -R "$here/corpus/$t/." "$work/corpus/"
  # shellcheck disable=SC2207
  extra=($(sed -n 's|^// esx-fuzz-flags: ||p' "$here/$t.cpp"))
  [ -f "$here/$t.dict" ] && extra+=(-dict="$here/$t.dict")
  log="$work/fuzz.log"
  echo "run.sh: running $t for ${seconds}s (work directory $work)"
  (cd "$work" && ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$exe" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -print_final_stats=1 "${extra[@]}" corpus) >"$log" 2>&1 || status=$?
  cat "$log"
  local runs eps cov ft units
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  cov=$(grep -oE ' cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  ft=$(grep -oE ' ft: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  units=$(grep -oE ' corp: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
  echo "run.sh: $t: ${runs:-?} runs, ${eps:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${units:-?}" \
    "(seeds $(find "$here/corpus/$t" -type f | wc -l)), ${seconds}s"
  if [ "$status" -ne 0 ]; then
    echo "run.sh: $t failed (status $status); reproducers:" >&2
    ls -1 "$work"/crash-* "$work"/timeout-* "$work"/leak-* "$work"/oom-* 2>/dev/null >&2 || true
    return "$status"
  fi
  [ "${ESX_FUZZ_KEEP:-0}" != 0 ] && echo "run.sh: corpus kept in $work/corpus" || rm -rf "$work"
  echo "run.sh: $t ran ${seconds}s without a finding"
}

[ $# -ge 1 ] || usage
case $1 in
--build)
  shift
  if [ $# -eq 0 ]; then mapfile -t targets < <(all_targets); else targets=("$@"); fi
  build_targets "${targets[@]}"
  ;;
--all)
  [ $# -eq 2 ] || usage
  mapfile -t targets < <(all_targets)
  build_targets "${targets[@]}"
  failed=()
  summary=()
  for t in "${targets[@]}"; do
    out=$(run_target "$t" "$2" 2>&1) || failed+=("$t")
    summary+=("$(grep "^run.sh: $t: " <<<"$out")")
    grep -E '^(run.sh|==[0-9]+==|SUMMARY)' <<<"$out" | grep -v "^run.sh: $t: " || true
  done
  printf '%s\n' "${summary[@]}"
  if [ ${#failed[@]} -gt 0 ]; then
    echo "run.sh: failed: ${failed[*]}" >&2
    exit 1
  fi
  ;;
-*) usage ;;
*)
  [ $# -eq 2 ] || usage
  build_targets "$1"
  run_target "$1" "$2"
  ;;
esac
