#!/bin/bash
# Builds the driver-VM appliance: Debian's kernel + a busybox initramfs.
#
#   appliance/build.sh [--out DIR] [--force] [--quick]
#
# Outputs DIR/vmlinuz and DIR/initrd.gz (DIR defaults to build/appliance).
# The kernel package is what `linux-image-amd64` depends on (override with
# VDRI_KERNEL_PKG=linux-image-6.1.0-NN-amd64); its .deb is fetched with
# `apt-get download` into build/cache/ once and reused.  A second run with
# nothing changed only checks timestamps and exits; --quick also skips asking
# apt which kernel package is current when a build exists (vm.sh uses it).
# shellcheck source-path=SCRIPTDIR
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
OUT="$ROOT/build/appliance"
CACHE="$ROOT/build/cache"
FORCE=0
QUICK=0

# Modules the init script loads; their dependencies are added automatically.
MODULES="virtio_pci virtio_gpu vgem bochs 9p 9pnet_virtio virtio_net virtio_console overlay"

die() { echo "appliance/build.sh: error: $*" >&2; exit 1; }
say() { echo "appliance: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --force) FORCE=1; shift ;;
    --quick) QUICK=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) die "unknown argument: $1" ;;
    esac
done
mkdir -p "$OUT" "$CACHE" || die "cannot create $OUT or $CACHE"
OUT="$(cd "$OUT" && pwd)"
# Concurrent callers (tests starting VMs in parallel) build one at a time.
if command -v flock >/dev/null 2>&1; then
    exec 9>"$OUT/.lock"
    flock 9 || die "cannot lock $OUT/.lock"
fi

# shellcheck source=kernel-lib.sh
. "$HERE/kernel-lib.sh"
kl_tools

# Quick check (--quick, used by vm.sh): outputs newer than every input and
# built from the same recipe, without asking apt which kernel is current.
STAMP="$OUT/.recipe"
recipe() { echo "pkg=$1 deb=$2 busybox=$BUSYBOX modules=$MODULES"; }
outputs_fresh() {   # $1: the .deb
    local i
    [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.gz" ] || return 1
    for i in "$1" "$HERE/init" "$HERE/drm-nodes.sh" "$HERE/build.sh" "$HERE/kernel-lib.sh" "$BUSYBOX"; do
        [ -e "$i" ] || return 1
        if [ "$i" -nt "$OUT/initrd.gz" ] || [ "$i" -nt "$OUT/vmlinuz" ]; then return 1; fi
    done
}
if [ "$QUICK" = 1 ] && [ "$FORCE" = 0 ] && [ -f "$STAMP" ]; then
    old_pkg="$(sed -n 's/^pkg=\([^ ]*\) .*/\1/p' "$STAMP")"
    old_deb="$(sed -n 's/.* deb=\([^ ]*\) .*/\1/p' "$STAMP")"
    if [ -n "$old_pkg" ] && [ -n "$old_deb" ] && [ "${VDRI_KERNEL_PKG:-$old_pkg}" = "$old_pkg" ] &&
        [ "$(cat "$STAMP")" = "$(recipe "$old_pkg" "$old_deb")" ] && outputs_fresh "$CACHE/$old_deb"; then
        say "up to date ($old_pkg): $OUT"
        exit 0
    fi
fi

# 1. Kernel package name.
kl_find_pkg
say "kernel package $PKG"

# 2. Download the .deb unless cached.
kl_fetch_deb

# Idempotence: outputs newer than every input and built from the same recipe.
RECIPE="$(recipe "$PKG" "$(basename "$DEB")")"
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RECIPE" ] && outputs_fresh "$DEB"; then
    say "up to date: $OUT/vmlinuz $OUT/initrd.gz"
    exit 0
fi
[ -f "$HERE/init" ] || die "$HERE/init is missing"

# 3. Extract the kernel package (once per .deb).
kl_extract

# 4. Resolve the modules and their dependencies.
say "resolving modules for $KVER"
# shellcheck disable=SC2086  # a list of names
kl_resolve $MODULES

# 5. Stage the initramfs tree.
say "staging initramfs (busybox + ${#ORDER[@]} modules)"
STAGE="$OUT/.stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,host,newroot,etc,lib/modules/"$KVER"}
kl_stage_busybox "$STAGE"
kl_stage_modules "$STAGE"
printf '%s\n' "${ORDER[@]}" > "$OUT/modules.txt"
cp "$HERE/init" "$STAGE/init"
chmod 755 "$STAGE/init"
mkdir -p "$STAGE/lib/vdri"
cp "$HERE/drm-nodes.sh" "$STAGE/lib/vdri/drm-nodes.sh"
: > "$STAGE/etc/mtab"

# 6. Pack.
say "packing initrd.gz"
kl_pack "$STAGE" "$OUT/initrd.gz"
cp "$VMLINUZ" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"

# 7. The uncompressed ELF kernel (PVH boot, ~3 s faster under TCG).
# Optional: vm.sh falls back to vmlinuz without it.
rm -f "$OUT/vmlinux"
if kl_extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux.tmp" && mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"; then
    say "extracted vmlinux for PVH boot"
else
    say "warning: could not extract an ELF vmlinux (needs xz/gzip/zstd); booting vmlinuz (slower)"
fi
rm -rf "$STAGE"
echo "$RECIPE" > "$STAMP"
say "built $OUT/vmlinuz ($KVER)$([ -f "$OUT/vmlinux" ] && echo ", vmlinux") and $OUT/initrd.gz ($(du -k "$OUT/initrd.gz" | cut -f1) KiB)"
