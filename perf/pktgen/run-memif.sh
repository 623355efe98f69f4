#!/usr/bin/env bash
# Load-tests panamux with pktgen-DPDK over net_memif on one machine (no NIC, no hugepages):
#   the forwarder (the MUX, ./panamux run, or dpdk-testpmd io, as memif server) and pktgen (memif
#   client) as two processes; pktgen sends client flows to the VIP, the forwarder sends them back over
#   memif (the MUX encapsulated), pktgen counts them.
# Usage: perf/pktgen/run-memif.sh [LUA_SCRIPT]   (default: perf/pktgen/mux-load.lua)
# Environment: FORWARDER (mux, default, or testpmd: the same set-up with dpdk-testpmd --forward-mode=io
#   in the MUX's place, the baseline), PKTGEN_DIR (pktgen source tree built by build-pktgen.sh, default
#   /opt/pktgen), DURATION (longest the forwarder runs, seconds, default 600: it is stopped when pktgen is
#   done), PKTGEN_MEMORY (pktgen's -m in MB, default 4096: with 1024 it cannot create its mbuf pools),
#   OUT (results directory, default ./pktgen-results), plus the script's own settings (RATES, SIZE,
#   FLOWS, STEP_MS, ...).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
PKTGEN_DIR=${PKTGEN_DIR:-/opt/pktgen}
PKTGEN=${PKTGEN:-$PKTGEN_DIR/build/app/pktgen}
SCRIPT=$(readlink -f "${1:-$ROOT/perf/pktgen/mux-load.lua}")
FORWARDER=${FORWARDER:-mux}
DURATION=${DURATION:-600}
PKTGEN_MEMORY=${PKTGEN_MEMORY:-4096}
OUT=$(mkdir -p "${OUT:-pktgen-results}" && cd "${OUT:-pktgen-results}" && pwd)
SOCKET=${SOCKET:-/tmp/panamux-memif-$$.sock}

[ -x "$PKTGEN" ] || { echo "pktgen not found at $PKTGEN: build it with perf/pktgen/build-pktgen.sh (see README)" >&2; exit 2; }
command -v script >/dev/null || { echo "script(1) (package bsdutils) is needed: pktgen runs only under a terminal" >&2; exit 2; }

rm -f "$SOCKET"
case "$FORWARDER" in
  mux)
    config="$OUT/mux-memif.yaml"
    sed "s#@SOCKET@#$SOCKET#" "$ROOT/perf/pktgen/mux-memif.yaml" > "$config"
    "$ROOT/panamux" run --config "$config" --duration "$DURATION" --stats-json "$OUT/mux-stats.json" > "$OUT/mux.log" 2>&1 &
    ;;
  testpmd)
    # As the MUX: main lcore on CPU 0, forwarding on CPU 1; the one memif port sends back what it receives.
    command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (package dpdk)" >&2; exit 2; }
    cpus=$(nproc)
    fwd=$(( cpus > 1 ? 1 : 0 ))
    timeout -s INT "$DURATION" dpdk-testpmd --lcores=0@0,1@$fwd --no-pci --no-shconf --no-huge -m 1024 --file-prefix=pmxtestpmd$$ \
      --log-level=lib.eal:error --vdev=net_memif0,role=server,id=0,socket=$SOCKET -- --forward-mode=io --port-topology=loop \
      --nb-cores=1 --auto-start --stats-period=1 > "$OUT/testpmd.log" 2>&1 &
    ;;
  *) echo "FORWARDER is mux or testpmd, not $FORWARDER" >&2; exit 2 ;;
esac
fwd_pid=$!
trap 'kill "$fwd_pid" 2>/dev/null || true; rm -f "$SOCKET"' EXIT
# DPDK 22.11's memif listens on an abstract socket by default (socket-abstract=yes): no file appears, the
# name shows in /proc/net/unix with a leading @.
listening() { [ -S "$SOCKET" ] || grep -qF " @$SOCKET" /proc/net/unix; }
for _ in $(seq 1 600); do
  listening && break
  kill -0 "$fwd_pid" 2>/dev/null || { echo "the $FORWARDER did not start:" >&2; cat "$OUT/$FORWARDER.log" >&2; exit 1; }
  sleep 0.1
done
listening || { echo "the $FORWARDER made no memif socket in 60 s:" >&2; cat "$OUT/$FORWARDER.log" >&2; exit 1; }

# How long pktgen may take: its start, the sweep (RATES x STEP_MS, plus half a second a step), a margin.
steps=$(echo "${RATES:-10,25,50,75,100}" | tr ',' '\n' | grep -c .)
bound=$(( 80 + steps * (${STEP_MS:-5000} + 500) / 1000 ))

# pktgen's two lcores share CPU 0 (its display lcore mostly sleeps); the forwarder has CPU 1.
# script(1) gives pktgen the terminal it insists on, also when this runs from a pipe or CI; a script that
# fails leaves pktgen at its prompt, so the whole run is bounded.
# -m: pktgen sizes its mbuf pools for the ports it finds; with --no-huge -m 1024 it panics creating them.
cd "$PKTGEN_DIR"
status=0
echo "$(date +%T) pktgen starts" >&2
RESULTS="$OUT/pktgen-results.csv" timeout -k 10 "$bound" script -qfec "$PKTGEN --lcores=0@0,1@0 --no-huge -m $PKTGEN_MEMORY --no-pci \
  --no-shconf --file-prefix=pktgen$$ --log-level=lib.eal:error --vdev=net_memif0,role=client,id=0,socket=$SOCKET \
  -- -T -P -m '[1].0' -f $SCRIPT" "$OUT/pktgen.typescript" > /dev/null || status=$?

echo "$(date +%T) pktgen done" >&2
# pktgen is done: stop the forwarder (the MUX writes its counters on SIGTERM; testpmd its totals on SIGINT).
if [ "$FORWARDER" = mux ]; then kill -TERM "$fwd_pid" 2>/dev/null || true; else kill -INT "$fwd_pid" 2>/dev/null || true; fi
fwd_status=0
wait "$fwd_pid" || fwd_status=$?
trap - EXIT
rm -f "$SOCKET"
echo "pktgen: $OUT/pktgen-results.csv"
cat "$OUT/pktgen-results.csv" 2>/dev/null || echo "(no results: see $OUT/pktgen.typescript)"
if [ "$FORWARDER" = mux ]; then
  echo "MUX counters: $OUT/mux-stats.json"
  cat "$OUT/mux-stats.json" 2>/dev/null || true
fi
if [ "$status" -ne 0 ]; then
  echo "pktgen exited with status $status (124: killed after $bound s; see $OUT/pktgen.typescript)" >&2
  exit 1
fi
if [ "$fwd_status" -ne 0 ]; then
  echo "the $FORWARDER exited with status $fwd_status (see $OUT/$FORWARDER.log)" >&2
  exit 1
fi
