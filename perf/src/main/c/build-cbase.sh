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
# -O3, as DPDK's own examples are built; the flags from pkg-config carry DPDK's -march baseline.
gcc -O3 -g -fPIC -shared -Wall -Wextra -Werror \
  $(pkg-config --cflags libdpdk) \
  -o "$lib.tmp" "$src" \
  -Wl,--no-as-needed -lrte_eal -lrte_ethdev -lrte_mbuf -lrte_mempool -lrte_hash -Wl,--as-needed
mv "$lib.tmp" "$lib"
