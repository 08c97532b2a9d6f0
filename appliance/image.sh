#!/bin/bash
# Builds the bootable vdri appliance (`make appliance`): Debian's kernel and
# a busybox initramfs holding the whole system (vdri-backd, vdri, the DRM
# drivers of virtual and real GPUs), on a disk image that boots by itself.
#
#   appliance/image.sh [--out DIR] [--force] [--no-boot-test] [--boot-test]
#
# Writes to DIR (default build/appliance):
#   vdri-appliance.img         raw disk, MBR: partition 1 FAT "VDRIBOOT"
#                              (active; SYSLINUX for BIOS, EFI/BOOT/BOOTX64.EFI
#                              for UEFI; vmlinuz, initrd.gz), partition 2 FAT
#                              "VDRICFG" (vdri-backd.conf, README.txt)
#   vdri-appliance.qcow2       the same disk as qcow2
#   vdri-appliance-vmlinuz     the kernel and the initramfs alone, for direct
#   vdri-appliance-initrd.gz   kernel boots (QEMU -kernel, Xen kernel=)
#   vdri-appliance.txt         what was built: sizes, modules, boot time
# Then boots the new raw image once in QEMU (disk alone, no -kernel) and
# prints the time to VDRI-READY.  Nothing changed since the last build: it
# only prints the sizes (--force rebuilds, --boot-test boots anyway).
#
# Environment: VDRI_KERNEL_PKG (kernel package), VDRI_FIRMWARE=1 (add GPU
# firmware from Debian's non-free-firmware: firmware-amd-graphics,
# firmware-misc-nonfree; real AMD, Intel and NVIDIA GPUs need it),
# VDRI_FIRMWARE_DIRS (default "amdgpu radeon i915 nvidia"), VDRI_BUILD
# (default build/release: where vdri-backd and vdri are).
# shellcheck source-path=SCRIPTDIR
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$ROOT/build/appliance"
CACHE="$ROOT/build/cache"
BUILD="${VDRI_BUILD:-$ROOT/build/release}"
FORCE=0 BOOT_TEST=1 BOOT_ALWAYS=0
FIRMWARE="${VDRI_FIRMWARE:-0}"
FW_DIRS="${VDRI_FIRMWARE_DIRS:-amdgpu radeon i915 nvidia}"
FW_PKGS="firmware-amd-graphics firmware-misc-nonfree"

# Loaded when their device is present (modalias), or always (vgem, vsock,
# FAT); dependencies are added.  Required ones must be in the kernel package.
MODS_REQUIRED="virtio_pci virtio_gpu vgem bochs virtio_net virtio_console virtio_blk
 vsock vmw_vsock_virtio_transport vfat nls_cp437 nls_iso8859_1 nls_utf8 nls_ascii ata_piix ahci sd_mod"
# Real GPUs and other hypervisors' devices: skipped if the kernel lacks one.
MODS_OPTIONAL="qxl cirrus i915 amdgpu radeon nouveau ast mgag200 virtio_scsi nvme e1000 e1000e vmxnet3
 xen_netfront xen_blkfront xen_pcifront button evdev"

STEPS=9
STEP=0
step() { STEP=$((STEP + 1)); echo "== step $STEP/$STEPS: $*"; }
say() { echo "appliance: $*"; }
die() { echo "appliance/image.sh: error: $*" >&2; exit 1; }
mib() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    --no-boot-test) BOOT_TEST=0; shift ;;
    --boot-test) BOOT_ALWAYS=1; shift ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
[ "$BOOT_TEST" = 1 ] || STEPS=8
mkdir -p "$OUT" "$CACHE" || die "cannot create $OUT or $CACHE"
OUT="$(cd "$OUT" && pwd)"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUT/.image.lock"
    flock 9 || die "cannot lock $OUT/.image.lock"
fi

# shellcheck source=kernel-lib.sh
. "$HERE/kernel-lib.sh"
kl_tools
for t in mkfs.vfat:dosfstools mcopy:mtools mmd:mtools syslinux:syslinux sfdisk:fdisk \
    qemu-img:qemu-utils ldd:libc-bin; do
    command -v "${t%%:*}" >/dev/null 2>&1 || die "'${t%%:*}' not found (apt-get install ${t#*:})"
