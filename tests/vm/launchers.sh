#!/bin/bash
# The driver VM's launch configurations, without booting anything:
#   - vdri-gpus on this machine (libpciaccess against sysfs) and on fake sysfs
#     trees, one per passthrough verdict; vfio-bind.sh on a fake tree;
#   - appliance/xen.sh configurations checked by `xl -N create` where this is a
#     Xen dom0, else by xl's own parsers in libxlutil (vdri-xlcfg);
#   - appliance/libvirt.sh XML checked by virt-xml-validate (libvirt's schema)
#     and by libvirt's own parser (virsh -c test:///default define);
#   - bad arguments refused with clear messages.
#
#   tests/vm/launchers.sh [BUILD_DIR]      default build/release
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped".
# shellcheck disable=SC2016  # check (tests/vm/lib.sh) evaluates its expressions
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
ROOT=$PWD
B=${1:-build/release}
V=$(basename "$B")
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
T=$(mktemp -d "${TMPDIR:-/tmp}/vdri-launchers.XXXXXX")
chmod 755 "$T"
trap 'rm -rf "$T"' EXIT

pass() { ok "launchers: $*"; }
fail() { bad "launchers: $*"; }
skip() { echo "SKIP launchers: $*"; skip=$((skip + 1)); }

# expect NAME RC TEXT CMD...: CMD exits RC and prints TEXT (stdout+stderr)
expect() {
    local name=$1 rc=$2 text=$3 got out
    shift 3
    out=$("$@" 2>&1) && got=0 || got=$?
    if [ "$got" = "$rc" ] && printf '%s\n' "$out" | grep -qF -- "$text"; then
        pass "$name"
    else
        fail "$name (exit $got, wanted $rc and '$text'):"
        printf '%s\n' "$out" | sed 's/^/    /' | head -20
    fi
}

if ! make -s VARIANT="$V" "$B/bin/vdri-gpus" >"$T/make.log" 2>&1; then
    sed 's/^/    /' "$T/make.log" | tail -20
    fail "make $B/bin/vdri-gpus (libpciaccess-dev installed?)"
    summary
    exit
fi
GPUS=$ROOT/$B/bin/vdri-gpus
export VDRI_GPUS=$GPUS

# ---- vdri-gpus on this machine ------------------------------------------------
out=$("$GPUS" 2>&1) && rc=0 || rc=$?
if [ "$rc" = 0 ] && { printf '%s\n' "$out" | grep -q '^vdri-gpus: no GPU found (no PCI display controller)$' ||
    printf '%s\n' "$out" | grep -qE '^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]  \['; }; then
    pass "vdri-gpus here: $(printf '%s\n' "$out" | head -1)"
else
    fail "vdri-gpus here (exit $rc): $out"
