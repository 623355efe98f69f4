#!/usr/bin/env bash
# netlab: a real (namespaced) network for panamux's end-to-end tests. Everything lives in network
# namespaces named pmxn-*; no address is reachable from outside them and no traffic leaves them.
#
#                 c1 (plain Linux client)     c2 (client with a host agent)
#                         \                    /
#                          rt  (BIRD: iBGP with every MUX, ECMP multipath routes in its kernel FIB,
#                         / | \                 L4 multipath hash; routes replies straight to clients)
#                       m1  m2 (m3)   MUXes: ./panamux run on net_af_packet over their veth; each MUX starts
#                         |           its own BGP speaker (BIRD, router.bgp in its configuration) in its
#                         |           namespace and announces its VIPs while its workers forward
#                      b1 b2 b3       backends: host agent (net_af_packet + net_tap) decapsulates into the
#                                     kernel, where an unmodified HTTP server is bound to the VIPs
#
# MTU: 1500 on every link, 1480 on the clients' own interfaces (c1's eth0, the agents' taps), leaving room for
# the 20-byte outer header (net_af_packet frames stop at 1518 bytes, so the links cannot carry jumbo frames).
# Addresses: link to X is 198.18.X.0/24, the router .1, the far side .2 (c1=1, c2=2, mK=10+K, bK=20+K).
# MACs: router side 02:98:00:00:X:01, far side 02:98:00:00:X:02, a host agent's tap 02:99:00:00:X:02.
# VIPs (on every backend's loopback): 192.0.2.10 (pool), .11 (single backend b3: bypass), .12 (Fastpath),
# .13 (source-side selection at c2); all port 80/tcp.
# With --ipv6, every link of the router, c1 and the MUXes are dual-stack (link X is also 2001:db8:X::/64, the
# router ::1, the far side ::2; the MUXes announce IPv6 VIPs over their IPv4 sessions), and two plain Linux
# backends k1, k2 (link 30+K) stand behind the IPv6 VIPs 2001:db8:f::10 (pool: k1, k2), 2001:db8:f::11 (single
# backend k1: bypass) and the IPv4 VIPs 192.0.2.20 (pool: k1, k2; a plain health check) and 192.0.2.21 (the same,
# checked through the tunnel). They have no host agent: net_decap.py takes
# the MUXes' IP-in-IP (this kernel has no tunnel drivers) into a TUN device.
#
# With --bfd, the router and every MUX's speaker run BFD (100 ms, multiplier 3) on their BGP sessions.
#
# The pool is kept in etcd (ARCHITECTURE.md §7), unless up --files: one etcd member runs in the namespace
# pmxn-etcd, reached by every MUX and host agent over a management link of its own (mgmt0, 10.255.ID.2/24; etcd
# at 10.255.ID.1:2379, ID as in the addresses below), so an agent reaches it before its tap exists. The VIPs and
# the hash seed are the pool document ($RUN/pool.yaml, stored with ./panamux pool push); the MUXes' and agents'
# files carry only their own settings and the store section; c2 selects for the document's .13 (select:).
# With --files, the file-only set-up: no etcd, every MUX's and agent's own file carries the VIPs and the seed.
#
# usage: netlab.sh up [--muxes N] [--backends N] [--ipv6] [--bfd] [--files | --etcd]   build it (tears down
#                                                   leftovers first); the pool in etcd (--etcd, the default) or
#                                                   in each node's file (--files)
#        netlab.sh down                             kill every process in the namespaces, delete them
#        netlab.sh run COMMAND...                   up, run COMMAND, down on exit even after a failure
#        netlab.sh mux-start NAME                   ./panamux run in NAME's namespace ($RUN/NAME.yaml)
#        netlab.sh mux-stop NAME [--kill]           SIGTERM (clean stop, stats written) or SIGKILL; says
#                                                   whether the MUX's BIRD ended with it
#        netlab.sh agent-start NAME | agent-stop NAME [--kill]
#        netlab.sh server-stop NAME | server-start NAME   a backend's HTTP server (its health checks fail)
#        netlab.sh decap-stop NAME | decap-start NAME    a plain backend kK's net_decap.py drops / decapsulates
#                                                   again (its own address still answers)
#        netlab.sh mux-freeze NAME                  SIGSTOP the MUX and its BIRD: a host that went silent, its
#                                                   link still up (mux-stop NAME --kill ends it)
#        netlab.sh etcd-stop | etcd-start           the pool's etcd (not with up --files) killed, or started again
#        netlab.sh routes                           the router's kernel routes to the VIPs
#        netlab.sh wait-route VIP NEXTHOPS SECONDS  until the router's route to VIP has exactly NEXTHOPS
#                                                   (space-separated gateways, or "none"), or fail
#        netlab.sh exec NAME COMMAND...             run COMMAND in a namespace
#        netlab.sh check                            exit 0 when namespaces can be made here, else say why
# Environment: NETLAB_PREFIX (namespace prefix, default pmxn), NETLAB_RUN (run directory, default
# /run/panamux-netlab), PANAMUX_CLASSPATH (the MUX's class
# path, default: the launcher builds), HOSTAGENT_CLASSPATH (default hostagent/target/classes + lib).
set -euo pipefail
NETLAB_DIR=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
PANAMUX_ROOT=$(cd "$NETLAB_DIR/../.." && pwd)
RUN=${NETLAB_RUN:-/run/panamux-netlab}
P=${NETLAB_PREFIX:-pmxn}
RT=$P-rt
VIPS=(192.0.2.10 192.0.2.11 192.0.2.12 192.0.2.13)
POOL_VIPS='"192.0.2.10:80/tcp", "192.0.2.11:80/tcp", "192.0.2.12:80/tcp", "192.0.2.13:80/tcp"'
# The VIPs of the plain (kernel) backends k1, k2 (up --ipv6).
KVIPS=(192.0.2.20 2001:db8:f::10 2001:db8:f::11 192.0.2.21)
KBACKENDS=2
# The IPv6 VIPs of the host-agent backends b1, b2 (up --ipv6): Fastpath (f::12) and source-side selection at c2
# (f::13). Their agents, c2's and the MUXes tunnel to each other over IPv6 (IPv6 in IPv6).
AVIPS6=(2001:db8:f::12 2001:db8:f::13)
POOL_VIPS6='"[2001:db8:f::12]:80/tcp", "[2001:db8:f::13]:80/tcp"'
AS=65000
PYTHON=${NETLAB_PYTHON:-/usr/bin/python3}