done
MBR_BIN=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$MBR_BIN" ] || die "$MBR_BIN not found (apt-get install syslinux-common)"
EFI_BIN=/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi
EFI_LD=/usr/lib/syslinux/modules/efi64/ldlinux.e64
UEFI=1
[ -f "$EFI_BIN" ] && [ -f "$EFI_LD" ] || UEFI=0
BACKD="$BUILD/bin/vdri-backd"
CLI="$BUILD/bin/vdri"
if [ ! -x "$BACKD" ] || [ ! -x "$CLI" ]; then die "$BACKD or $CLI missing (make VARIANT=release, or make appliance)"; fi
IMG="$OUT/vdri-appliance.img"
QCOW="$OUT/vdri-appliance.qcow2"
KOUT="$OUT/vdri-appliance-vmlinuz"
IOUT="$OUT/vdri-appliance-initrd.gz"
INFO="$OUT/vdri-appliance.txt"
INPUTS=("$HERE/image.sh" "$HERE/kernel-lib.sh" "$HERE/appliance-init" "$HERE/drm-nodes.sh" "$HERE/vdri-backd.conf"
    "$HERE/config-README.txt" "$BUSYBOX" "$BACKD" "$CLI")

sizes() {
    say "sizes: $(basename "$IMG") $(mib "$IMG") (raw), $(basename "$QCOW") $(mib "$QCOW")," \
        "initramfs $(mib "$IOUT") (gzip; $(sed -n 's/^initramfs-unpacked //p' "$INFO") unpacked)," \
        "kernel $(mib "$KOUT")"
}
boot_test() {
    local log="$OUT/boot-test.log" gpu=virgl line t
    command -v qemu-system-x86_64 >/dev/null 2>&1 || { say "no qemu-system-x86_64: boot test skipped"; return 0; }
    command -v Xvfb >/dev/null 2>&1 || gpu=plain
    say "booting $(basename "$IMG") in QEMU/TCG from the disk alone (gpu $gpu)"
    if ! line="$("$HERE/launch.sh" qemu --image raw --boot-check --gpu "$gpu" --port auto \
        --status-port auto --serial-log "$log" --timeout 120 2>&1)"; then
        printf '%s\n' "$line" | sed 's/^/  /'
        rm -f "$INFO"   # the next run builds and boots again
        die "the image did not boot to VDRI-READY (console log $log)"
    fi
    printf '%s\n' "$line" | grep -E 'VDRI-READY|ready after' | sed 's/^/  /'
    t="$(printf '%s\n' "$line" | sed -n 's/.*VDRI-READY after \([0-9.]*\) s.*/\1/p' | tail -n 1)"
    sed -i '/^boot-to-ready /d' "$INFO"
    echo "boot-to-ready ${t:-?} s (gpu $gpu, $(date -u +%Y-%m-%d))" >> "$INFO"
    say "boot to VDRI-READY: ${t:-?} s (QEMU/TCG, BIOS, raw image)"
}

# ---- 1. kernel ----------------------------------------------------------------
step "kernel package (Debian's, cached in build/cache)"
kl_find_pkg
say "kernel package $PKG"
kl_fetch_deb

FW_DEBS=""
if [ "$FIRMWARE" = 1 ]; then
    for p in $FW_PKGS; do
        d="$(kl_cached_deb "$p")" || { say "downloading $p (non-free-firmware)"; kl_apt_download "$p"; d="$(kl_cached_deb "$p")" || d=""; }
        if [ -n "$d" ]; then FW_DEBS="$FW_DEBS $d"; else
            say "warning: $p could not be downloaded (enable the non-free-firmware component in /etc/apt/sources.list.d, apt-get update): the image has no firmware from it"
        fi
    done