fi
n_sys=$(find /sys/bus/pci/devices -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
n_lib=$("$GPUS" --all --json 2>/dev/null | grep -c '^{"bdf"')
if [ "$n_sys" = "$n_lib" ]; then
    pass "libpciaccess enumerates what /sys/bus/pci has ($n_lib devices)"
else
    fail "libpciaccess found $n_lib devices, /sys/bus/pci/devices has $n_sys"
fi
expect "--check of an absent device" 1 "vdri-gpus: 0000:99:00.0: no such PCI device" "$GPUS" --check 0000:99:00.0
expect "--check of a malformed address" 2 "'1:2.3' is not a PCI address" "$GPUS" --check 1:2.3
expect "--check with a bad option" 2 "usage:" "$GPUS" --frobnicate
first=$(find /sys/bus/pci/devices -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort | head -1)
if [ -n "$first" ] && [ ! -e "/sys/bus/pci/devices/$first/iommu_group" ]; then
    expect "--check $first here: no IOMMU" 1 "no IOMMU group: the IOMMU is off or absent" "$GPUS" --check "$first"
else
    skip "--check of a device here without IOMMU (no PCI device, or an IOMMU is on)"
fi

# ---- vdri-gpus verdicts on fake sysfs trees ----------------------------------
GPU=0000:01:00.0 AUDIO=0000:01:00.1 BRIDGE=0000:00:01.0
mkdev() { # TREE BDF CLASS VENDOR DEVICE DRIVER GROUP
    local d="$1/sys/bus/pci/devices/$2"
    mkdir -p "$d"
    echo "$3" > "$d/class"
    echo "$4" > "$d/vendor"
    echo "$5" > "$d/device"
    : > "$d/driver_override"
    if [ -n "$6" ]; then
        mkdir -p "$1/sys/bus/pci/drivers/$6"
        : > "$1/sys/bus/pci/drivers/$6/unbind"
        ln -s "../../drivers/$6" "$d/driver"
    fi
    if [ -n "$7" ]; then
        mkdir -p "$1/sys/kernel/iommu_groups/$7/devices"
        ln -s "../../../../kernel/iommu_groups/$7" "$d/iommu_group"
        ln -s "../../../../bus/pci/devices/$2" "$1/sys/kernel/iommu_groups/$7/devices/$2"
    fi
}
# tree NAME GPU-DRIVER AUDIO-DRIVER GROUP DEVS: a bridge, a GPU and its audio
# function in one IOMMU group (or none), /dev/vfio/{vfio,GROUP} per DEVS
tree() {
    local t="$T/$1"
    mkdir -p "$t/sys/bus/pci/devices" "$t/dev/vfio"
    : > "$t/sys/bus/pci/drivers_probe"
    mkdev "$t" "$BRIDGE" 0x060400 0x8086 0x1901 pcieport "$4"
    mkdev "$t" "$GPU" 0x030000 0x1002 0x73bf "$2" "$4"
    mkdev "$t" "$AUDIO" 0x040300 0x1002 0xab28 "$3" "$4"
    case "$5" in *ctl*) : > "$t/dev/vfio/vfio" ;; esac
    case "$5" in *grp*) : > "$t/dev/vfio/$4" ;; esac
    echo "$t"
}
gpus_in() { VDRI_SYSFS_ROOT="$1/sys" VDRI_DEV_ROOT="$1/dev" "$GPUS" "${@:2}"; }

t=$(tree ok vfio-pci vfio-pci 12 ctl,grp)
expect "verdict: group bound to vfio-pci" 0 \
    "vdri-gpus: $GPU: passthrough possible: IOMMU group 12 (3 devices, on vfio-pci or bridges)" gpus_in "$t" --check $GPU
expect "verdict: short address form" 0 "passthrough possible" gpus_in "$t" --check 01:00.0
t=$(tree amd amdgpu vfio-pci 12 ctl,grp)
expect "verdict: GPU bound to amdgpu" 1 \
    "vdri-gpus: $GPU: is bound to amdgpu, not vfio-pci: run \`appliance/vfio-bind.sh $GPU\`" \
    gpus_in "$t" --check $GPU
t=$(tree snd vfio-pci snd_hda_intel 12 ctl,grp)
expect "verdict: group member bound to snd_hda_intel" 1 \
    "vdri-gpus: $GPU: group 12 also holds $AUDIO (audio) bound to snd_hda_intel: bind it to vfio-pci too" \
    gpus_in "$t" --check $GPU
lines=$(gpus_in "$t" --check $GPU 2>&1 >/dev/null | wc -l)
check "launchers: a refused --check prints one line ($lines)" '[ "$lines" = 1 ]'
t=$(tree unbound vfio-pci "" 12 ctl,grp)
expect "verdict: group member bound to no driver" 1 \
    "group 12 also holds $AUDIO (audio) bound to no driver: bind it to vfio-pci too" \
    gpus_in "$t" --check $GPU
t=$(tree nogroup vfio-pci vfio-pci "" ctl)
expect "verdict: no IOMMU group" 1 \
    "vdri-gpus: $GPU: no IOMMU group: the IOMMU is off or absent (boot the host with intel_iommu=on or amd_iommu=on)" \
    gpus_in "$t" --check $GPU
t=$(tree noctl vfio-pci vfio-pci 12 grp)
expect "verdict: /dev/vfio/vfio missing" 1 "/dev/vfio/vfio is missing: load the VFIO modules" gpus_in "$t" --check $GPU
t=$(tree nogrp vfio-pci vfio-pci 12 ctl)
expect "verdict: /dev/vfio/12 missing" 1 "/dev/vfio/12 is missing although the group is bound to vfio-pci" \
    gpus_in "$t" --check $GPU
