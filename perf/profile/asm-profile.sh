#!/usr/bin/env bash
# Instruction-level profile of the Java worker next to the C baseline on one bench scenario: the worker's
# compiled code printed by HotSpot (-XX:+PrintAssembly through hsdis) and `perf record` samples of the
# measured threads attributed to its instructions by asmprof.py (what JMH's perfasm does, for the bench's own
# net_null rig). Perf tooling only: no test depends on it.
# Usage (as root, under the build lock like every bench):
#   flock /tmp/panamux-build.lock perf/profile/asm-profile.sh [SCENARIO] [bench options...]
#   (default always-1m; e.g. `stateless --no-hugepages`). Output in $PROFILE_OUT (default
#   bench-results/asm-<time>/): jvm.log (bench output and assembly), perf.data, profile.txt.
# hsdis: Debian's libhsdis0-fcml has only the pre-JDK-17 entry point; hsdis-adapter.c adds the one JDK 25
# calls, built once into ~/.cache/panamux/hsdis/ (rebuilt when the source changes).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)
# shellcheck source=ci/env.sh
source "$ROOT/ci/env.sh"
pmx_ensure_packages libhsdis0-fcml linux-perf gcc libc6-dev binutils python3

scenario=${1:-always-1m}
[ $# -gt 0 ] && shift
out=${PROFILE_OUT:-$ROOT/bench-results/asm-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

cache=${XDG_CACHE_HOME:-$HOME/.cache}/panamux/hsdis
src=$ROOT/perf/profile/hsdis-adapter.c
key=$(sha256sum "$src" | cut -c1-16)
if [ "$(cat "$cache/.key" 2>/dev/null)" != "$key" ]; then
  mkdir -p "$cache"
  lib=$(dpkg -L libhsdis0-fcml | grep -m1 '/libhsdis\.so\.0$')
  gcc -shared -fPIC -O2 -o "$cache/hsdis-amd64.so" "$src" "$lib" -Wl,-rpath,"$(dirname "$lib")"
  echo "$key" > "$cache/.key"
fi

# Only the worker's packages are printed (the whole JVM's assembly is hundreds of MB); DebugNonSafepoints
# gives nearly every instruction its inlining chain; the perf map names the rest (stubs, adapters).
opts=(-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints -XX:PrintAssemblyOptions=intel -XX:+DumpPerfMapAtExit
  -XX:CompileCommand=quiet)
for p in io.panamux.fastpath io.panamux.flow io.panamux.dpdk io.panamux.perf.bench io.panamux.perf.traffic; do
  opts+=("-XX:CompileCommand=print,$p.*::*")
done
echo "asm-profile: $scenario $*; output in $out" >&2
LD_LIBRARY_PATH="$cache${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" JAVA_OPTS="${JAVA_OPTS:-} ${opts[*]}" \
  perf record -e cpu-clock -F 2999 -o "$out/perf.data" -- \
  "$ROOT/panamux" bench "$scenario" --rounds 1 --out "$out/bench" "$@" > "$out/jvm.log" 2>&1
cbase=$(find "$ROOT/perf/target/classes/native" -name libpanamux_cbase.so -print -quit 2>/dev/null || true)
python3 "$ROOT/perf/profile/asmprof.py" "$out/jvm.log" "$out/perf.data" ${cbase:+--c-library "$cbase"} > "$out/profile.txt"
grep -a 'cycles/packet;' "$out/jvm.log" | grep -v '^ *0x' >&2 || true
echo "asm-profile: $out/profile.txt" >&2