fi
RECIPE="pkg=$PKG deb=$(basename "$DEB") busybox=$BUSYBOX firmware=$FIRMWARE:${FW_DEBS// /,}:$FW_DIRS uefi=$UEFI required=${MODS_REQUIRED//$'\n'/} optional=${MODS_OPTIONAL//$'\n'/}"
fresh() {
    local i o
    for o in "$IMG" "$QCOW" "$KOUT" "$IOUT" "$INFO"; do [ -f "$o" ] || return 1; done
    [ "$(sed -n 's/^recipe //p' "$INFO")" = "$RECIPE" ] || return 1
    for i in "$DEB" $FW_DEBS "${INPUTS[@]}"; do
        [ -e "$i" ] || return 1
        for o in "$IMG" "$QCOW" "$KOUT" "$IOUT"; do [ "$i" -nt "$o" ] && return 1; done
    done
    return 0
}
if [ "$FORCE" = 0 ] && fresh; then
    say "up to date: $IMG"
    sizes
    last="$(sed -n 's/^boot-to-ready //p' "$INFO" | tail -n 1)"
    say "last boot test: ${last:-none}"
    # Built with --no-boot-test (tests/vm/appliance.sh): boot it once now.
    if [ "$BOOT_ALWAYS" = 1 ] || { [ "$BOOT_TEST" = 1 ] && [ -z "$last" ]; }; then
        STEP=$((STEPS - 1)); step "boot test"; boot_test
    fi
    exit 0
fi
kl_extract

# ---- 2. modules -------------------------------------------------------------------
step "kernel modules (virtual and real GPUs, virtio, Xen frontends, disks, FAT)"
# shellcheck disable=SC2086  # lists of names
kl_resolve $MODS_REQUIRED
# shellcheck disable=SC2086
kl_resolve_optional $MODS_OPTIONAL
[ -z "$KL_MISSING" ] || say "not in $PKG (skipped):$KL_MISSING"
say "${#ORDER[@]} modules for $KVER"

STAGE="$OUT/.image-stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,usr/share/vdri,proc,sys,dev,run,tmp,root,mnt/cfg,etc/vdri,etc/acpi/PWRF}
chmod 1777 "$STAGE/tmp"
chmod 700 "$STAGE/root"

# ---- 3. firmware ------------------------------------------------------------------
step "firmware ($([ "$FIRMWARE" = 1 ] && echo "VDRI_FIRMWARE=1: $FW_DIRS" || echo "none: VDRI_FIRMWARE=1 adds AMD/Intel/NVIDIA GPU firmware"))"
if [ -n "$FW_DEBS" ]; then
    FWX="$CACHE/firmware.x"
    rm -rf "$FWX"; mkdir -p "$FWX"
    for d in $FW_DEBS; do dpkg-deb -x "$d" "$FWX" || die "dpkg-deb -x $d failed"; done
    mkdir -p "$STAGE/lib/firmware"
    for d in $FW_DIRS; do
        for base in "$FWX/lib/firmware" "$FWX/usr/lib/firmware"; do
            [ -d "$base/$d" ] && cp -a "$base/$d" "$STAGE/lib/firmware/"
        done
    done
    say "firmware: $(du -sh "$STAGE/lib/firmware" | cut -f1) ($(find "$STAGE/lib/firmware" -type f | wc -l) files)"
    rm -rf "$FWX"
fi

# ---- 4. the system ------------------------------------------------------------
step "initramfs tree (busybox, vdri-backd, vdri, libraries, users, init)"
kl_stage_busybox "$STAGE"
kl_stage_modules "$STAGE"
install -m 755 "$BACKD" "$STAGE/usr/bin/vdri-backd"
install -m 755 "$CLI" "$STAGE/usr/bin/vdri"
# Their shared libraries, from this host (Debian's libc).
for lib in $(ldd "$BACKD" "$CLI" | awk '/=>/ { print $3 } /^[[:space:]]*\// { print $1 }' | sort -u); do
    [ -f "$lib" ] || continue
    mkdir -p "$STAGE$(dirname "$lib")"
    cp -L "$lib" "$STAGE$lib"