expect "verdict: absent device in a fake tree" 1 "0000:05:00.0: no such PCI device" gpus_in "$t" --check 0000:05:00.0
t=$(tree noaccess vfio-pci vfio-pci 12 ctl,grp)
chmod -R a+rX "$t"
chmod 666 "$t/dev/vfio/vfio"
chmod 600 "$t/dev/vfio/12"
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    expect "verdict: /dev/vfio/12 not usable by this user" 1 \
        "/dev/vfio/12 is not readable and writable for uid 65534" \
        setpriv --reuid=65534 --regid=65534 --clear-groups env VDRI_SYSFS_ROOT="$t/sys" \
        VDRI_DEV_ROOT="$t/dev" "$GPUS" --check $GPU
else
    skip "verdict: /dev/vfio/12 not usable (setpriv cannot drop to nobody)"
fi

# listing: two display controllers (VGA, 3D), the audio and bridge left out
t=$(tree list amdgpu snd_hda_intel 12 ctl)
mkdev "$t" 0000:02:00.0 0x030200 0x10de 0x20b0 "" ""
out=$(gpus_in "$t" 2>&1)
if [ "$(printf '%s\n' "$out" | grep -c '^0000:')" = 2 ] &&
    printf '%s\n' "$out" | grep -qF "$GPU  [1002:73bf]  VGA: Advanced Micro Devices, Inc. [AMD/ATI] Navi 21" &&
    printf '%s\n' "$out" | grep -qF "0000:02:00.0  [10de:20b0]  3D: NVIDIA Corporation GA100" &&
    printf '%s\n' "$out" | grep -qF "IOMMU group:  12, with $BRIDGE (bridge, pcieport), $AUDIO (audio, snd_hda_intel)"; then
    pass "listing: VGA and 3D controllers, named from pci.ids, with their group"
else
    fail "listing:"; printf '%s\n' "$out" | sed 's/^/    /'
fi
gpus_in "$t" --json > "$T/list.json"
if ! command -v /usr/bin/python3 >/dev/null; then
    skip "--json parses (no /usr/bin/python3)"
elif /usr/bin/python3 - "$T/list.json" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1]))["devices"]
assert [x["bdf"] for x in d] == ["0000:01:00.0", "0000:02:00.0"], d
g = d[0]
assert g["driver"] == "amdgpu" and g["iommu_group"] == 12 and not g["passthrough"]
assert [m["bdf"] for m in g["group_devices"]] == ["0000:00:01.0", "0000:01:00.1"]
assert g["dev_vfio"] and not g["dev_vfio_group"] and g["vendor"].startswith("Advanced Micro")
assert d[1]["iommu_group"] is None and d[1]["driver"] is None
EOF
    pass "--json: valid JSON with drivers, groups and verdicts"
else
    fail "--json:"; sed 's/^/    /' "$T/list.json"
fi
expect "--all lists the bridge and the audio function too" 0 "$AUDIO  [1002:ab28]  audio:" gpus_in "$t" --all
t="$T/empty"
mkdir -p "$t/sys/bus/pci/devices" "$t/dev"
mkdev "$t" "$BRIDGE" 0x060400 0x8086 0x1901 pcieport ""
expect "a tree without display controllers" 0 "vdri-gpus: no GPU found (no PCI display controller)" gpus_in "$t"
expect "a tree without display controllers (--json)" 0 '{"sysfs":"'"$t"'/sys","devices":[]}' gpus_in "$t" --json

# vfio-bind.sh on a fake tree
t=$(tree bind amdgpu snd_hda_intel 12 ctl,grp)
expect "vfio-bind.sh: override, unbind, probe" 0 "$GPU: amdgpu -> vfio-pci" \
    env VDRI_SYSFS_ROOT="$t/sys" appliance/vfio-bind.sh $GPU
if [ "$(cat "$t/sys/bus/pci/devices/$GPU/driver_override")" = vfio-pci ] &&
    [ "$(cat "$t/sys/bus/pci/drivers/amdgpu/unbind")" = $GPU ] &&
    [ "$(cat "$t/sys/bus/pci/drivers_probe")" = $GPU ]; then
    pass "vfio-bind.sh wrote driver_override, unbind and drivers_probe"
else
    fail "vfio-bind.sh sysfs writes"
fi
expect "vfio-bind.sh: malformed address" 2 "'01:00' is not a PCI address" \
    env VDRI_SYSFS_ROOT="$t/sys" appliance/vfio-bind.sh 01:00
