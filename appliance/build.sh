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

for t in dpkg-deb cpio gzip find sort; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' not found (install dpkg, cpio, gzip, findutils)"
done
BUSYBOX="${VDRI_BUSYBOX:-/bin/busybox}"
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
if command -v file >/dev/null 2>&1 && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
    die "$BUSYBOX is not statically linked (apt-get install busybox-static)"
fi
if command -v depmod >/dev/null 2>&1; then DEPMOD=depmod; else DEPMOD="$BUSYBOX depmod"; fi
if command -v modinfo >/dev/null 2>&1; then MODINFO=modinfo; else MODINFO="$BUSYBOX modinfo"; fi

# Quick check (--quick, used by vm.sh): outputs newer than every input and
# built from the same recipe, without asking apt which kernel is current.
STAMP="$OUT/.recipe"
recipe() { echo "pkg=$1 deb=$2 busybox=$BUSYBOX modules=$MODULES"; }
outputs_fresh() {   # $1: the .deb
    local i
    [ -f "$OUT/vmlinuz" ] && [ -f "$OUT/initrd.gz" ] || return 1
    for i in "$1" "$HERE/init" "$HERE/build.sh" "$BUSYBOX"; do
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
PKG="${VDRI_KERNEL_PKG:-}"
if [ -z "$PKG" ]; then
    PKG="$(apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')" || true
fi
if [ -z "$PKG" ]; then
    # No apt lists (fresh container): use a cached .deb if there is exactly one.
    set -- "$CACHE"/linux-image-[0-9]*-amd64_*.deb
    if [ $# -eq 1 ] && [ -f "$1" ]; then
        PKG="$(basename "$1")"; PKG="${PKG%%_*}"
    else
        die "cannot find the kernel package: 'apt-cache depends linux-image-amd64' gave nothing (run apt-get update, or set VDRI_KERNEL_PKG=linux-image-6.1.0-NN-amd64)"
    fi
fi
say "kernel package $PKG"

# 2. Download the .deb unless cached.
find_deb() {
    local f
    for f in "$CACHE/${PKG}"_*.deb; do [ -f "$f" ] && { echo "$f"; return 0; }; done
    return 1
}
DEB="$(find_deb)" || DEB=""
if [ -z "$DEB" ]; then
    say "downloading $PKG into build/cache (apt-get download)"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found"
    # As root into a directory _apt cannot read, apt warns but still downloads.
    (cd "$CACHE" && apt-get download -q "$PKG" 2>&1 | grep -v -e '^W: Download is performed unsandboxed' -e "couldn't be accessed by user '_apt'" >&2 || true)
    DEB="$(find_deb)" || die "apt-get download $PKG failed (no ${PKG}_*.deb in $CACHE)"
else
    say "using cached $(basename "$DEB")"
fi

# Idempotence: outputs newer than every input and built from the same recipe.
RECIPE="$(recipe "$PKG" "$(basename "$DEB")")"
if [ "$FORCE" = 0 ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RECIPE" ] && outputs_fresh "$DEB"; then
    say "up to date: $OUT/vmlinuz $OUT/initrd.gz"
    exit 0
fi
[ -f "$HERE/init" ] || die "$HERE/init is missing"

# 3. Extract the kernel package (once per .deb).
XDIR="$CACHE/${PKG}.x"
if [ ! -f "$XDIR/.extracted" ] || [ "$DEB" -nt "$XDIR/.extracted" ]; then
    say "extracting $(basename "$DEB")"
    rm -rf "$XDIR"
    mkdir -p "$XDIR"
    dpkg-deb -x "$DEB" "$XDIR" || die "dpkg-deb -x $DEB failed"
    touch "$XDIR/.extracted"
fi
set -- "$XDIR"/boot/vmlinuz-*
[ -f "$1" ] || die "no boot/vmlinuz-* in $DEB"
VMLINUZ="$1"
KVER="${VMLINUZ##*/vmlinuz-}"
MODDIR="$XDIR/lib/modules/$KVER"
[ -d "$MODDIR" ] || die "no lib/modules/$KVER in $DEB"

# 4. Resolve the modules and their dependencies.
say "resolving modules for $KVER"
declare -A MODPATH=()
while IFS= read -r f; do
    n="${f##*/}"; n="${n%%.ko*}"; n="${n//-/_}"
    MODPATH[$n]="$f"
done < <(find "$MODDIR/kernel" -name '*.ko*')
declare -A WANT=()
ORDER=()
add_mod() {
    local n="${1//-/_}" f dep
    [ -n "$n" ] || return 0
    [ -z "${WANT[$n]:-}" ] || return 0
    f="${MODPATH[$n]:-}"
    if [ -z "$f" ]; then
        # Built into the kernel: nothing to copy.
        if grep -q -E "/${n//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null; then return 0; fi
        die "module $n not found in $PKG"
    fi
    WANT[$n]="$f"
    for dep in $($MODINFO -F depends "$f" | tr ',' ' '); do add_mod "$dep"; done
    ORDER+=("$n")
}
for m in $MODULES; do add_mod "$m"; done

# 5. Stage the initramfs tree.
say "staging initramfs (busybox + ${#ORDER[@]} modules)"
STAGE="$OUT/.stage"
rm -rf "$STAGE"
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,host,newroot,etc,lib/modules/"$KVER"}
cp "$BUSYBOX" "$STAGE/bin/busybox"
"$BUSYBOX" --list-full | while IFS= read -r a; do
    [ "$a" = bin/busybox ] && continue
    mkdir -p "$STAGE/$(dirname "$a")"
    ln -sf /bin/busybox "$STAGE/$a"
done
[ -e "$STAGE/bin/sh" ] || ln -s busybox "$STAGE/bin/sh"
for n in "${ORDER[@]}"; do
    f="${WANT[$n]}"
    rel="${f#"$MODDIR"/}"
    dst="$STAGE/lib/modules/$KVER/${rel%%.ko*}.ko"
    mkdir -p "$(dirname "$dst")"
    case "$f" in
    *.ko) cp "$f" "$dst" ;;
    *.ko.xz) xz -dc "$f" > "$dst" ;;
    *.ko.zst) zstd -qdc "$f" > "$dst" ;;
    *.ko.gz) gzip -dc "$f" > "$dst" ;;
    *) die "unknown module format: $f" ;;
    esac
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
    [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$STAGE/lib/modules/$KVER/"
done
$DEPMOD -b "$STAGE" "$KVER" || die "depmod failed"
printf '%s\n' "${ORDER[@]}" > "$OUT/modules.txt"
cp "$HERE/init" "$STAGE/init"
chmod 755 "$STAGE/init"
: > "$STAGE/etc/mtab"

# 6. Pack.
say "packing initrd.gz"
(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    gzip -6 > "$OUT/initrd.gz.tmp" || die "cpio/gzip failed"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
cp "$VMLINUZ" "$OUT/vmlinuz.tmp" && mv "$OUT/vmlinuz.tmp" "$OUT/vmlinuz"

# 7. The uncompressed ELF kernel: QEMU boots it through its PVH entry point,
# which skips SeaBIOS's Linux loader and the in-guest decompression (~3 s of
# TCG time).  Optional: vm.sh falls back to vmlinuz without it.
extract_vmlinux() {
    local magic tool off
    for pair in '\xfd7zXZ\x00:xz -dcq' '\x1f\x8b\x08:gzip -dcq' '\x28\xb5\x2f\xfd:zstd -dcq'; do
        magic="${pair%%:*}"; tool="${pair#*:}"
        command -v "${tool%% *}" >/dev/null 2>&1 || continue
        for off in $(LC_ALL=C grep -obUaP "$magic" "$1" 2>/dev/null | cut -d: -f1 | head -n 5); do
            tail -c +"$((off + 1))" "$1" | $tool > "$2" 2>/dev/null
            if [ "$(head -c 4 "$2" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then return 0; fi
        done
    done
    rm -f "$2"
    return 1
}
rm -f "$OUT/vmlinux"
if extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux.tmp" && mv "$OUT/vmlinux.tmp" "$OUT/vmlinux"; then
    say "extracted vmlinux for PVH boot"
else
    say "warning: could not extract an ELF vmlinux (needs xz/gzip/zstd); booting vmlinuz (slower)"
fi
rm -rf "$STAGE"
echo "$RECIPE" > "$STAMP"
say "built $OUT/vmlinuz ($KVER)$([ -f "$OUT/vmlinux" ] && echo ", vmlinux") and $OUT/initrd.gz ($(du -k "$OUT/initrd.gz" | cut -f1) KiB)"
