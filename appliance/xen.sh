#!/bin/bash
# Writes an xl domain configuration that runs the vdri appliance as a Xen
# driver domain, optionally owning GPUs passed through from dom0.
#
#   appliance/xen.sh [options] [--out FILE]     then, on the Xen host: xl create FILE
#
# Options:
#   --image PATH     boot the appliance disk (HVM; raw or qcow2 by its magic);
#                    default build/appliance/vdri-appliance.img
#   --kernel         boot the appliance kernel and initrd directly instead
#                    (build/appliance/vdri-appliance-vmlinuz, -initrd.gz):
#                    PVH, or HVM when a GPU is passed through (Xen 4.17 has no
#                    PCI passthrough for PVH guests)
#   --vmlinuz PATH, --initrd PATH   other files for --kernel
#   --extra ARGS     more kernel arguments for --kernel
#   --config-disk PATH  a second disk (xvdb, read-only) holding the appliance's
#                    VDRICFG configuration
#   --type hvm|pvh|pv   override the guest type
#   --pci BDF        pass this PCI device through (repeatable); assign it on
#                    the host first: xl pci-assignable-add BDF
#   --name NAME      domain name (default vdri-driver)
#   --mem MB         memory (default 2048)
#   --vcpus N        virtual CPUs (default 2)
#   --bridge BR      dom0 bridge for the network interface (default xenbr0)
#   --ip ADDR        the driver domain's address, for the guests' settings
#   --out FILE       write the configuration to FILE (default: standard output)
#
# On a Xen host each --pci device is looked up in `xl pci-assignable-list`;
# elsewhere `vdri-gpus --check` runs: either way only a warning, the device may
# be assigned later.  What guests must set is printed on standard error.

set -eu
PROG=xen.sh
# shellcheck source=appliance/cfg-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cfg-lib.sh"

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

IMAGE="" KERNEL=0 VMLINUZ="" INITRD="" EXTRA="" CFGDISK="" TYPE="" NAME=vdri-driver MEM=2048
VCPUS=2 BRIDGE=xenbr0 IP="" OUT=""
PCI=()
while [ $# -gt 0 ]; do
    case "$1" in
    --image) need "$@"; IMAGE="$2"; shift 2 ;;
    --kernel) KERNEL=1; shift ;;
    --vmlinuz) need "$@"; VMLINUZ="$2"; KERNEL=1; shift 2 ;;
    --initrd) need "$@"; INITRD="$2"; KERNEL=1; shift 2 ;;
    --extra) need "$@"; EXTRA="$2"; shift 2 ;;
    --config-disk) need "$@"; CFGDISK="$2"; shift 2 ;;
    --type) need "$@"; TYPE="$2"; shift 2 ;;
    --pci) need "$@"; PCI+=("$(cfg_bdf "$2")"); shift 2 ;;
    --name) need "$@"; NAME="$2"; shift 2 ;;
    --mem) need "$@"; MEM="$2"; shift 2 ;;
    --vcpus) need "$@"; VCPUS="$2"; shift 2 ;;
    --bridge) need "$@"; BRIDGE="$2"; shift 2 ;;
    --ip) need "$@"; IP="$2"; shift 2 ;;
    --out) need "$@"; OUT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown option '$1' (--help lists them)" ;;
    esac
done

