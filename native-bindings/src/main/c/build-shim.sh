#!/usr/bin/env bash
# Compiles the panamux DPDK shim against the installed DPDK (pkg-config libdpdk) into $1.
set -euo pipefail
out=${1:?usage: build-shim.sh OUTPUT_DIR}
src=$(cd "$(dirname "$0")" && pwd)/panamux_shim.c
mkdir -p "$out"
if ! pkg-config --exists libdpdk; then
  echo "build-shim: pkg-config cannot find libdpdk; install it with: apt-get install -y libdpdk-dev pkg-config" >&2
  exit 1
fi
lib="$out/libpanamux_shim.so"
if [ -f "$lib" ] && [ "$lib" -nt "$src" ] && [ "$lib" -nt "$0" ]; then
  exit 0
fi
# -march=corei7 is DPDK's own Debian baseline; --no-as-needed keeps every library we bind reachable
# through this one library's symbol lookup.
gcc -O2 -g -fPIC -shared -Wall -Wextra -Werror \
  $(pkg-config --cflags libdpdk) \
  -o "$lib.tmp" "$src" \
  -Wl,--no-as-needed -lrte_eal -lrte_ethdev -lrte_mbuf -lrte_mempool -lrte_ring -lrte_kvargs \
  -lrte_bus_vdev -lrte_net_ring -lrte_net -Wl,--as-needed
mv "$lib.tmp" "$lib"
