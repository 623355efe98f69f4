#!/usr/bin/env bash
# Builds pktgen-DPDK against the system's DPDK 22.11 (Debian 12's), with the one change panamux's memif
# set-up needs: tolerate ports whose driver cannot set the MTU (net_memif has no MTU operation, so
# rte_eth_dev_set_mtu returns -ENOTSUP and stock pktgen stops with "Cannot set MTU").
# panamux does not ship pktgen; this script is how the lab, the memif set-up and the tests get it.
# Usage (as root): perf/pktgen/build-pktgen.sh [DIR]   (default /opt/pktgen)
# Source, first found:
#   PKTGEN_TARBALL (a pktgen-VERSION.tar.gz), else ../shared/vendor/pktgen-23.06.1.tar.gz beside the
#   repository (where the project keeps what its machines cannot download; see its README), else a
#   clone of the PKTGEN_VERSION tag (default pktgen-23.06.1: the 23.06 line is the last for DPDK 22.11).
# A second run with the same source, script and DPDK does nothing (DIR/.panamux-build-key).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
DEST=${1:-/opt/pktgen}
TAG=${PKTGEN_VERSION:-pktgen-23.06.1}

# shellcheck source=ci/env.sh
source "$ROOT/ci/env.sh"
pmx_ensure_packages meson ninja-build pkg-config gcc libc6-dev libdpdk-dev liblua5.3-dev libpcap-dev libnuma-dev \
  libbsd-dev python3-pyelftools bsdutils

# The vendored tarball: beside this checkout, or beside the main checkout when this is a git worktree
# (its common git directory is the main checkout's .git).
tarball=${PKTGEN_TARBALL:-}
if [ -z "$tarball" ]; then
  candidates=("$ROOT/../shared/vendor/$TAG.tar.gz")
  common=$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)
  [ -n "$common" ] && candidates+=("$(dirname "$common")/../shared/vendor/$TAG.tar.gz")
  for c in "${candidates[@]}"; do
    if [ -f "$c" ]; then tarball=$(readlink -f "$c"); break; fi
  done
fi

# What the build depends on: the source, this script, the DPDK it is built against.
if [ -n "$tarball" ]; then
  source_id=$(sha256sum "$tarball" | cut -d' ' -f1)
else
  source_id="git:$TAG"
fi
key=$(printf '%s\n%s\n%s\n' "$source_id" "$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)" "$(pkg-config --modversion libdpdk)" \
  | sha256sum | cut -d' ' -f1)
if [ -x "$DEST/build/app/pktgen" ] && [ "$(cat "$DEST/.panamux-build-key" 2>/dev/null)" = "$key" ]; then
  echo "pktgen up to date: $DEST/build/app/pktgen"
  exit 0
fi

if [ -n "$tarball" ]; then
  echo "build-pktgen: source $tarball"
  rm -rf "$DEST"
  mkdir -p "$DEST"
  tar -xzf "$tarball" -C "$DEST" --strip-components=1
elif [ ! -d "$DEST/.git" ]; then
  pmx_ensure_packages git
  rm -rf "$DEST"
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
# pktgen's lib/lua does not get DPDK's include path from meson (rte_version.h: No such file or
# directory); giving every target DPDK's flags at setup time does.
rm -rf build
CFLAGS="$(pkg-config --cflags libdpdk)" meson setup build "${opts[@]}" --buildtype=release
ninja -C build
echo "$key" > "$DEST/.panamux-build-key"
echo "pktgen built: $DEST/build/app/pktgen"
