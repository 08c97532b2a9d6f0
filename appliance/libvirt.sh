#!/bin/bash
# Writes a libvirt domain XML that runs the vdri appliance (the driver VM),
# with virgl (no host GPU given to it) or with GPUs passed through (VFIO).
#
#   appliance/libvirt.sh [options] [--out FILE]    then: virsh define FILE
#
# Options:
#   --image PATH     the appliance disk, raw or qcow2 (by its magic); default
#                    build/appliance/vdri-appliance.qcow2, else .img
#   --kernel         boot build/appliance/vdri-appliance-vmlinuz and
#                    -initrd.gz directly (--vmlinuz PATH, --initrd PATH: others)
#   --extra ARGS     more kernel arguments for --kernel
#   --config-disk PATH  a second disk (vdb, read-only) with the VDRICFG config
#   --pci BDF        pass this PCI device through (repeatable; managed='yes':
#                    libvirt binds it to vfio-pci while the VM runs).  Without
#                    --pci the VM gets a virtio GPU with virgl (3D rendered by
#                    the host's GPU through --gl)
#   --gl egl-headless|spice|none   how virgl reaches the host's GPU (default
#                    egl-headless; none: a virtio GPU without 3D)
#   --type kvm|qemu  libvirt domain type (default kvm; qemu: TCG emulation)
#   --net network:NAME|bridge:BR|user   (default network:default; user: QEMU's
#                    SLIRP, which other VMs cannot reach: for trying it alone)
#   --uefi           boot with UEFI firmware (OVMF) instead of BIOS
#   --name NAME      domain name (default vdri-driver)
#   --mem MB         memory (default 2048)
#   --vcpus N        virtual CPUs (default 2)
#   --out FILE       write the XML to FILE (default: standard output)
#
# Each --pci device is checked with `vdri-gpus --check` (a warning only: the
# XML may be meant for another host).  What guests must set goes to stderr.

set -eu
PROG=libvirt.sh
# shellcheck source=appliance/cfg-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cfg-lib.sh"

usage() { sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

IMAGE="" KERNEL=0 VMLINUZ="" INITRD="" EXTRA="" CFGDISK="" GL=egl-headless VIRT=kvm
NET=network:default UEFI=0 NAME=vdri-driver MEM=2048 VCPUS=2 OUT=""
PCI=()
while [ $# -gt 0 ]; do
    case "$1" in
    --image) need "$@"; IMAGE="$2"; shift 2 ;;
    --kernel) KERNEL=1; shift ;;
    --vmlinuz) need "$@"; VMLINUZ="$2"; KERNEL=1; shift 2 ;;
    --initrd) need "$@"; INITRD="$2"; KERNEL=1; shift 2 ;;
    --extra) need "$@"; EXTRA="$2"; shift 2 ;;
    --config-disk) need "$@"; CFGDISK="$2"; shift 2 ;;
    --pci) need "$@"; PCI+=("$(cfg_bdf "$2")"); shift 2 ;;
    --gl) need "$@"; GL="$2"; shift 2 ;;
    --type) need "$@"; VIRT="$2"; shift 2 ;;
    --net) need "$@"; NET="$2"; shift 2 ;;
    --uefi) UEFI=1; shift ;;
    --name) need "$@"; NAME="$2"; shift 2 ;;
    --mem) need "$@"; MEM="$2"; shift 2 ;;
    --vcpus) need "$@"; VCPUS="$2"; shift 2 ;;
    --out) need "$@"; OUT="$2"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown option '$1' (--help lists them)" ;;
    esac
done

cfg_word --name "$NAME"
cfg_num --mem "$MEM" 256 1048576
cfg_num --vcpus "$VCPUS" 1 128
case "$VIRT" in kvm|qemu) ;; *) die "--type must be kvm or qemu, not '$VIRT'" ;; esac
case "$GL" in egl-headless|spice|none) ;; *) die "--gl must be egl-headless, spice or none, not '$GL'" ;; esac
case "$NET" in
network:?*|bridge:?*) cfg_word --net "${NET#*:}" ;;
user) ;;
*) die "--net must be network:NAME, bridge:BR or user, not '$NET'" ;;
esac
case "$EXTRA" in *[\<\>\&]*) die "--extra may not contain <, > or &" ;; esac
[ "$KERNEL" = 0 ] || [ -z "$IMAGE" ] || die "--image and --kernel exclude each other"

# XML-safe: cfg_file refuses quotes; < > & are refused here
xmlpath() {
    case "$2" in *[\<\>\&]*) die "$1 path '$2' has <, > or &" ;; esac
    cfg_file "$1" "$2" "${3:-}"
}
if [ "$KERNEL" = 1 ]; then
    VMLINUZ=$(xmlpath kernel "${VMLINUZ:-$CFG_APPL/vdri-appliance-vmlinuz}" "build the appliance or pass --vmlinuz")
    INITRD=$(xmlpath initrd "${INITRD:-$CFG_APPL/vdri-appliance-initrd.gz}" "build the appliance or pass --initrd")