expect "vfio-bind.sh: absent device" 2 "0000:07:00.0: no such PCI device" \
    env VDRI_SYSFS_ROOT="$t/sys" appliance/vfio-bind.sh 0000:07:00.0
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    expect "vfio-bind.sh refuses to run as non-root" 2 "must run as root" \
        setpriv --reuid=65534 --regid=65534 --clear-groups env VDRI_SYSFS_ROOT="$t/sys" \
        "$ROOT/appliance/vfio-bind.sh" $GPU
fi

# ---- Xen: appliance/xen.sh checked by xl --------------------------------------
A="$T/appl"
mkdir -p "$A"
truncate -s 64M "$A/vdri-appliance.img"
echo kernel > "$A/vdri-appliance-vmlinuz"
echo initrd > "$A/vdri-appliance-initrd.gz"
truncate -s 1M "$A/cfg.img"
qemu-img create -q -f qcow2 "$A/vdri-appliance.qcow2" 64M 2>/dev/null ||
    printf 'QFI\373\0\0\0\3' > "$A/vdri-appliance.qcow2"
export VDRI_APPLIANCE_DIR=$A

XL="" XLWHAT=""
if grep -qs control_d /proc/xen/capabilities && command -v xl >/dev/null; then
    XL=xl XLWHAT="xl -N create"
elif make -s VARIANT="$V" "$B/tests/static/vdri-xlcfg" >"$T/make.log" 2>&1; then
    XL="$ROOT/$B/tests/static/vdri-xlcfg" XLWHAT="vdri-xlcfg (xl's libxlutil parsers; not a Xen dom0, so no xl -N create)"
fi
xl_check() { # NAME FILE
    local out
    if [ -z "$XL" ]; then
        skip "$1: no xl (not a Xen dom0) and vdri-xlcfg not built (libxen-dev missing)"
    elif [ "$XL" = xl ] && out=$(xl -N create "$2" 2>&1) ||
        [ "$XL" != xl ] && out=$("$XL" "$2" 2>&1); then
        pass "$1: $XLWHAT accepts it"
    else
        fail "$1: $XLWHAT refuses it:"; printf '%s\n' "$out" | sed 's/^/    /'
        sed 's/^/    | /' "$2"
    fi
}
has() { # NAME FILE LINE...: every LINE is in FILE
    local name=$1 file=$2 l
    shift 2
    for l in "$@"; do
        grep -qxF -- "$l" "$file" || { fail "$name: no line '$l'"; sed 's/^/    | /' "$file"; return; }
    done
    pass "$name: the $# expected lines"
}

appliance/xen.sh --out "$T/xen-disk.cfg" 2>"$T/xen.err"
has "xen disk boot" "$T/xen-disk.cfg" \
    "disk = [ 'format=raw,vdev=xvda,access=rw,target=$A/vdri-appliance.img' ]" 'type = "hvm"' \
    "vif = [ 'bridge=xenbr0' ]" 'driver_domain = 1' "serial = 'pty'" "on_crash = 'restart'"
xl_check "xen disk boot" "$T/xen-disk.cfg"
if grep -qF "VDRI_ADDR=tcp:<driver VM IP>:7070" "$T/xen.err"; then
    pass "xen.sh says what guests set (VDRI_ADDR)"
else
    fail "xen.sh guest hint:"; sed 's/^/    /' "$T/xen.err"
fi
appliance/xen.sh --pci 0000:01:00.0 --pci 01:00.1 --name drv --mem 4096 --vcpus 4 \
    --config-disk "$A/cfg.img" --ip 10.1.2.3 --out "$T/xen-disk-pci.cfg" 2>"$T/xen.err"
has "xen disk boot with GPUs" "$T/xen-disk-pci.cfg" \
    "pci = [ '0000:01:00.0,permissive=0', '0000:01:00.1,permissive=0' ]" 'name = "drv"' \
    'memory = 4096' 'vcpus = 4' \
    "disk = [ 'format=raw,vdev=xvda,access=rw,target=$A/vdri-appliance.img', 'format=raw,vdev=xvdb,access=ro,target=$A/cfg.img' ]"
