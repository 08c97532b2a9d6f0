#!/bin/bash
# DKMS packaging of vdri_front.ko: one command installs the module on a
# guest (and DKMS rebuilds it for every kernel the guest installs later).
#
#   drm-front/kmod/dkms.sh install [MODULE-OPTION...]
#       as root on the guest: the source tree into /usr/src/vdri-front-VERSION,
#       dkms add, build and install for the running kernel; with options
#       (backend=tcp:10.0.2.2:7070 nodes=card0,renderD128 drm_names=1 ...),
#       they go to /etc/modprobe.d/vdri-front.conf, the module is loaded at
#       boot (/etc/modules-load.d/vdri-front.conf) and now (modprobe).
#       Needs dkms and the running kernel's headers (on Debian:
#       apt-get install dkms linux-headers-$(uname -r)).
#   drm-front/kmod/dkms.sh uninstall
#       dkms remove every version, the files above removed.
#   drm-front/kmod/dkms.sh tree DIR
#       only write the source tree (DIR/vdri-front-VERSION); prints its path.
#
# The tree is a copy of drm-front/kmod/ and of the kernel-shareable part of
# core/ (core/README.md), plus libdrm's DRM UAPI headers from
# /usr/include/libdrm (the tables are written against them), so the guest
# needs no libdrm-dev.  VERSION is 0.<commits> of this checkout.
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PKG=vdri-front

die() { echo "drm-front/kmod/dkms.sh: error: $*" >&2; exit 1; }

version() {
    local n
    n="$(git -C "$ROOT" rev-list --count HEAD 2>/dev/null)" || n=0
    echo "0.$n"
}

# tree DIR: writes DIR/vdri-front-VERSION, prints it
tree() {
    local ver dst f
    ver="$(version)"
    dst="$1/$PKG-$ver"
    [ -f /usr/include/libdrm/drm.h ] || die "/usr/include/libdrm/drm.h missing (apt-get install libdrm-dev)"
    rm -rf "$dst"
    mkdir -p "$dst/libdrm"
    cp "$HERE"/Kbuild "$HERE"/*.c "$HERE"/*.h "$dst/"
    (cd "$ROOT" && ls -d core/*.[ch] core/chardev/*.[ch] core/drm/*.[ch] core/drm/uapi/*.h \
        core/include/vdri/*.h) | while read -r f; do
        mkdir -p "$dst/$(dirname "$f")"
        cp "$ROOT/$f" "$dst/$f"
    done
    cp /usr/include/libdrm/*.h "$dst/libdrm/"
    cat > "$dst/dkms.conf" <<CONF
PACKAGE_NAME="$PKG"
PACKAGE_VERSION="$ver"
BUILT_MODULE_NAME[0]="vdri_front"
DEST_MODULE_LOCATION[0]="/updates/dkms"
MAKE[0]="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build modules"
CLEAN="make -C \${kernel_source_dir} M=\${dkms_tree}/\${PACKAGE_NAME}/\${PACKAGE_VERSION}/build clean"
AUTOINSTALL="yes"
CONF
    echo "$dst"
}

install() {
    local ver kver
    [ "$(id -u)" = 0 ] || die "install needs root"
    command -v dkms >/dev/null 2>&1 || die "dkms not found (apt-get install dkms)"
    kver="$(uname -r)"
    [ -e "/lib/modules/$kver/build" ] ||
        die "no headers for the running kernel $kver (apt-get install linux-headers-$kver)"
    ver="$(version)"
    uninstall
    tree /usr/src >/dev/null
    dkms add -m "$PKG" -v "$ver"
    dkms build -m "$PKG" -v "$ver" -k "$kver"
    dkms install -m "$PKG" -v "$ver" -k "$kver"
    if [ $# -gt 0 ]; then
        echo "options vdri_front $*" > /etc/modprobe.d/vdri-front.conf
        echo vdri_front > /etc/modules-load.d/vdri-front.conf
        modprobe vdri_front
    fi
    echo "vdri-front $ver installed for $kver"
}

uninstall() {
    local v
    if command -v dkms >/dev/null 2>&1; then
        for v in $(dkms status -m "$PKG" 2>/dev/null | sed -n "s|^$PKG/\([^,:]*\).*|\1|p" | sort -u); do
            dkms remove -m "$PKG" -v "$v" --all || true
            rm -rf "/usr/src/$PKG-$v"
        done
    fi
    rm -f /etc/modprobe.d/vdri-front.conf /etc/modules-load.d/vdri-front.conf
}

case "${1:-}" in
install) shift; install "$@" ;;
uninstall) uninstall ;;
tree) [ $# -eq 2 ] || die "usage: dkms.sh tree DIR"; mkdir -p "$2"; tree "$(cd "$2" && pwd)" ;;
*) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