else
    if [ -z "$IMAGE" ]; then
        IMAGE=$CFG_APPL/vdri-appliance.qcow2
        [ -f "$IMAGE" ] || IMAGE=$CFG_APPL/vdri-appliance.img
    fi
    IMAGE=$(xmlpath image "$IMAGE" "build the appliance or pass --image")
fi
[ -z "$CFGDISK" ] || CFGDISK=$(xmlpath "config disk" "$CFGDISK")
i=0
for b in "${PCI[@]}"; do
    for c in "${PCI[@]:0:$i}"; do [ "$b" != "$c" ] || die "--pci $b given twice"; done
    i=$((i + 1))
    cfg_vfio_warn "$b" managed
done

disk() { # FILE DEV [readonly]
    echo "    <disk type='file' device='disk'>"
    echo "      <driver name='qemu' type='$(cfg_image_format "$1")'/>"
    echo "      <source file='$1'/>"
    echo "      <target dev='$2' bus='virtio'/>"
    [ -z "${3:-}" ] || echo "      <readonly/>"
    echo "    </disk>"
}

hostdev() { # BDF
    local d=${1%%:*} rest=${1#*:}
    echo "    <hostdev mode='subsystem' type='pci' managed='yes'>"
    echo "      <source>"
    echo "        <address domain='0x$d' bus='0x${rest%%:*}' slot='0x$(echo "$rest" | cut -c4-5)' function='0x${1##*.}'/>"
    echo "      </source>"
    echo "    </hostdev>"
}

interface() {
    case "$NET" in
    network:*) echo "    <interface type='network'>"
               echo "      <source network='${NET#*:}'/>" ;;
    bridge:*) echo "    <interface type='bridge'>"
              echo "      <source bridge='${NET#*:}'/>" ;;
    user) echo "    <interface type='user'>" ;;
    esac
    echo "      <model type='virtio'/>"
    echo "    </interface>"
}

display() {
    if [ ${#PCI[@]} -gt 0 ]; then
        echo "    <!-- the GPUs come from the host (VFIO); no emulated display -->"
        echo "    <video>"
        echo "      <model type='none'/>"
        echo "    </video>"
        for b in "${PCI[@]}"; do hostdev "$b"; done
        return
    fi
    echo "    <!-- virgl: the VM's virtio GPU renders on the host's GPU -->"
    case "$GL" in
    egl-headless) echo "    <graphics type='egl-headless'/>" ;;
    spice) echo "    <graphics type='spice'>"
           echo "      <listen type='none'/>"
           echo "      <gl enable='yes'/>"
           echo "    </graphics>" ;;
    esac
    echo "    <video>"
    if [ "$GL" = none ]; then
        echo "      <model type='virtio' heads='1' primary='yes'/>"
    else
        echo "      <model type='virtio' heads='1' primary='yes'>"
        echo "        <acceleration accel3d='yes'/>"
        echo "      </model>"
    fi
    echo "    </video>"
}

emit() {
    echo "<!-- vdri appliance (driver VM), written by appliance/libvirt.sh: virsh define THIS-FILE -->"
    echo "<domain type='$VIRT'>"
    echo "  <name>$NAME</name>"
    echo "  <memory unit='MiB'>$MEM</memory>"
    echo "  <vcpu>$VCPUS</vcpu>"
    if [ "$UEFI" = 1 ]; then echo "  <os firmware='efi'>"; else echo "  <os>"; fi
    echo "    <type arch='x86_64' machine='q35'>hvm</type>"
    if [ "$KERNEL" = 1 ]; then
        echo "    <kernel>$VMLINUZ</kernel>"
        echo "    <initrd>$INITRD</initrd>"
        echo "    <cmdline>console=ttyS0${EXTRA:+ $EXTRA}</cmdline>"
    else
        echo "    <boot dev='hd'/>"
    fi
    echo "  </os>"
    echo "  <features>"
    echo "    <acpi/>"
    echo "    <apic/>"
    echo "  </features>"
    [ "$VIRT" != kvm ] || echo "  <cpu mode='host-passthrough'/>"
    echo "  <on_poweroff>destroy</on_poweroff>"
    echo "  <on_reboot>restart</on_reboot>"
    echo "  <on_crash>restart</on_crash>"
    echo "  <devices>"
    [ "$KERNEL" = 1 ] || disk "$IMAGE" vda
    [ -z "$CFGDISK" ] || disk "$CFGDISK" vdb readonly
    interface
    echo "    <!-- the appliance prints VDRI-READY on ttyS0: virsh console $NAME -->"
    echo "    <serial type='pty'>"
    echo "      <target port='0'/>"
    echo "    </serial>"
    echo "    <console type='pty'>"
    echo "      <target type='serial' port='0'/>"
    echo "    </console>"
    display
    echo "  </devices>"
    echo "</domain>"
}

if [ -n "$OUT" ]; then
    emit > "$OUT"
    echo "$PROG: wrote $OUT ($VIRT, ${#PCI[@]} PCI device(s)); then: virsh define $OUT && virsh start $NAME" >&2
else
    emit
fi
[ "$NET" != user ] || warn "--net user: other VMs cannot reach the appliance (use network:NAME or bridge:BR for guests)"
cfg_guest_hint "" "\`virsh domifaddr $NAME\`, or the VDRI-READY line on \`virsh console $NAME\`" >&2