# shellcheck source=../env.sh
source "$PANAMUX_ROOT/ci/env.sh"
pmx_select_jdk

log() { echo "netlab: $*" >&2; }
die() { echo "netlab: $*" >&2; exit 1; }
ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
link_id() {
  case $1 in
    c1) echo 1 ;; c2) echo 2 ;;
    m*) echo $((10 + ${1#m})) ;;
    b*) echo $((20 + ${1#b})) ;;
    k*) echo $((30 + ${1#k})) ;;
    *) die "unknown node $1" ;;
  esac
}
mac() { printf '02:98:00:00:%02x:%02x' "$1" "$2"; }
tap_mac() { printf '02:99:00:00:%02x:02' "$1"; }
addr() { echo "198.18.$1.$2"; }
addr6() { echo "2001:db8:$1::$2"; }
# Whether the lab is dual-stack (up --ipv6), from the shape it was made with.
ipv6_lab() { [ "$(awk '{print $3}' "$RUN/shape" 2>/dev/null)" = ipv6 ]; }
# Whether the BGP sessions run BFD (up --bfd).
bfd_lab() { [ "$(awk '{print $4}' "$RUN/shape" 2>/dev/null)" = bfd ]; }
# Whether the pool is kept in etcd (up's default; not up --files).
etcd_lab() { [ "$(awk '{print $5}' "$RUN/shape" 2>/dev/null)" = etcd ]; }
ETCD_PREFIX=/panamux/pools/netlab

# The store section of a node's file (up --etcd): etcd over the node's management link, its own cache file.
store_section() {
  local node=$1 id
  id=$(link_id "$node")
  cat <<EOF
store:
  etcd:
    endpoints: ["http://10.255.$id.1:2379"]
    prefix: $ETCD_PREFIX
    lease-seconds: 3
    cache-file: $RUN/$node-pool-cache.yaml
EOF
}

# The pool's etcd (up --etcd): one member in its own namespace, listening on every management link.
etcd_start() {
  ns etcd setsid etcd --name netlab --data-dir "$RUN/etcd-data" --listen-client-urls http://0.0.0.0:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster netlab=http://127.0.0.1:2380 \
    > "$RUN/etcd.log" 2>&1 < /dev/null &
  echo $! > "$RUN/etcd.pid"
  local i
  for i in $(seq 1 100); do
    ns etcd etcdctl --endpoints http://127.0.0.1:2379 --command-timeout=1s endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$RUN/etcd.log" >&2
  die "etcd did not start"
}

etcd_stop() {
  local pid
  for pid in $(ns_pids_matching etcd "etcd --name netlab"); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$RUN/etcd.pid"
}

# A management link from NODE to the etcd namespace: mgmt0 (10.255.ID.2/24) there, mgID (10.255.ID.1) here.
mgmt_link() {
  local node=$1 id
  id=$(link_id "$node")
  ip -n "$P-etcd" link add "mg$id" type veth peer name mgmt0 netns "$P-$node"
  ip -n "$P-etcd" addr add "10.255.$id.1/24" dev "mg$id"
  ip -n "$P-etcd" link set "mg$id" up
  ip -n "$P-$node" addr add "10.255.$id.2/24" dev mgmt0
  ip -n "$P-$node" link set mgmt0 up
}

# Stores the pool document (up --etcd) as an operator would: validated, compare-and-swap.
pool_push() {
  local env_cp=()
  [ -n "${PANAMUX_CLASSPATH:-}" ] && env_cp=(PANAMUX_CLASSPATH="$PANAMUX_CLASSPATH")
  ns etcd env "${env_cp[@]}" "$PANAMUX_ROOT/panamux" pool push --file "$RUN/pool.yaml" --etcd http://127.0.0.1:2379 \
    --prefix "$ETCD_PREFIX" > "$RUN/pool-push.log" 2>&1 || { cat "$RUN/pool-push.log" >&2; die "pool push failed"; }
}

cmd_check() {
  command -v ip >/dev/null || die "iproute2 is missing"
  [ "$(id -u)" -eq 0 ] || die "network namespaces need root"
  local probe=$P-probe$$
  if ! ip netns add "$probe" 2>/dev/null; then
    die "'ip netns add' is not permitted here (a container without CAP_SYS_ADMIN?)"
  fi
  ip netns del "$probe"
  command -v bird >/dev/null || die "bird (Debian package bird2) is missing"
  command -v ethtool >/dev/null || die "ethtool is missing"
}

# Offloads off on both ends of a veth: a DPDK port reading a veth (af_packet) must see finished
# checksums and frames no larger than the MTU, never a GSO super-packet.
no_offloads() {
  local nsname=$1 dev=$2
  ip netns exec "$nsname" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1 || true
}

# veth between the router and node N; the far end is called eth0 in N's namespace.
wire() {
  local node=$1 mtu=$2 id
  id=$(link_id "$node")
  ip netns add "$P-$node"
  ip -n "$P-$node" link set lo up
  # Made inside the router's namespace: nothing is ever created in the root namespace, so labs with
  # different prefixes can be up at the same time.
  ip -n "$RT" link add "rt-$node" address "$(mac "$id" 1)" mtu "$mtu" type veth peer name eth0 address "$(mac "$id" 2)" mtu "$mtu" \
    netns "$P-$node"
  ip -n "$RT" addr add "$(addr "$id" 1)/24" dev "rt-$node"
  if ipv6_lab; then
    ip -n "$RT" addr add "$(addr6 "$id" 1)/64" dev "rt-$node" nodad
  fi
  ip -n "$RT" link set "rt-$node" up
  no_offloads "$RT" "rt-$node"
  no_offloads "$P-$node" eth0
}

# A host whose kernel reaches the network only through its host agent: eth0 belongs to DPDK (no address,
# no ARP, no IPv6: the kernel ignores it), the agent's tap pmx0 gets the host's address and routes.
agent_host_prepare() {
  local node=$1
  ip -n "$P-$node" link set eth0 up arp off
  ns "$node" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
  ns "$node" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

agent_config() {
  local node=$1 id offer_to accept vips="" muxes="" nmux k
  id=$(link_id "$node")
  # The pool's MUXes (tunnels from anyone else are refused) and its VIPs (redirects only for them).
  read -r nmux _ < "$RUN/shape"
  for k in $(seq 1 "$nmux"); do
    muxes="$muxes${muxes:+, }$(addr $((10 + k)) 2)"
  done
  offer_to='["198.18.2.0/24"]'
  accept=true
  local vips_served=$POOL_VIPS address6=""
  if ipv6_lab; then
    for k in $(seq 1 "$nmux"); do
      muxes="$muxes, \"$(addr6 $((10 + k)) 2)\""
    done
    offer_to='["198.18.2.0/24", "2001:db8:2::/64"]'
    vips_served="$POOL_VIPS, $POOL_VIPS6"
    address6="  address6: \"$(addr6 "$id" 2)\""
  fi
  if [ "$node" = c2 ]; then
    vips='vips:
  - address: 192.0.2.13
    port: 80
    protocol: tcp
    backends:
      - { address: 198.18.21.2, weight: 1 }
      - { address: 198.18.22.2, weight: 1 }'
    if ipv6_lab; then
      vips="$vips
  - address: \"2001:db8:f::13\"
    port: 80
    protocol: tcp
    backends:
      - { address: \"$(addr6 21 2)\", weight: 1 }
      - { address: \"$(addr6 22 2)\", weight: 1 }"
    fi
  fi
  local pool_vips="  vips: [$vips_served]" seed="hash-seed: 0x5eed" store=""
  if etcd_lab; then
    # The VIPs, the served ones and the seed are the pool document's; c2 names those it selects for.
    pool_vips="" seed="" vips="" store=$(store_section "$node")
    if [ "$node" = c2 ]; then
      vips='select: ["192.0.2.13:80/tcp"'
      # The document has f::13 only with b1, b2 behind it (agent_backend_vips6).
      if ipv6_lab && [ "$(awk '{print $2}' "$RUN/shape")" -ge 2 ]; then
        vips="$vips, \"[2001:db8:f::13]:80/tcp\""
      fi
      vips="$vips]"
    fi
  fi
  cat > "$RUN/$node-agent.yaml" <<EOF
agent:
  name: $node
  address: $(addr "$id" 2)
$address6
  backs: [$vips_served]
pool:
  muxes: [$muxes]
$pool_vips
dataplane:
  eal: ["--no-huge", "-m", "128", "--no-pci", "--no-shconf", "--file-prefix=$P-$node", "-l", "0", "--log-level=lib.eal:error", "--log-level=pmd.net.tap:error"]
  network: "net_af_packet0,iface=eth0"
  host: "net_tap0,iface=pmx0,mac=$(tap_mac "$id")"
  gateway-mac: "$(mac "$id" 1)"
  mtu: 1500
$seed
fastpath:
  key: "$FASTPATH_KEY"
  port: 6081
  offer-to: $offer_to
  accept: $accept
  lease-seconds: 30
  max-age-millis: 2000
$vips
$store
EOF
}

hostagent_classpath() {
  if [ -n "${HOSTAGENT_CLASSPATH:-}" ]; then
    echo "$HOSTAGENT_CLASSPATH"
  else
    [ -d "$PANAMUX_ROOT/hostagent/target/classes" ] || die "hostagent is not built (cd $PANAMUX_ROOT && mvn -B -q -pl hostagent package -DskipTests)"
    echo "$PANAMUX_ROOT/hostagent/target/classes:$PANAMUX_ROOT/hostagent/target/lib/*"
  fi
}

cmd_agent_start() {
  agent_launch "$1"
  agent_tap_up "$1"
}

# Starts NODE's host agent, without waiting for it (agent_tap_up waits): up starts every agent at once, as each
# first reads its pool document (a new JVM's first etcd call takes seconds).
agent_launch() {
  local node=$1
  ip -n "$P-$node" link del pmx0 2>/dev/null || true
  # shellcheck disable=SC2086
  # ip netns exec and setsid both exec: $! is the JVM itself (through the ns function it would be a subshell,
  # and agent-stop's TERM or a reload's HUP would reach that shell, not the agent).
  ip netns exec "$P-$node" setsid java "${PANAMUX_JVM_FLAGS[@]}" -Xms32m -Xmx192m -XX:+UseSerialGC -XX:-UsePerfData -XX:TieredStopAtLevel=1 \
    -cp "$(hostagent_classpath)" io.panamux.hostagent.HostAgentMain --config "$RUN/$node-agent.yaml" \
    --stats-json "$RUN/$node-agent.json" > "$RUN/$node-agent.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$node-agent.pid"
}

# Waits for NODE's agent's tap (at most 60 s: up starts every agent at once on a machine that may have two
# cores), then gives it the host's addresses and routes.
agent_tap_up() {
  local node=$1 id i
  id=$(link_id "$node")
  for i in $(seq 1 600); do
    if ip -n "$P-$node" link show pmx0 >/dev/null 2>&1; then
      break
    fi
    kill -0 "$(cat "$RUN/$node-agent.pid")" 2>/dev/null || { cat "$RUN/$node-agent.log" >&2; die "host agent of $node exited"; }
    sleep 0.1
  done
  ip -n "$P-$node" link show pmx0 >/dev/null 2>&1 || { cat "$RUN/$node-agent.log" >&2; die "host agent of $node made no tap device"; }
  ip -n "$P-$node" addr add "$(addr "$id" 2)/24" dev pmx0
  ip -n "$P-$node" link set pmx0 mtu 1480 up
  ip -n "$P-$node" route replace default via "$(addr "$id" 1)" dev pmx0
  ns "$node" sysctl -qw net.ipv4.conf.pmx0.rp_filter=0
  if ipv6_lab; then
    # Dual-stack host: its IPv6 address on the tap too; the router finds it through the agent's neighbour
    # answers. 1440: room for a 40-byte outer IPv6 header (the agent's own tunnels) within the link's 1500.
    ns "$node" sysctl -qw net.ipv6.conf.pmx0.disable_ipv6=0 net.ipv6.conf.pmx0.accept_ra=0
    ip -n "$P-$node" addr add "$(addr6 "$id" 2)/64" dev pmx0 nodad
    ip -n "$P-$node" -6 route replace default via "$(addr6 "$id" 1)" dev pmx0 mtu 1440
  else
    ns "$node" sysctl -qw net.ipv6.conf.pmx0.disable_ipv6=1 2>/dev/null || true
  fi
}

stop_pid() {
  local pidfile=$1 signal=$2 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  kill -"$signal" "$pid" 2>/dev/null || return 0
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# The processes of NODE's namespace whose command line contains PATTERN (the pid files hold the shell that
# started them through ns, not the process itself).
ns_pids_matching() {
  local node=$1 pattern=$2 pid cmdline
  for pid in $(ip netns pids "$P-$node" 2>/dev/null); do
    # No pipe into grep -q: under pipefail, tr killed by SIGPIPE would turn a match into a miss.
    cmdline=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || continue
    if [[ $cmdline == *"$pattern"* ]]; then
      echo "$pid"
    fi
  done
  return 0
}

# Stops a host agent: its JVM itself (TERM, or KILL with --kill as a crash would end it), KILL after 15 s.
cmd_agent_stop() {
  local node=$1 signal=TERM pattern pid i left
  [ "${2:-}" = --kill ] && signal=KILL
  pattern="io.panamux.hostagent.HostAgentMain --config $RUN/$node-agent.yaml"
  for pid in $(ns_pids_matching "$node" "$pattern"); do
    kill -"$signal" "$pid" 2>/dev/null || true
  done
  for i in $(seq 1 150); do
    left=$(ns_pids_matching "$node" "$pattern")
    [ -z "$left" ] && break
    sleep 0.1
  done
  for pid in $(ns_pids_matching "$node" "$pattern"); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  stop_pid "$RUN/$node-agent.pid" KILL
}

backend_start_server() {
  local node=$1 binds=() v
  for v in "${VIPS[@]}"; do
    binds+=(--bind "$v")
  done
  if ipv6_lab; then
    for v in "${AVIPS6[@]}"; do
      binds+=(--bind "$v")
    done
  fi
  ns "$node" setsid "$PYTHON" "$PANAMUX_ROOT/perf/src/test/python/net_server.py" --name "$node" --port 80 "${binds[@]}" \
    > "$RUN/$node-server.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$node-server.pid"
}

router_config() {
  local muxes=$1 k
  {
    cat <<EOF
# The router in front of the MUX pool: iBGP with each MUX's speaker, ECMP into the kernel.
log "$RUN/rt-bird.log" all;
router id 198.18.0.1;
protocol device { scan time 2; }
protocol direct { ipv4; ipv6; interface "rt-*"; }
protocol kernel {
  ipv4 { import none; export filter { if source = RTS_BGP then accept; reject; }; };
  merge paths on;
}
protocol kernel {
  ipv6 { import none; export filter { if source = RTS_BGP then accept; reject; }; };
  merge paths on;
}
template bgp mux {
  local as $AS;
  hold time 3;
  keepalive time 1;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 { import all; export none; gateway recursive; igp table master4; };
  # Global next hops in the kernel (a direct session, with BFD, also sends the MUX's link-local one).
  ipv6 { import all; export none; gateway recursive; igp table master6; next hop prefer global; };
$(bfd_lab && echo "  direct; bfd on;")
}
EOF
    if bfd_lab; then
      echo 'protocol bfd { interface "rt-m*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; }; }'
    fi
    for k in $(seq 1 "$muxes"); do
      echo "protocol bgp m$k from mux { neighbor $(addr $((10 + k)) 2) as $AS; }"
    done
  } > "$RUN/rt-bird.conf"
}

mux_config() {
  local node=$1 backends=$2 id
  id=$(link_id "$node")
  local b3=198.18.23.2
  [ "$backends" -ge 3 ] || b3=198.18.22.2
  local seed="  hash-seed: 0x5eed" vips_to="$RUN/$node.yaml"
  if etcd_lab; then
    # The pool's VIPs and seed go to the pool document (the same for every MUX), the store section here.
    seed="" vips_to="$RUN/pool.yaml"
  fi
  cat > "$RUN/$node.yaml" <<EOF
mux:
  name: $node
  address: $(addr "$id" 2)
$(ipv6_lab && echo "  address6: \"$(addr6 "$id" 2)\"")
$seed
dataplane:
  eal: ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix=$P-$node", "-l", "0", "--log-level=lib.eal:error", "--vdev=net_af_packet0,iface=eth0"]
  port: 0
  workers: 1
  gateway-mac: "$(mac "$id" 1)"
  flow-table: { capacity: 65536, idle-timeout-seconds: 120 }
router:
  bgp:
    local-as: $AS
    neighbors: [ { address: $(addr "$id" 1), as: $AS } ]
    hold-seconds: 3
    run-directory: $RUN/$node-bgp
$(bfd_lab && echo "    bfd: { interval-ms: 100, multiplier: 3 }")
admin: { listen: "127.0.0.1:9480" }
$(etcd_lab && store_section "$node")
EOF
  if etcd_lab; then
    echo "pool: { hash-seed: 0x5eed }" > "$vips_to"
  fi
  cat >> "$vips_to" <<EOF
vips:
  - address: 192.0.2.10
    port: 80
    protocol: tcp
    backends:
      - { address: 198.18.21.2, weight: 1 }
      - { address: 198.18.22.2, weight: 1 }
  - address: 192.0.2.11
    port: 80
    protocol: tcp
    backends:
      - { address: $b3, weight: 1 }
  - address: 192.0.2.12
    port: 80
    protocol: tcp
    backends:
      - { address: 198.18.21.2, weight: 1 }
      - { address: 198.18.22.2, weight: 1 }
  - address: 192.0.2.13
    port: 80
    protocol: tcp
    backends:
      - { address: 198.18.21.2, weight: 1 }
      - { address: 198.18.22.2, weight: 1 }
$(ipv6_lab && kernel_backend_vips)
$(ipv6_lab && [ "$backends" -ge 2 ] && agent_backend_vips6)
EOF
}

# The VIPs of the plain backends k1, k2 (up --ipv6): an IPv4 and an IPv6 pool, and an IPv6 single-backend VIP.
kernel_backend_vips() {
  cat <<EOF
  - address: 192.0.2.20
    port: 80
    protocol: tcp
    # Withdrawn from the router when neither backend answers (issue 13): fast checks for the tests.
    # A TCP check: the backend's kernel answers it at once, however busy its (Python) server is.
    health-check: { type: tcp, interval-ms: 500, timeout-ms: 400, rise: 1, fall: 1, hold-down-ms: 1500 }
    backends:
      - { address: $(addr 31 2), weight: 1 }
      - { address: $(addr 32 2), weight: 1 }
  # The same backends checked through the tunnel (issue 13): GET /id to the VIP, IP-in-IP to the backend, so a
  # backend whose decapsulation stops (decap-stop) fails it while 192.0.2.20's plain check stays green.
  - address: 192.0.2.21
    port: 80
    protocol: tcp
    health-check: { type: http, path: /id, through-tunnel: true, interval-ms: 500, timeout-ms: 400, rise: 1, fall: 1, hold-down-ms: 1500 }
    backends:
      - { address: $(addr 31 2), weight: 1 }
      - { address: $(addr 32 2), weight: 1 }
  - address: "2001:db8:f::10"
    port: 80
    protocol: tcp
    backends:
      - { address: "$(addr6 31 2)", weight: 1 }
      - { address: "$(addr6 32 2)", weight: 1 }
  - address: "2001:db8:f::11"
    port: 80
    protocol: tcp
    backends:
      - { address: "$(addr6 31 2)", weight: 1 }
EOF
}

# The IPv6 VIPs of the host-agent backends (up --ipv6): the MUXes tunnel IPv6 in IPv6 to b1, b2's IPv6 addresses.
agent_backend_vips6() {
  local v
  for v in "${AVIPS6[@]}"; do
    cat <<EOF
  - address: "$v"
    port: 80
    protocol: tcp
    backends:
      - { address: "$(addr6 21 2)", weight: 1 }
      - { address: "$(addr6 22 2)", weight: 1 }
EOF
  done
}

# A plain Linux backend (up --ipv6): its kernel owns its dual-stack link; net_decap.py takes the MUXes'
# IP-in-IP into the TUN device pmxd0 (the kernel here has no tunnel drivers), the server answers on the VIPs.
kernel_backend_up() {
  local node=$1 id v i
  id=$(link_id "$node")
  wire "$node" 1500
  ip -n "$P-$node" addr add "$(addr "$id" 2)/24" dev eth0
  ip -n "$P-$node" addr add "$(addr6 "$id" 2)/64" dev eth0 nodad
  ip -n "$P-$node" link set eth0 up
  ip -n "$P-$node" route add default via "$(addr "$id" 1)"
  ip -n "$P-$node" -6 route add default via "$(addr6 "$id" 1)"
  # Decapsulated packets arrive on pmxd0 from clients routed through eth0: no reverse-path check.
  ns "$node" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  for v in "${KVIPS[@]}"; do
    case $v in
      *:*) ip -n "$P-$node" addr add "$v/128" dev lo nodad ;;
      *) ip -n "$P-$node" addr add "$v/32" dev lo ;;
    esac
  done
  ns "$node" setsid "$PYTHON" "$PANAMUX_ROOT/perf/src/test/python/net_decap.py" --tun pmxd0 --counts "$RUN/$node-decap.json" \
    > "$RUN/$node-decap.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$node-decap.pid"
  for i in $(seq 1 100); do
    ip -n "$P-$node" link show pmxd0 >/dev/null 2>&1 && break
    sleep 0.1
  done
  ip -n "$P-$node" link show pmxd0 >/dev/null 2>&1 || { cat "$RUN/$node-decap.log" >&2; die "$node: net_decap.py made no pmxd0"; }
  ns "$node" sysctl -qw net.ipv4.conf.pmxd0.rp_filter=0
  ip -n "$P-$node" link set pmxd0 up
  kernel_backend_start_server "$node"
}

kernel_backend_start_server() {
  local node=$1 binds=() v id
  id=$(link_id "$node")
  # The host's own addresses too: the MUXes' health checks go there.
  for v in "${KVIPS[@]}" "$(addr "$id" 2)" "$(addr6 "$id" 2)"; do
    binds+=(--bind "$v")
  done
  ns "$node" setsid "$PYTHON" "$PANAMUX_ROOT/perf/src/test/python/net_server.py" --name "$node" --port 80 "${binds[@]}" \
    > "$RUN/$node-server.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$node-server.pid"
}

# ./panamux run in the MUX's namespace: it starts its BGP speaker (BIRD, tied to the MUX's life through
# --pdeathsig) from the router.bgp section, and announces the VIPs once its workers forward.
cmd_mux_start() {
  local node=$1
  [ -f "$RUN/$node.yaml" ] || die "no configuration $RUN/$node.yaml (is the lab up?)"
  local env_cp=()
  [ -n "${PANAMUX_CLASSPATH:-}" ] && env_cp=(PANAMUX_CLASSPATH="$PANAMUX_CLASSPATH")
  rm -f "$RUN/$node-stats.json"
  ns "$node" env "${env_cp[@]}" JAVA_OPTS="-Xms64m -Xmx384m" setsid "$PANAMUX_ROOT/panamux" run \
    --config "$RUN/$node.yaml" --stats-json "$RUN/$node-stats.json" > "$RUN/$node.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$node.pid"
}

# The MUX's BIRD, if it runs: its pid from the pid file BIRD wrote, when that process is a bird.
mux_bird_pid() {
  local node=$1 pid
  pid=$(cat "$RUN/$node-bgp/bird.pid" 2>/dev/null || true)
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = bird ] && echo "$pid"
  return 0
}

cmd_mux_stop() {
  local node=$1 signal=TERM pid i wrapper bird
  [ "${2:-}" = --kill ] && signal=KILL
  bird=$(mux_bird_pid "$node")
  # The MUX's JVM itself: with --kill, as a crash would end it (nothing of panamux gets to run).
  pid=$(pgrep -f "io.panamux.slowpath.Main run --config $RUN/$node.yaml" | head -1 || true)
  [ -n "$pid" ] && kill -"$signal" "$pid" 2>/dev/null
  wrapper=$(cat "$RUN/$node.pid" 2>/dev/null || true)
  for i in $(seq 1 200); do
    { [ -z "$wrapper" ] || ! kill -0 "$wrapper" 2>/dev/null; } && { [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; } && break
    sleep 0.1
  done
  # Nothing else may do it for the MUX: its BIRD must be gone by itself (stopped by the MUX, or killed by the
  # kernel with it through --pdeathsig).
  if [ -n "$bird" ]; then
    for i in $(seq 1 30); do
      kill -0 "$bird" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$bird" 2>/dev/null; then
      log "$node: its BGP speaker (BIRD pid $bird) outlived the MUX"
    else
      log "$node: its BGP speaker (BIRD pid $bird) ended with the MUX"
    fi
  fi
  [ -n "$wrapper" ] && kill -KILL -- "-$wrapper" 2>/dev/null || true
  rm -f "$RUN/$node.pid"
}

# Stops a backend's HTTP server: the python process itself, found among the namespace's processes (the pid
# file holds the shell that started it).
cmd_server_stop() {
  local node=$1 pid i left
  for i in $(seq 1 50); do
    left=0
    for pid in $(ip netns pids "$P-$node" 2>/dev/null); do
      if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'net_server.py'; then
        kill -TERM "$pid" 2>/dev/null || true
        left=1
      fi
    done
    [ "$left" = 0 ] && { rm -f "$RUN/$node-server.pid"; return 0; }
    sleep 0.1
  done
  die "$node: its server did not stop"
}

# A plain backend's decapsulation (net_decap.py) stops (SIGUSR1: tunnelled packets are read and dropped, the
# host's own address still answers) or starts again (SIGUSR2): a broken tunnel on a host that looks healthy.
cmd_decap_signal() {
  local node=$1 signal=$2 pid found=0
  for pid in $(ip netns pids "$P-$node" 2>/dev/null); do
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q 'net_decap.py'; then
      kill -"$signal" "$pid" && found=1
    fi
  done
  [ "$found" = 1 ] || die "$node: no net_decap.py running"
}

# Freezes a MUX and its BIRD (SIGSTOP): nothing more leaves the MUX's host, its TCP sessions stay open and
# its link up, as when a host hangs or its far side silently drops everything. Only BFD or the BGP hold
# timer can tell the router.
cmd_mux_freeze() {
  local node=$1 pid bird
  bird=$(mux_bird_pid "$node")
  pid=$(pgrep -f "io.panamux.slowpath.Main run --config $RUN/$node.yaml" | head -1 || true)
  [ -n "$pid" ] || die "$node: no MUX running"
  [ -n "$bird" ] && kill -STOP "$bird"
  kill -STOP "$pid"
  log "$node: MUX (pid $pid) and its BIRD (pid ${bird:-none}) frozen"
}

cmd_routes() {
  ip -n "$RT" route show root 192.0.2.0/24
  ip -n "$RT" -6 route show root 2001:db8:f::/64 2>/dev/null || true
}

# The gateways of the router's kernel route to VIP, sorted, space-separated ("none" when there is none).
route_gateways() {
  local vip=$1 out
  case $vip in
    *:*) out=$(ip -n "$RT" -6 route show "$vip/128" 2>/dev/null | grep -oE 'via [0-9a-f:]+' | awk '{print $2}' | sort | tr '\n' ' ' | sed 's/ $//') ;;
    *) out=$(ip -n "$RT" route show "$vip/32" 2>/dev/null | grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | tr '\n' ' ' | sed 's/ $//') ;;
  esac
  echo "${out:-none}"
}

cmd_wait_route() {
  local vip=$1 want=$2 seconds=$3 got deadline
  want=$(echo "$want" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
  deadline=$(($(date +%s) + seconds))
  while :; do
    got=$(route_gateways "$vip")
    [ "$got" = "$want" ] && { echo "$got"; return 0; }
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 0.1
  done
  die "route to $vip: wanted via [$want], router has [$got] after ${seconds}s"
}

cmd_up() {
  local muxes=2 backends=3 ipv6=ipv4 bfd=nobfd etcd=etcd k n
  while [ $# -gt 0 ]; do
    case $1 in
      --muxes) muxes=$2; shift 2 ;;
      --backends) backends=$2; shift 2 ;;
      --ipv6) ipv6=ipv6; shift ;;
      --bfd) bfd=bfd; shift ;;
      --etcd) etcd=etcd; shift ;;
      --files) etcd=files; shift ;;
      *) die "up: unknown option $1" ;;
    esac
  done
  cmd_check
  cmd_down
  mkdir -p "$RUN"
  FASTPATH_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$FASTPATH_KEY" > "$RUN/fastpath.key"
  echo "$muxes $backends $ipv6 $bfd $etcd" > "$RUN/shape"

  ip netns add "$RT"
  ip -n "$RT" link set lo up
  ns rt sysctl -qw net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 \
    net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0 \
    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  if ipv6_lab; then
    ns rt sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.fib_multipath_hash_policy=1
  fi

  # Clients: c1 is a plain Linux host; c2 reaches the network through its host agent.
  wire c1 1480
  ip -n "$P-c1" addr add "$(addr 1 2)/24" dev eth0
  ip -n "$P-c1" link set eth0 up
  ip -n "$P-c1" route add default via "$(addr 1 1)"
  if ipv6_lab; then
    ip -n "$P-c1" addr add "$(addr6 1 2)/64" dev eth0 nodad
    # 1440: room for the MUX's 40-byte outer IPv6 header towards IPv6 backends within the links' 1500.
    ip -n "$P-c1" -6 route add default via "$(addr6 1 1)" mtu 1440
  fi
  wire c2 1500
  agent_host_prepare c2

  for k in $(seq 1 "$muxes"); do
    wire "m$k" 1500
    ip -n "$P-m$k" addr add "$(addr $((10 + k)) 2)/24" dev eth0
    ip -n "$P-m$k" link set eth0 up
    if ipv6_lab; then
      # The kernel beside the DPDK port answers the router's neighbor solicitations for the BGP next hop.
      ip -n "$P-m$k" addr add "$(addr6 $((10 + k)) 2)/64" dev eth0 nodad
      # The MUX's own (kernel) traffic: its health checks reach the backends through the router.
      ip -n "$P-m$k" route add 198.18.0.0/15 via "$(addr $((10 + k)) 1)"
      ip -n "$P-m$k" -6 route add 2001:db8::/32 via "$(addr6 $((10 + k)) 1)"
    else
      ns "m$k" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    fi
    mux_config "m$k" "$backends"
  done
  for k in $(seq 1 "$backends"); do
    wire "b$k" 1500
    agent_host_prepare "b$k"
    local v
    for v in "${VIPS[@]}"; do
      ip -n "$P-b$k" addr add "$v/32" dev lo
    done
    if ipv6_lab; then
      for v in "${AVIPS6[@]}"; do
        ip -n "$P-b$k" addr add "$v/128" dev lo nodad
      done
    fi
  done

  if ipv6_lab; then
    for k in $(seq 1 "$KBACKENDS"); do
      kernel_backend_up "k$k"
    done
  fi
  if etcd_lab; then
    command -v etcd >/dev/null || die "etcd (Debian package etcd-server) is missing (or: up --files)"
    ip netns add "$P-etcd"
    ip -n "$P-etcd" link set lo up
    for n in c2 $(seq -f 'm%g' 1 "$muxes") $(seq -f 'b%g' 1 "$backends"); do
      mgmt_link "$n"
    done
    etcd_start
    pool_push
  fi
  router_config "$muxes"
  ns rt bird -c "$RUN/rt-bird.conf" -s "$RUN/rt-bird.ctl" -P "$RUN/rt-bird.pid"

  local agents=(c2)
  for k in $(seq 1 "$backends"); do
    agents+=("b$k")
  done
  for n in "${agents[@]}"; do
    agent_config "$n"
    agent_launch "$n"
  done
  for n in "${agents[@]}"; do
    agent_tap_up "$n"
  done
  for k in $(seq 1 "$backends"); do
    backend_start_server "b$k"
  done
  log "up: router, $muxes MUX namespaces (not started), $backends backends with host agents and servers, clients c1, c2, the pool $(etcd_lab && echo "in etcd" || echo "in each node's file") (run dir $RUN)"
}