cfg_word --name "$NAME"
cfg_word --bridge "$BRIDGE"
cfg_num --mem "$MEM" 256 1048576
cfg_num --vcpus "$VCPUS" 1 128
[ -z "$IP" ] || cfg_word --ip "$IP"
case "$EXTRA" in *[\"\\]*) die "--extra may not contain a double quote or backslash" ;; esac
[ "$KERNEL" = 0 ] || [ -z "$IMAGE" ] || die "--image and --kernel exclude each other"
if [ -z "$TYPE" ]; then
    TYPE=hvm
    [ "$KERNEL" = 0 ] || [ ${#PCI[@]} -gt 0 ] || TYPE=pvh
fi
case "$TYPE" in
hvm|pv) ;;
pvh) [ ${#PCI[@]} -eq 0 ] || die "--type pvh cannot have --pci: Xen 4.17 has no PCI passthrough for PVH guests (use hvm)" ;;
*) die "--type must be hvm, pvh or pv, not '$TYPE'" ;;
esac
[ "$KERNEL" = 1 ] || [ "$TYPE" = hvm ] || die "--type $TYPE boots a kernel: add --kernel (a disk image boots as hvm)"

if [ "$KERNEL" = 1 ]; then
    VMLINUZ=$(cfg_file kernel "${VMLINUZ:-$CFG_APPL/vdri-appliance-vmlinuz}" "build the appliance or pass --vmlinuz")
    INITRD=$(cfg_file initrd "${INITRD:-$CFG_APPL/vdri-appliance-initrd.gz}" "build the appliance or pass --initrd")
else
    IMAGE=$(cfg_file image "${IMAGE:-$CFG_APPL/vdri-appliance.img}" "build the appliance or pass --image")
fi
[ -z "$CFGDISK" ] || CFGDISK=$(cfg_file "config disk" "$CFGDISK")
i=0
for b in "${PCI[@]}"; do
    for c in "${PCI[@]:0:$i}"; do [ "$b" != "$c" ] || die "--pci $b given twice"; done
    i=$((i + 1))
done

# The GPU: assignable on this Xen host, or what VFIO would say elsewhere.
xen_host=0
[ "$(cat /sys/hypervisor/type 2>/dev/null || true)" = xen ] && [ -e /proc/xen/capabilities ] && xen_host=1
if [ ${#PCI[@]} -gt 0 ]; then
    if [ "$xen_host" = 1 ]; then
        assignable=$(xl pci-assignable-list 2>/dev/null || true)
        for b in "${PCI[@]}"; do
            printf '%s\n' "$assignable" | grep -q "^$b" ||
                warn "$b is not assignable yet: run \`xl pci-assignable-add $b\` in dom0"
        done
    else
        for b in "${PCI[@]}"; do cfg_vfio_warn "$b"; done
        warn "not a Xen dom0: on the Xen host run \`xl pci-assignable-add BDF\` for each GPU before \`xl create\`"
    fi
fi

q() { printf "'%s'" "$1"; }
join() { local s; s=$(printf '%s, ' "$@"); echo "${s%, }"; }
emit() {
    echo "# vdri driver domain, written by appliance/xen.sh; start it with: xl create THIS-FILE"
    echo "name = \"$NAME\""
    echo "type = \"$TYPE\""
    echo "memory = $MEM"
    echo "vcpus = $VCPUS"
    local disks=()
    if [ "$KERNEL" = 1 ]; then
        local console=hvc0
        [ "$TYPE" != hvm ] || console=ttyS0
        echo "kernel = \"$VMLINUZ\""
        echo "ramdisk = \"$INITRD\""
        echo "extra = \"console=$console${EXTRA:+ $EXTRA}\""
    else
        disks+=("$(q "format=$(cfg_image_format "$IMAGE"),vdev=xvda,access=rw,target=$IMAGE")")
        echo "boot = \"c\""
    fi
    [ -z "$CFGDISK" ] || disks+=("$(q "format=raw,vdev=xvdb,access=ro,target=$CFGDISK")")
    if [ ${#disks[@]} -gt 0 ]; then
        echo "disk = [ $(join "${disks[@]}") ]"
    fi
    echo "vif = [ $(q "bridge=$BRIDGE") ]"
    if [ "$TYPE" = hvm ]; then
        echo "# the appliance's console is its first serial port: xl console $NAME"
        echo "serial = 'pty'"
        echo "vnc = 0"
        echo "sdl = 0"
    else
        echo "# the appliance's console is hvc0: xl console $NAME"
    fi
    echo "on_poweroff = 'destroy'"
    echo "on_reboot = 'restart'"
    echo "on_crash = 'restart'"
    echo "# a driver domain: may run backends for other domains"
    echo "driver_domain = 1"
    if [ ${#PCI[@]} -gt 0 ]; then
        local specs=()
        for b in "${PCI[@]}"; do specs+=("$(q "$b,permissive=0")"); done
        echo "# GPUs passed through; each must be assignable: xl pci-assignable-add BDF"
        echo "pci = [ $(join "${specs[@]}") ]"
    fi
}

if [ -n "$OUT" ]; then
    emit > "$OUT"
    echo "$PROG: wrote $OUT ($TYPE, ${#PCI[@]} PCI device(s)); start it with: xl create $OUT" >&2
else
    emit
fi
{
    [ ${#PCI[@]} -eq 0 ] || echo "in dom0 first: $(for b in "${PCI[@]}"; do printf 'xl pci-assignable-add %s; ' "$b"; done)"
    cfg_guest_hint "$IP" "the VDRI-READY line on \`xl console $NAME\`, or the DHCP server on $BRIDGE"
} >&2
