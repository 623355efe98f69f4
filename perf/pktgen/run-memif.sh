#!/usr/bin/env bash
# Load-tests panamux with pktgen-DPDK over net_memif on one machine (no NIC, no hugepages):
#   the MUX (./panamux run, memif server) and pktgen (memif client) as two processes; pktgen sends
#   client flows to the VIP, the MUX encapsulates and sends them back over memif, pktgen counts them.
# Usage: perf/pktgen/run-memif.sh [LUA_SCRIPT]   (default: perf/pktgen/mux-load.lua)
# Environment: PKTGEN_DIR (pktgen source tree built by build-pktgen.sh, default /opt/pktgen),
#   DURATION (seconds the MUX runs, default 90), OUT (results directory, default ./pktgen-results),
#   plus the script's own settings (RATES, SIZE, FLOWS, STEP_MS, ...).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
PKTGEN_DIR=${PKTGEN_DIR:-/opt/pktgen}
PKTGEN=${PKTGEN:-$PKTGEN_DIR/build/app/pktgen}
SCRIPT=$(readlink -f "${1:-$ROOT/perf/pktgen/mux-load.lua}")
DURATION=${DURATION:-90}
OUT=$(mkdir -p "${OUT:-pktgen-results}" && cd "${OUT:-pktgen-results}" && pwd)
SOCKET=${SOCKET:-/tmp/panamux-memif-$$.sock}

[ -x "$PKTGEN" ] || { echo "pktgen not found at $PKTGEN: build it with perf/pktgen/build-pktgen.sh (see README)" >&2; exit 2; }
command -v script >/dev/null || { echo "script(1) (package bsdutils) is needed: pktgen runs only under a terminal" >&2; exit 2; }

config="$OUT/mux-memif.yaml"
sed "s#@SOCKET@#$SOCKET#" "$ROOT/perf/pktgen/mux-memif.yaml" > "$config"
rm -f "$SOCKET"
"$ROOT/panamux" run --config "$config" --duration "$DURATION" --stats-json "$OUT/mux-stats.json" > "$OUT/mux.log" 2>&1 &
mux=$!
trap 'kill "$mux" 2>/dev/null || true; rm -f "$SOCKET"' EXIT
for _ in $(seq 1 300); do
  [ -S "$SOCKET" ] && break
  kill -0 "$mux" 2>/dev/null || { echo "the MUX did not start:" >&2; cat "$OUT/mux.log" >&2; exit 1; }
  sleep 0.1
done

# pktgen's two lcores share CPU 0 (its display lcore mostly sleeps); the MUX's worker has CPU 1.
# script(1) gives pktgen the terminal it insists on, also when this runs from a pipe or CI.
cd "$PKTGEN_DIR"
RESULTS="$OUT/pktgen-results.csv" script -qfec "$PKTGEN --lcores=0@0,1@0 --no-huge -m 1024 --no-pci --no-shconf \
  --file-prefix=pktgen$$ --log-level=lib.eal:error --vdev=net_memif0,role=client,id=0,socket=$SOCKET \
  -- -T -P -m '[1].0' -f $SCRIPT" "$OUT/pktgen.typescript" || true

wait "$mux" || true
trap - EXIT
rm -f "$SOCKET"
echo "pktgen: $OUT/pktgen-results.csv"
cat "$OUT/pktgen-results.csv" 2>/dev/null || echo "(no results: see $OUT/pktgen.typescript)"
echo "MUX counters: $OUT/mux-stats.json"
cat "$OUT/mux-stats.json" 2>/dev/null || true
