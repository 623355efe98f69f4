#!/usr/bin/env bash
# The generator VM: builds panamux (for its traffic generator) and, with PANAMUX_PKTGEN=1, pktgen-DPDK.
# Send traffic at the MUX with: sudo panamux-lab-generate [--rate PPS --seconds S --flows N ...]
set -euo pipefail
MAC=${1:?usage: gen.sh OWN_DATA_MAC MUX_DATA_MAC}
MUX_MAC=${2:?usage: gen.sh OWN_DATA_MAC MUX_DATA_MAC}
# shellcheck source=/dev/null
. /etc/panamux/dataplane.env

cd /panamux
JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH mvn -B -q -DskipTests package
touch perf/target/.panamux-build-stamp

cat > /usr/local/bin/panamux-lab-generate <<SH
#!/usr/bin/env bash
# The built-in generator on the lab data NIC $PANAMUX_PCI ($MAC), sending to the MUX at $MUX_MAC.
# Extra arguments go to "panamux bench generate" (--rate, --seconds, --flows, --sizes, --vip, --schedule ...).
exec /panamux/panamux bench generate --eal "--in-memory -l 0 -a $PANAMUX_PCI --log-level=lib.eal:error" --port 0 \\
  --dst-mac $MUX_MAC --cpu 1 "\$@"
SH
chmod +x /usr/local/bin/panamux-lab-generate

if [ "${PANAMUX_PKTGEN:-0}" = "1" ]; then
  /panamux/perf/pktgen/build-pktgen.sh /opt/pktgen
fi
echo "gen: generator on $PANAMUX_PCI ($MAC) towards the MUX at $MUX_MAC: sudo panamux-lab-generate --rate 1000000 --seconds 10"
