#!/usr/bin/env bash
# Shared by ./panamux and ci/test: choose JDK 25, install what the machine lacks, build when stale.
# Sourced, not executed.

PANAMUX_ROOT=${PANAMUX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
PANAMUX_JVM_FLAGS=(--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED)

pmx_die() { echo "panamux: $*" >&2; exit 1; }

# Selects a JDK >= 25: JAVA_HOME if it is one, else /usr/lib/jvm/temurin-25* (or any jdk-25+ there).
pmx_select_jdk() {
  local candidate v
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/temurin-2[6-9]* /usr/lib/jvm/java-2[5-9]-* /usr/lib/jvm/jdk-2[5-9]*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] || continue
    v=$("$candidate/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
    if [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null; then
      export JAVA_HOME=$candidate
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  pmx_die "no JDK 25 or newer found (JAVA_HOME=${JAVA_HOME:-unset}, /usr/lib/jvm has: $(ls /usr/lib/jvm 2>/dev/null | tr '\n' ' ')).
Install Temurin 25 (package temurin-25-jdk from the Adoptium apt repository) or set JAVA_HOME to a JDK 25."
}

# Installs Debian packages that are missing: pmx_ensure_packages pkg...
# One line per step on stderr; apt's own output goes to a log file named in those lines (and its end is
# shown when a step fails).
pmx_ensure_packages() {
  local missing=() p log
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    pmx_die "missing Debian packages: ${missing[*]}
Run as root: apt-get update && apt-get install -y ${missing[*]}"
  fi
  log=${PANAMUX_INSTALL_LOG:-/var/log/panamux-install.log}
  { mkdir -p "$(dirname "$log")" && : >> "$log"; } 2>/dev/null || log=$(mktemp -t panamux-install.XXXXXX.log)
  echo "panamux: installing ${#missing[@]} Debian package(s): ${missing[*]} (full log: $log)" >&2
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be absent or stale on a fresh machine; update once, then install.
  pmx_step "updating the package lists" "$log" apt-get update
  pmx_step "installing ${missing[*]}" "$log" apt-get install -y --no-install-recommends "${missing[@]}"
}

# Runs one install step quietly: pmx_step "what" LOGFILE command...; prints "what ... done (Ns)".
pmx_step() {
  local what=$1 log=$2 start=$SECONDS
  shift 2
  printf 'panamux:   %s ... ' "$what" >&2
  echo "=== $(date -u +%FT%TZ) $*" >> "$log"
  if "$@" >> "$log" 2>&1; then
    echo "done ($((SECONDS - start)) s)" >&2
  else
    echo "FAILED" >&2
    tail -n 15 "$log" | sed 's/^/    /' >&2
    pmx_die "$what failed; the full output is in $log"
  fi
}

# What running and building panamux needs: DPDK runtime + headers (the shim is compiled against them),
# dpdk-testpmd (the same-run baseline of the benchmarks), a C compiler, pkg-config and Maven.
PANAMUX_RUNTIME_PACKAGES=(dpdk dpdk-dev libdpdk-dev pkg-config gcc libc6-dev maven)
# What the tests need beyond that: independent decoders and network namespaces.
# The operability tests: the status page in a headless browser, the package checker, the unit checker
# (systemd-analyze) and promtool. etcd: the real store of the pool tests (ARCHITECTURE.md §7), started by them.
PANAMUX_TEST_PACKAGES=(tshark python3-scapy iproute2 bird2 curl ethtool tcpdump chromium lintian systemd prometheus etcd-server etcd-client)

# The class path of one part of a source build: pmx_classpath slowpath|hostagent|perf.
pmx_classpath() {
  echo "$PANAMUX_ROOT/$1/target/classes:$PANAMUX_ROOT/$1/target/lib/*"
}

# The class path of one part of an installed package (ci/dist writes lib/PART.classpath: jar names).
pmx_installed_classpath() {
  local jar cp=""
  while read -r jar; do
    [ -n "$jar" ] && cp="${cp:+$cp:}$PANAMUX_ROOT/lib/$jar"
  done < "$PANAMUX_ROOT/lib/$1.classpath"
  echo "$cp"
}

# The launcher's default heap and collector, one option a line, minus what JAVA_OPTS ("$@") chooses
# itself: the JVM refuses two collectors, and an -Xms above a smaller -Xmx from JAVA_OPTS.
pmx_default_jvm_options() {
  local o gc=1 heap=1
  for o in "$@"; do
    case "$o" in
      -XX:+Use*GC) gc=0 ;;
      -Xmx*|-Xms*|-XX:MaxHeapSize=*|-XX:InitialHeapSize=*|-XX:MinHeapSize=*|-XX:*RAMPercentage=*) heap=0 ;;
    esac
  done
  if [ $heap -eq 1 ]; then printf '%s\n' -Xms512m -Xmx2g; fi
  if [ $gc -eq 1 ]; then printf '%s\n' -XX:+UseParallelGC; fi
  return 0
}

# Builds (without tests) when the build is missing or older than any source or pom.
pmx_build_if_stale() {
  local stamp="$PANAMUX_ROOT/perf/target/.panamux-build-stamp"
  if [ -f "$stamp" ] && [ -z "$(cd "$PANAMUX_ROOT" && find pom.xml */pom.xml */src -newer "$stamp" -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  echo "panamux: building (mvn package -DskipTests) ..." >&2
  (cd "$PANAMUX_ROOT" && mvn -B -q -DskipTests package >&2) || pmx_die "build failed (run: cd $PANAMUX_ROOT && mvn -B -DskipTests package)"
  touch "$stamp"
}
