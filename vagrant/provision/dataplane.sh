#!/usr/bin/env bash
# Gives the data NIC (the virtio-net with the MAC given as $1) to DPDK: vfio-pci in no-IOMMU mode (a VM
# has no IOMMU unless one is configured for it), bound now and at every boot with driverctl. Writes
# /etc/panamux/dataplane.env with the NIC's PCI address and MAC for the other scripts.
set -euo pipefail
MAC=${1:?usage: dataplane.sh DATA_NIC_MAC}
ENV_FILE=/etc/panamux/dataplane.env
install -d /etc/panamux

echo "options vfio enable_unsafe_noiommu_mode=1" > /etc/modprobe.d/panamux-vfio.conf
echo vfio-pci > /etc/modules-load.d/panamux-vfio.conf
modprobe vfio enable_unsafe_noiommu_mode=1
modprobe vfio-pci
echo 1 > /sys/module/vfio/parameters/enable_unsafe_noiommu_mode

pci=""
for dev in /sys/class/net/*; do
  if [ -e "$dev/device" ] && [ "$(cat "$dev/address")" = "$MAC" ]; then
    pci=$(basename "$(readlink -f "$dev/device")")
    ip link set dev "$(basename "$dev")" down
  fi
done
if [ -z "$pci" ] && [ -f "$ENV_FILE" ]; then
  # Already bound by an earlier provisioning run: the kernel no longer shows it as an interface.
  # shellcheck source=/dev/null
  pci=$(. "$ENV_FILE" && echo "$PANAMUX_PCI")
fi
[ -n "$pci" ] || { echo "dataplane: no NIC with MAC $MAC" >&2; exit 1; }

driverctl set-override "$pci" vfio-pci
printf 'PANAMUX_PCI=%s\nPANAMUX_MAC=%s\n' "$pci" "$MAC" > "$ENV_FILE"
echo "dataplane: $pci ($MAC) bound to vfio-pci:"
dpdk-devbind.py --status-dev net | sed -n '/DPDK-compatible/,/^$/p'
