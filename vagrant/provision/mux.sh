#!/usr/bin/env bash
# The MUX VM: builds panamux and writes /etc/panamux/lab.yaml, a MUX on the data NIC whose gateway is
# the generator VM's data NIC. Start it with: sudo panamux-lab-mux [--duration S --stats-json FILE]
set -euo pipefail
MAC=${1:?usage: mux.sh OWN_DATA_MAC GATEWAY_MAC}
GATEWAY=${2:?usage: mux.sh OWN_DATA_MAC GATEWAY_MAC}
# shellcheck source=/dev/null
. /etc/panamux/dataplane.env

cd /panamux
JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH mvn -B -q -DskipTests package
touch perf/target/.panamux-build-stamp

cat > /etc/panamux/lab.yaml <<YAML
# Written by vagrant/provision/mux.sh: panamux on the lab data NIC $PANAMUX_PCI ($MAC).
mux:
  name: lab-mux
  address: 10.0.0.10
dataplane:
  # Hugepages (--in-memory: no hugetlbfs mount, nothing left behind), the data NIC only, main lcore on CPU 0;
  # the MUX pins its worker to CPU 1.
  eal: ["--in-memory", "-l", "0", "-a", "$PANAMUX_PCI", "--log-level=lib.eal:error"]
  port: 0
  workers: 1
  # The generator VM's data NIC: what the MUX forwards goes back to the generator.
  gateway-mac: "$GATEWAY"
  flow-table: { capacity: 4194304, idle-timeout-seconds: 300 }
vips:
  - address: 192.0.2.10
    port: 80
    protocol: tcp
    encapsulation: ipip
    backends:
      - { address: 10.1.0.1 }
      - { address: 10.1.0.2 }
      - { address: 10.1.0.3 }
      - { address: 10.1.0.4 }
  - address: 192.0.2.10
    port: 53
    protocol: udp
    encapsulation: ipip
    backends:
      - { address: 10.1.0.1 }
      - { address: 10.1.0.2 }
YAML

cat > /usr/local/bin/panamux-lab-mux <<'SH'
#!/usr/bin/env bash
# The lab MUX on the data NIC (extra arguments go to "panamux run", e.g. --duration 60 --stats-json s.json).
exec /panamux/panamux run --config /etc/panamux/lab.yaml "$@"
SH
chmod +x /usr/local/bin/panamux-lab-mux
echo "mux: panamux built; MUX on $PANAMUX_PCI ($MAC), gateway $GATEWAY: sudo panamux-lab-mux"
