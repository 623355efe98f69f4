#!/usr/bin/env bash
# Fetches and builds pktgen-DPDK against the system's DPDK 22.11 (Debian 12's), with the one change
# panamux's memif set-up needs: tolerate ports whose driver cannot set the MTU (net_memif has no MTU
# operation, so rte_eth_dev_set_mtu returns -ENOTSUP and stock pktgen stops with "Cannot set MTU").
# panamux does not ship pktgen; this script is how the lab and the memif set-up get it.
# Usage (as root): perf/pktgen/build-pktgen.sh [DIR]   (default /opt/pktgen)
# Environment: PKTGEN_VERSION (git tag, default pktgen-23.06.1: the 23.06 line is the last built
# for DPDK 22.11).
set -euo pipefail
DEST=${1:-/opt/pktgen}
TAG=${PKTGEN_VERSION:-pktgen-23.06.1}

export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends git meson ninja-build pkg-config gcc libc6-dev libdpdk-dev \
  liblua5.3-dev libpcap-dev libnuma-dev libbsd-dev python3-pyelftools bsdutils

if [ ! -d "$DEST/.git" ]; then
  git clone --depth 1 --branch "$TAG" https://github.com/pktgen/Pktgen-DPDK.git "$DEST"
fi
cd "$DEST"

# The MTU call: keep pktgen's behaviour for real errors, log and go on when the driver has no MTU setter.
cfg=app/pktgen-port-cfg.c
if ! grep -q 'ret != -ENOTSUP' "$cfg"; then
  sed -i 's/if ((ret = rte_eth_dev_set_mtu(pid, pktgen.eth_mtu)) < 0)/if ((ret = rte_eth_dev_set_mtu(pid, pktgen.eth_mtu)) < 0 \&\& ret != -ENOTSUP)/' "$cfg"
  grep -q 'ret != -ENOTSUP' "$cfg" || {
    echo "build-pktgen: the MTU call in $cfg is not where $TAG had it; make it ignore -ENOTSUP by hand (see perf/pktgen/README.md)" >&2
    exit 1
  }
fi

opts=()
# Lua scripting is a build option in this release line; newer trees build it always.
if grep -q "enable_lua" meson_options.txt 2>/dev/null; then
  opts+=(-Denable_lua=true)
fi
meson setup build "${opts[@]}" --buildtype=release
ninja -C build
echo "pktgen built: $DEST/build/app/pktgen"
