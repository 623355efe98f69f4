#!/usr/bin/env bash
# Compiles the bench's C baseline (panamux_cbase.c) against the installed DPDK (pkg-config libdpdk) into
# $1/libpanamux_cbase.so, as native-bindings/src/main/c/build-shim.sh compiles the shim.
set -euo pipefail
out=${1:?usage: build-cbase.sh OUTPUT_DIR}
src=$(cd "$(dirname "$0")" && pwd)/panamux_cbase.c
mkdir -p "$out"
if ! pkg-config --exists libdpdk; then
  echo "build-cbase: pkg-config cannot find libdpdk; install it with: apt-get install -y libdpdk-dev pkg-config" >&2
  exit 1
fi
lib="$out/libpanamux_cbase.so"
if [ -f "$lib" ] && [ "$lib" -nt "$src" ] && [ "$lib" -nt "$0" ]; then
  exit 0
fi
# -O3, as DPDK's own examples are built. Debian's pkg-config flags carry its distribution baseline
# (-march=corei7); DPDK's own meson build defaults to the build machine's CPU, as the JIT compiles the
# Java worker for it, so -march=native comes last and wins.
gcc -O3 -g -fPIC -shared -Wall -Wextra -Werror \
  $(pkg-config --cflags libdpdk) -march=native \
  -o "$lib.tmp" "$src" \
  -Wl,--no-as-needed -lrte_eal -lrte_ethdev -lrte_mbuf -lrte_mempool -Wl,--as-needed
mv "$lib.tmp" "$lib"
