#!/bin/bash
# Binds PCI devices to vfio-pci so that a VM (QEMU, libvirt) can own them.
#
#   appliance/vfio-bind.sh BDF...     e.g. 0000:01:00.0 0000:01:00.1
#
# For each device: driver_override = vfio-pci, unbind from its driver, ask the
# kernel to probe it again (drivers_probe), then check it landed on vfio-pci.
# Bind every device of the GPU's IOMMU group (`vdri-gpus` lists them; PCI
# bridges excepted).  Undo: echo > .../driver_override, then unbind and probe.
# Needs root.  VDRI_SYSFS_ROOT (default /sys) is for tests.

set -eu
PROG=vfio-bind.sh
# shellcheck source=appliance/cfg-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cfg-lib.sh"
SYS="${VDRI_SYSFS_ROOT:-/sys}"

case "${1:-}" in ''|-h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || die "must run as root (it writes to $SYS/bus/pci)"
BDFS=()
for a in "$@"; do
    b=$(cfg_bdf "$a")
    [ -d "$SYS/bus/pci/devices/$b" ] || die "$b: no such PCI device"
    BDFS+=("$b")
done
if [ ! -d "$SYS/bus/pci/drivers/vfio-pci" ] && [ "$SYS" = /sys ]; then
    modprobe vfio-pci || die "cannot load vfio-pci (modprobe vfio-pci)"
fi

driver_of() { basename "$(readlink "$SYS/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null || true; }

for b in "${BDFS[@]}"; do
    d="$SYS/bus/pci/devices/$b"
    old=$(driver_of "$b")
    if [ "$old" = vfio-pci ]; then
        echo "$b: already bound to vfio-pci"
        continue
    fi
    echo vfio-pci > "$d/driver_override"
    [ -z "$old" ] || echo "$b" > "$d/driver/unbind"
    echo "$b" > "$SYS/bus/pci/drivers_probe"
    now=$(driver_of "$b")
    if [ "$SYS" = /sys ] && [ "$now" != vfio-pci ]; then
        die "$b: bound to ${now:-no driver} after probing, not vfio-pci (dmesg may say why)"
    fi
    echo "$b: ${old:-no driver} -> vfio-pci"
done
