#!/bin/bash
# Builds vdri_front.ko (drm-front/kmod/) out of tree into build/kmod/.
#
#   drm-front/kmod/build.sh [clean]
#
# Kernel headers: KDIR if set; else /usr/src/linux-headers-$KVER when
# installed; else Debian's linux-headers-$KVER, its -common half and
# linux-kbuild-6.1, fetched with `apt-get download` into build/cache/ and
# extracted into build/kheaders/ (no package is installed).  KVER defaults to
# the kernel the test VMs boot (appliance/kernel-lib.sh picks the same one).
# shellcheck source-path=SCRIPTDIR
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
CACHE="$ROOT/build/cache"
OUT="$ROOT/build/kmod"
KVER="${KVER:-6.1.0-56-amd64}"
JOBS="${JOBS:-2}"

die() { echo "drm-front/kmod/build.sh: error: $*" >&2; exit 1; }
say() { echo "kmod: $*"; }

if [ "${1:-}" = clean ]; then
    rm -rf "$OUT"
    exit 0
fi

# The headers: installed, or downloaded and extracted once.
headers() {
    local x="$ROOT/build/kheaders" base="${KVER%-*}" pkgs d kb
    if [ -n "${KDIR:-}" ]; then
        [ -f "$KDIR/Makefile" ] || die "KDIR=$KDIR has no Makefile"
        return
    fi
    if [ -f "/usr/src/linux-headers-$KVER/Makefile" ]; then
        KDIR="/usr/src/linux-headers-$KVER"
        return
    fi
    KDIR="$x/usr/src/linux-headers-$KVER"
    [ -f "$x/.extracted-$KVER" ] && [ -f "$KDIR/Makefile" ] && return
    kb="linux-kbuild-$(echo "$base" | cut -d. -f1-2)"
    pkgs="linux-headers-$KVER linux-headers-$base-common $kb"
    mkdir -p "$CACHE"
    for d in $pkgs; do
        set -- "$CACHE/${d}"_*.deb
        [ -f "$1" ] && continue
        command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install linux-headers-$KVER or set KDIR"
        say "downloading $d into build/cache (apt-get download)"
        # As root into a directory _apt cannot read, apt warns but downloads.
        (cd "$CACHE" && apt-get download -q "$d" 2>&1 |
            grep -v -e '^W: Download is performed unsandboxed' -e "couldn't be accessed by user '_apt'" >&2 || true)
        set -- "$CACHE/${d}"_*.deb
        [ -f "$1" ] || die "apt-get download $d failed (run apt-get update?)"
    done
    say "extracting the kernel headers into build/kheaders"
    rm -rf "$x"
    mkdir -p "$x"
    for d in $pkgs; do
        set -- "$CACHE/${d}"_*.deb
        dpkg-deb -x "$1" "$x" || die "dpkg-deb -x $1 failed"
    done
    [ -f "$KDIR/Makefile" ] || die "no $KDIR/Makefile in the packages"
    # The flavour's Makefile includes the -common half by its absolute path.
    sed -i "s|^include /usr/src/|include $x/usr/src/|" "$KDIR/Makefile"
    touch "$x/.extracted-$KVER"
}

# build/kmod: links to the sources, so kbuild's objects stay in build/.
link_tree() {
    local f
    mkdir -p "$OUT"
    find "$OUT" -type l -delete
    for f in "$HERE"/Kbuild "$HERE"/*.c "$HERE"/*.h; do
        [ -e "$f" ] && ln -s "$f" "$OUT/${f##*/}"
    done
    (cd "$ROOT" && ls -d core/*.[ch] core/chardev/*.[ch] core/drm/*.[ch] core/drm/uapi/*.h \
        core/include/vdri/*.h) |
        while read -r f; do
            [ -d "$ROOT/$f" ] && continue
            mkdir -p "$OUT/$(dirname "$f")"
            ln -s "$ROOT/$f" "$OUT/$f"
        done
}

headers
link_tree
say "building against $KDIR"
make -C "$KDIR" M="$OUT" VDRI_SRC="$ROOT" -j"$JOBS" modules
say "built $OUT/vdri_front.ko"