done
install -m 755 "$HERE/appliance-init" "$STAGE/init"
install -D -m 644 "$HERE/drm-nodes.sh" "$STAGE/lib/vdri/drm-nodes.sh"
install -m 644 "$HERE/vdri-backd.conf" "$STAGE/usr/share/vdri/vdri-backd.conf"
cat > "$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
vdri:x:100:100:vdri-backd session workers:/nonexistent:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$STAGE/etc/group" <<'EOF'
root:x:0:
tty:x:5:
video:x:44:vdri
render:x:105:vdri
vdri:x:100:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' > "$STAGE/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n127.0.1.1 vdri-appliance\n' > "$STAGE/etc/hosts"
echo vdri-appliance > "$STAGE/etc/hostname"
: > "$STAGE/etc/resolv.conf"
ln -s /proc/mounts "$STAGE/etc/mtab"
cat > "$STAGE/etc/profile" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
PS1='vdri-appliance# '
echo "vdri appliance: log /run/vdri-backd.log, configuration /etc/vdri/vdri-backd.conf,"
echo "daemon pid in /run/vdri-backd.ready; 'vdri status -s tcp:127.0.0.1:7071'; poweroff to stop"
EOF
cat > "$STAGE/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# busybox udhcpc: configures $interface from the lease.
case "$1" in
deconfig) ip link set "$interface" up ;;
bound|renew)
    [ "$1" = bound ] && ip addr flush dev "$interface"
    ip addr replace "$ip/${mask:-24}" dev "$interface"
    if [ -n "${router:-}" ]; then
        ip route del default 2>/dev/null
        for r in $router; do ip route add default via "$r" dev "$interface" && break; done
    fi
    if [ -n "${dns:-}" ]; then
        : > /etc/resolv.conf
        for d in $dns; do echo "nameserver $d" >> /etc/resolv.conf; done
    fi ;;
esac
exit 0
EOF
chmod 755 "$STAGE/etc/udhcpc.script"
printf '#!/bin/sh\n# ACPI power button (busybox acpid): a clean poweroff.\nexec /sbin/poweroff\n' \
    > "$STAGE/etc/acpi/PWRF/00000080"
chmod 755 "$STAGE/etc/acpi/PWRF/00000080"
UNPACKED="$(du -sm "$STAGE" | cut -f1) MiB"

# ---- 5. pack ---------------------------------------------------------------------
step "pack the initramfs (newc cpio, gzip)"
kl_pack "$STAGE" "$IOUT"
cp "$VMLINUZ" "$KOUT.tmp" && mv "$KOUT.tmp" "$KOUT"
say "$(basename "$IOUT"): $(mib "$IOUT") ($UNPACKED unpacked), $(basename "$KOUT"): $(mib "$KOUT")"

# ---- 6. boot partition -------------------------------------------------------------
step "boot partition (FAT16 VDRIBOOT: SYSLINUX$([ "$UEFI" = 1 ] && echo ", EFI/BOOT/BOOTX64.EFI"))"
WORK="$OUT/.image-work"
rm -rf "$WORK"
mkdir -p "$WORK"
P1_START=2048                 # 1 MiB
P2_SECTORS=16384              # 8 MiB
APPEND="console=tty0 console=ttyS0,115200 quiet panic=10 vdri.boot=disk"
cat > "$WORK/syslinux.cfg" <<EOF
# vdri appliance (SYSLINUX, BIOS and UEFI).  Kernel arguments: APPEND below
# (vdri.shell=1 adds a root shell on the console; appliance/README.md).
SERIAL 0 115200
DEFAULT vdri
PROMPT 0
TIMEOUT 0
LABEL vdri
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND $APPEND
LABEL shell
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND $APPEND vdri.shell=1
EOF
payload=$(( $(stat -c %s "$KOUT") + $(stat -c %s "$IOUT") ))
[ "$UEFI" = 0 ] || payload=$(( payload + $(stat -c %s "$EFI_BIN") + $(stat -c %s "$EFI_LD") ))
# 10% + 4 MiB for the file system and a bigger kernel later; whole MiB.
P1_MIB=$(( (payload * 11 / 10 + 4 * 1048576 + 1048575) / 1048576 ))
P1_SECTORS=$(( P1_MIB * 2048 ))
P2_START=$(( P1_START + P1_SECTORS ))
mkfs.vfat -F 16 -n VDRIBOOT -i 76647269 -h "$P1_START" -C "$WORK/boot.fat" $(( P1_SECTORS / 2 )) >/dev/null ||
    die "mkfs.vfat (boot) failed"