cmd_down() {
  local n pid
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$n" 2>/dev/null); do
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  sleep 0.5
  for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true); do
    for pid in $(ip netns pids "$n" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns del "$n" 2>/dev/null || true
  done
  rm -f "$RUN"/*.pid 2>/dev/null || true
}

cmd_run() {
  trap 'cmd_down' EXIT
  trap 'exit 130' INT TERM
  cmd_up
  "$@"
}

main() {
  local cmd=${1:-}
  shift || true
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    run) cmd_run "$@" ;;
    check) cmd_check ;;
    mux-start) cmd_mux_start "$@" ;;
    mux-stop) cmd_mux_stop "$@" ;;
    mux-freeze) cmd_mux_freeze "$@" ;;
    agent-start) cmd_agent_start "$@" ;;
    agent-stop) cmd_agent_stop "$@" ;;
    server-stop) cmd_server_stop "$1" ;;
    server-start)
      case $1 in
        k*) kernel_backend_start_server "$1" ;;
        *) backend_start_server "$1" ;;
      esac ;;
    decap-stop) cmd_decap_signal "$1" USR1 ;;
    decap-start) cmd_decap_signal "$1" USR2 ;;
    etcd-stop) etcd_stop ;;
    etcd-start) etcd_start ;;
    routes) cmd_routes ;;
    wait-route) cmd_wait_route "$@" ;;
    exec) local n=$1; shift; ns "$n" "$@" ;;
    *) sed -n '2,30p' "$0" >&2; exit 2 ;;
  esac
}

main "$@"
