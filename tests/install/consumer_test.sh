#!/usr/bin/env bash
# Installs esx into a private prefix and builds tests/install/consumer.cpp against it with
# nothing but `pkg-config --cflags --libs esx`.
set -euo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
meson setup "$work/build" "$src" --prefix "$work/prefix" \
  -Dtests=false -Dexamples=false -Dbenchmarks=false -Dmocks=false -Dseparate_compilation=false >/dev/null
meson install -C "$work/build" >/dev/null
pc=$(find "$work/prefix" -name esx.pc)
[ -n "$pc" ] || { echo "FAIL: esx.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
echo "pkg-config --cflags --libs esx: $(pkg-config --cflags --libs esx)"
[ -f "$work/prefix/include/esx/esx.hpp" ] || { echo "FAIL: headers not installed"; exit 1; }
# shellcheck disable=SC2046
c++ -std=c++20 -O0 "$src/tests/install/consumer.cpp" $(pkg-config --cflags --libs esx) -o "$work/consumer"
"$work/consumer"