mcopy -i "$WORK/boot.fat" "$KOUT" ::vmlinuz
mcopy -i "$WORK/boot.fat" "$IOUT" ::initrd.gz
mcopy -i "$WORK/boot.fat" "$WORK/syslinux.cfg" ::syslinux.cfg
if [ "$UEFI" = 1 ]; then
    mmd -i "$WORK/boot.fat" ::EFI ::EFI/BOOT
    mcopy -i "$WORK/boot.fat" "$EFI_BIN" ::EFI/BOOT/BOOTX64.EFI
    mcopy -i "$WORK/boot.fat" "$EFI_LD" ::EFI/BOOT/ldlinux.e64
fi

# ---- 7. config partition -------------------------------------------------------------
step "configuration partition (FAT16 VDRICFG: vdri-backd.conf, README.txt)"
mkfs.vfat -F 16 -s 1 -n VDRICFG -i 76636667 -h "$P2_START" -C "$WORK/cfg.fat" $(( P2_SECTORS / 2 )) >/dev/null ||
    die "mkfs.vfat (config) failed"
sed -e "s/@OFFSET@/$(( P2_START * 512 ))/g" -e "s/@START@/$P2_START/g" "$HERE/config-README.txt" > "$WORK/README.txt"
mcopy -i "$WORK/cfg.fat" "$HERE/vdri-backd.conf" ::vdri-backd.conf
mcopy -i "$WORK/cfg.fat" "$WORK/README.txt" ::README.txt

# ---- 8. disk ----------------------------------------------------------------------------
step "disk image (MBR, 2 partitions) and qcow2"
TOTAL=$(( P2_START + P2_SECTORS ))
rm -f "$IMG.tmp"
truncate -s $(( TOTAL * 512 )) "$IMG.tmp"
printf 'label: dos\nlabel-id: 0x76647269\nunit: sectors\n\nstart=%d, size=%d, type=e, bootable\nstart=%d, size=%d, type=e\n' \
    "$P1_START" "$P1_SECTORS" "$P2_START" "$P2_SECTORS" | sfdisk -q "$IMG.tmp" >/dev/null || die "sfdisk failed"
dd if="$WORK/boot.fat" of="$IMG.tmp" bs=1M seek=1 conv=notrunc status=none
dd if="$WORK/cfg.fat" of="$IMG.tmp" bs=512 seek="$P2_START" conv=notrunc status=none
# SYSLINUX through mtools on the file, at the partition's offset.
syslinux --install --offset $(( P1_START * 512 )) "$IMG.tmp" || die "syslinux --install failed"
dd if="$MBR_BIN" of="$IMG.tmp" bs=440 count=1 conv=notrunc status=none
mv "$IMG.tmp" "$IMG"
qemu-img convert -f raw -O qcow2 "$IMG" "$QCOW.tmp" || die "qemu-img convert failed"
mv "$QCOW.tmp" "$QCOW"
rm -rf "$WORK" "$STAGE"
{
    echo "recipe $RECIPE"
    echo "kernel $PKG ($KVER)"
    echo "modules ${#ORDER[@]}: ${ORDER[*]}"
    echo "modules-missing${KL_MISSING:- none}"
    echo "firmware $([ -n "$FW_DEBS" ] && echo "$FW_DIRS from$FW_DEBS" || echo none)"
    echo "uefi $([ "$UEFI" = 1 ] && echo "EFI/BOOT/BOOTX64.EFI (syslinux-efi)" || echo "no (syslinux-efi missing)")"
    echo "partition1 start $P1_START sectors $P1_SECTORS (VDRIBOOT)"
    echo "partition2 start $P2_START sectors $P2_SECTORS offset $(( P2_START * 512 )) (VDRICFG)"
    echo "initramfs-unpacked $UNPACKED"
    echo "size-img $(stat -c %s "$IMG")"
    echo "size-qcow2 $(stat -c %s "$QCOW")"
    echo "size-initrd $(stat -c %s "$IOUT")"
    echo "size-vmlinuz $(stat -c %s "$KOUT")"
} > "$INFO"
say "config partition at byte offset $(( P2_START * 512 )): mcopy -i $(basename "$IMG")@@$(( P2_START * 512 )) ..."

# ---- 9. boot test ------------------------------------------------------------------------
if [ "$BOOT_TEST" = 1 ]; then
    step "boot test (QEMU/TCG, the raw image alone)"
    boot_test
fi
sizes
say "built $IMG"