xl_check "xen disk boot with GPUs" "$T/xen-disk-pci.cfg"
if grep -qF "VDRI_ADDR=tcp:10.1.2.3:7070" "$T/xen.err" &&
    grep -qF "xl pci-assignable-add 0000:01:00.0" "$T/xen.err"; then
    pass "xen.sh with --pci: warns, says xl pci-assignable-add and the guests' VDRI_ADDR"
else
    fail "xen.sh --pci messages:"; sed 's/^/    /' "$T/xen.err"
fi
appliance/xen.sh --kernel --extra "vdri.debug=1" --out "$T/xen-kernel.cfg" 2>/dev/null
has "xen kernel boot (PVH)" "$T/xen-kernel.cfg" 'type = "pvh"' \
    "kernel = \"$A/vdri-appliance-vmlinuz\"" "ramdisk = \"$A/vdri-appliance-initrd.gz\"" \
    'extra = "console=hvc0 vdri.debug=1"'
xl_check "xen kernel boot (PVH)" "$T/xen-kernel.cfg"
appliance/xen.sh --kernel --pci 0000:01:00.0 --out "$T/xen-kernel-pci.cfg" 2>/dev/null
has "xen kernel boot with a GPU (HVM)" "$T/xen-kernel-pci.cfg" 'type = "hvm"' \
    'extra = "console=ttyS0"' "pci = [ '0000:01:00.0,permissive=0' ]"
xl_check "xen kernel boot with a GPU (HVM)" "$T/xen-kernel-pci.cfg"
appliance/xen.sh --kernel --type pv --pci 0000:01:00.0 --out "$T/xen-pv-pci.cfg" 2>/dev/null
has "xen kernel boot with a GPU (PV)" "$T/xen-pv-pci.cfg" 'type = "pv"' 'extra = "console=hvc0"'
xl_check "xen kernel boot with a GPU (PV)" "$T/xen-pv-pci.cfg"
appliance/xen.sh --image "$A/vdri-appliance.qcow2" --out "$T/xen-qcow2.cfg" 2>/dev/null
has "xen qcow2 disk" "$T/xen-qcow2.cfg" \
    "disk = [ 'format=qcow2,vdev=xvda,access=rw,target=$A/vdri-appliance.qcow2' ]"
xl_check "xen qcow2 disk" "$T/xen-qcow2.cfg"
# the checker is no rubber stamp
sed 's/^memory =/memroy =/' "$T/xen-disk.cfg" > "$T/bad1.cfg"
sed 's/vdev=xvda,//; s/format=raw/format=rawish/' "$T/xen-disk.cfg" > "$T/bad2.cfg"
printf 'name = "x\n' > "$T/bad3.cfg"
for b in bad1 bad2 bad3; do
    if [ -z "$XL" ]; then
        skip "xl refuses $b"
    elif { [ "$XL" = xl ] && xl -N create "$T/$b.cfg"; } >/dev/null 2>&1 ||
        { [ "$XL" != xl ] && "$XL" "$T/$b.cfg"; } >/dev/null 2>&1; then
        fail "$XLWHAT accepts a broken config ($b)"; sed 's/^/    | /' "$T/$b.cfg"
    else
        pass "$XLWHAT refuses a broken config ($b)"
    fi
done

expect "xen.sh: malformed --pci" 2 "xen.sh: error: '1:0.0' is not a PCI address (expected DDDD:BB:DD.F" \
    appliance/xen.sh --pci 1:0.0
expect "xen.sh: missing image" 2 "xen.sh: error: image /nonexistent.img not found" \
    appliance/xen.sh --image /nonexistent.img
expect "xen.sh: missing kernel" 2 "xen.sh: error: kernel /nonexistent not found" \
    appliance/xen.sh --vmlinuz /nonexistent
expect "xen.sh: PVH with a GPU" 2 "no PCI passthrough for PVH guests" \
    appliance/xen.sh --kernel --type pvh --pci 0000:01:00.0
expect "xen.sh: bad --mem" 2 "--mem takes a number, not 'lots'" appliance/xen.sh --mem lots
expect "xen.sh: bad option" 2 "unknown option '--frob'" appliance/xen.sh --frob
expect "xen.sh: same GPU twice" 2 "--pci 0000:01:00.0 given twice" \
    appliance/xen.sh --pci 01:00.0 --pci 0000:01:00.0

