#!/usr/bin/env bash
# Both lab VMs: DPDK 22.11 (Debian 12's), JDK 25 (Temurin), Maven and a C compiler for the project's
# build, and 2 MB hugepages reserved now and at every boot.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
HUGEPAGES=${PANAMUX_HUGEPAGES:-1024}

apt-get update -qq
apt-get install -y -qq --no-install-recommends dpdk dpdk-dev libdpdk-dev pkg-config gcc libc6-dev maven git \
  pciutils kmod driverctl iproute2 bsdutils tmux wget gnupg ca-certificates tshark

# JDK 25 from Adoptium's repository (Debian 12 has no JDK 25).
if ! dpkg-query -W -f='${Status}' temurin-25-jdk 2>/dev/null | grep -q 'install ok installed'; then
  install -d -m 0755 /etc/apt/keyrings
  wget -qO /etc/apt/keyrings/adoptium.asc https://packages.adoptium.net/artifactory/api/gpg/key/public
  echo "deb [signed-by=/etc/apt/keyrings/adoptium.asc] https://packages.adoptium.net/artifactory/deb bookworm main" \
    > /etc/apt/sources.list.d/adoptium.list
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends temurin-25-jdk
fi

# Hugepages: DPDK with --in-memory takes them without a hugetlbfs mount.
echo "vm.nr_hugepages = $HUGEPAGES" > /etc/sysctl.d/80-panamux-hugepages.conf
sysctl -q -p /etc/sysctl.d/80-panamux-hugepages.conf
got=$(cat /proc/sys/vm/nr_hugepages)
if [ "$got" -lt "$HUGEPAGES" ]; then
  echo "base: only $got of $HUGEPAGES hugepages could be reserved (memory fragmented?): reboot the VM" >&2
fi
echo "base: DPDK $(dpkg-query -W -f='${Version}' dpdk), $(/usr/lib/jvm/temurin-25-jdk-amd64/bin/java -version 2>&1 | head -1), hugepages $got x 2 MB"