# ---- libvirt: appliance/libvirt.sh checked by libvirt -------------------------
lv_check() { # NAME FILE
    local out
    if ! command -v virt-xml-validate >/dev/null; then
        skip "$1: virt-xml-validate missing (libvirt-clients)"
    elif out=$(virt-xml-validate "$2" domain 2>&1); then
        pass "$1: virt-xml-validate (domain schema) accepts it"
    else
        fail "$1: virt-xml-validate:"; printf '%s\n' "$out" | sed 's/^/    /'
    fi
    if ! command -v virsh >/dev/null; then
        skip "$1: virsh missing (libvirt-clients)"
    elif out=$(virsh -q -c test:///default define "$2" 2>&1); then
        pass "$1: libvirt's parser (virsh -c test:///default define) accepts it"
    else
        fail "$1: virsh define:"; printf '%s\n' "$out" | sed 's/^/    /'
    fi
}
appliance/libvirt.sh --out "$T/lv.xml" 2>"$T/lv.err"
has "libvirt virgl (default qcow2 image)" "$T/lv.xml" "<domain type='kvm'>" \
    "      <driver name='qemu' type='qcow2'/>" "      <source file='$A/vdri-appliance.qcow2'/>" \
    "        <acceleration accel3d='yes'/>" "    <graphics type='egl-headless'/>" \
    "    <serial type='pty'>" "      <target dev='vda' bus='virtio'/>"
lv_check "libvirt virgl" "$T/lv.xml"
if grep -qF "VDRI_ADDR=tcp:<driver VM IP>:7070" "$T/lv.err"; then
    pass "libvirt.sh says what guests set"
else
    fail "libvirt.sh guest hint:"; sed 's/^/    /' "$T/lv.err"
fi
appliance/libvirt.sh --image "$A/vdri-appliance.img" --pci 0000:01:00.0 --pci 01:00.1 --type qemu \
    --out "$T/lv-pci.xml" 2>/dev/null
has "libvirt with GPUs" "$T/lv-pci.xml" "<domain type='qemu'>" "      <driver name='qemu' type='raw'/>" \
    "    <hostdev mode='subsystem' type='pci' managed='yes'>" \
    "        <address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/>" "      <model type='none'/>"
check "launchers: libvirt with GPUs: one hostdev each" '[ "$(grep -c "<hostdev " "$T/lv-pci.xml")" = 2 ]'
lv_check "libvirt with GPUs" "$T/lv-pci.xml"
appliance/libvirt.sh --kernel --gl spice --net bridge:br0 --uefi --config-disk "$A/cfg.img" \
    --out "$T/lv-kernel.xml" 2>/dev/null
has "libvirt kernel boot, spice gl, bridge" "$T/lv-kernel.xml" \
    "    <kernel>$A/vdri-appliance-vmlinuz</kernel>" "      <gl enable='yes'/>" \
    "      <source bridge='br0'/>" "  <os firmware='efi'>" "      <readonly/>"
lv_check "libvirt kernel boot, spice gl, bridge" "$T/lv-kernel.xml"
sed "s/managed='yes'/managed='maybe'/" "$T/lv-pci.xml" > "$T/bad.xml"
if command -v virt-xml-validate >/dev/null; then
    if virt-xml-validate "$T/bad.xml" domain >/dev/null 2>&1; then
        fail "virt-xml-validate accepts a broken XML"
    else
        pass "virt-xml-validate refuses a broken XML (managed='maybe')"
    fi
fi
expect "libvirt.sh: malformed --pci" 2 "libvirt.sh: error: 'gpu0' is not a PCI address" \
    appliance/libvirt.sh --pci gpu0
expect "libvirt.sh: missing image" 2 "libvirt.sh: error: image /nonexistent.qcow2 not found" \
    appliance/libvirt.sh --image /nonexistent.qcow2
expect "libvirt.sh: bad --type" 2 "--type must be kvm or qemu, not 'xen'" appliance/libvirt.sh --type xen
expect "libvirt.sh: bad --net" 2 "--net must be network:NAME, bridge:BR or user" appliance/libvirt.sh --net wifi
expect "libvirt.sh: image and kernel" 2 "--image and --kernel exclude each other" \
    appliance/libvirt.sh --image "$A/vdri-appliance.img" --kernel

summary
