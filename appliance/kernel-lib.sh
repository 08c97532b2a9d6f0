# shellcheck shell=bash
# Shared by the appliance builders (build.sh: the test VM; image.sh: the
# bootable appliance): Debian's kernel package (which one, download into
# build/cache once, extract once), kernel modules with their dependencies,
# busybox, and packing an initramfs.  Source it after defining
#   ROOT   the repository root        CACHE  the download cache (build/cache)
#   say    progress messages          die    fatal errors (exits)
#
# kl_tools                   checks dpkg-deb, cpio, gzip...; sets BUSYBOX,
#                            DEPMOD, MODINFO
# kl_find_pkg                sets PKG (VDRI_KERNEL_PKG, else what
#                            linux-image-amd64 depends on, else the one
#                            cached .deb)
# kl_apt_download PKG...     apt-get download into $CACHE (missing ones only
#                            fail later, at the caller's find)
# kl_cached_deb PKG          prints $CACHE/PKG_*.deb if there is one
# kl_fetch_deb               sets DEB (downloads unless cached)
# kl_extract                 sets XDIR VMLINUZ KVER MODDIR (extracts once per .deb)
# kl_resolve MODULE...       adds modules + dependencies to ORDER/WANT;
#                            a missing module is fatal
# kl_resolve_optional MOD... the same, a module missing from the package is
#                            skipped (noted in KL_MISSING)
# kl_stage_busybox DIR       busybox + every applet link
# kl_stage_modules DIR       the resolved modules (decompressed), depmod
# kl_pack DIR FILE           newc cpio of DIR, gzip'd, into FILE
# kl_extract_vmlinux IN OUT  the ELF kernel out of a bzImage

kl_tools() {
    local t
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
}

kl_find_pkg() {
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
}

kl_apt_download() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found"
    # As root into a directory _apt cannot read, apt warns but still downloads.
    # shellcheck disable=SC2015  # the filter's status does not matter
    (cd "$CACHE" && apt-get download -q "$@" 2>&1 |
        grep -v -e '^W: Download is performed unsandboxed' -e "couldn't be accessed by user '_apt'" >&2 || true)
}

kl_cached_deb() {
    local f
    for f in "$CACHE/${1}"_*.deb; do [ -f "$f" ] && { echo "$f"; return 0; }; done
    return 1
}

kl_fetch_deb() {
    DEB="$(kl_cached_deb "$PKG")" || DEB=""
    if [ -z "$DEB" ]; then
        say "downloading $PKG into build/cache (apt-get download)"
        kl_apt_download "$PKG"
        DEB="$(kl_cached_deb "$PKG")" || die "apt-get download $PKG failed (no ${PKG}_*.deb in $CACHE)"
    else
        say "using cached $(basename "$DEB")"
    fi
}

kl_extract() {
    XDIR="$CACHE/${PKG}.x"
    # Two builders may run at once (make appliance and a VM test): one extracts.
    if command -v flock >/dev/null 2>&1; then
        exec 8>"$CACHE/.${PKG}.lock"
        flock 8 || die "cannot lock $CACHE/.${PKG}.lock"
    fi
    if [ ! -f "$XDIR/.extracted" ] || [ "$DEB" -nt "$XDIR/.extracted" ]; then
        say "extracting $(basename "$DEB")"
        rm -rf "$XDIR"
        mkdir -p "$XDIR"
        dpkg-deb -x "$DEB" "$XDIR" || die "dpkg-deb -x $DEB failed"
        touch "$XDIR/.extracted"
    fi
    exec 8>&-
    set -- "$XDIR"/boot/vmlinuz-*
    [ -f "$1" ] || die "no boot/vmlinuz-* in $DEB"
    VMLINUZ="$1"
    KVER="${VMLINUZ##*/vmlinuz-}"
    MODDIR="$XDIR/lib/modules/$KVER"
    [ -d "$MODDIR" ] || die "no lib/modules/$KVER in $DEB"
}

# Module name -> file, built on first use; ORDER lists dependencies first.
declare -A KL_MODPATH=()
declare -A WANT=()
ORDER=()
KL_MISSING=""
kl_index() {
    local f n
    [ "${#KL_MODPATH[@]}" = 0 ] || return 0
    while IFS= read -r f; do
        n="${f##*/}"; n="${n%%.ko*}"; n="${n//-/_}"
        KL_MODPATH[$n]="$f"
    done < <(find "$MODDIR/kernel" -name '*.ko*')
}
kl_builtin() {
    grep -q -E "/${1//_/[-_]}\.ko" "$MODDIR/modules.builtin" 2>/dev/null
}
kl_add() { # name, optional (1: skip a missing module)
    local n="${1//-/_}" f dep
    [ -n "$n" ] || return 0
    [ -z "${WANT[$n]:-}" ] || return 0
    f="${KL_MODPATH[$n]:-}"
    if [ -z "$f" ]; then
        # Built into the kernel: nothing to copy.
        kl_builtin "$n" && return 0
        [ "${2:-0}" = 1 ] || die "module $n not found in $PKG"
        KL_MISSING="$KL_MISSING $n"
        return 0
    fi
    WANT[$n]="$f"
    for dep in $($MODINFO -F depends "$f" | tr ',' ' '); do kl_add "$dep"; done
    ORDER+=("$n")
}
kl_resolve() {
    local m
    kl_index
    for m in "$@"; do kl_add "$m"; done
}
kl_resolve_optional() {
    local m
    kl_index
    for m in "$@"; do kl_add "$m" 1; done
}

kl_stage_busybox() {
    local a
    mkdir -p "$1/bin"
    cp "$BUSYBOX" "$1/bin/busybox"
    "$BUSYBOX" --list-full | while IFS= read -r a; do
        [ "$a" = bin/busybox ] && continue
        mkdir -p "$1/$(dirname "$a")"
        ln -sf /bin/busybox "$1/$a"
    done
    [ -e "$1/bin/sh" ] || ln -s busybox "$1/bin/sh"
}

kl_stage_modules() {
    local n f rel dst
    mkdir -p "$1/lib/modules/$KVER"
    for n in "${ORDER[@]}"; do
        f="${WANT[$n]}"
        rel="${f#"$MODDIR"/}"
        dst="$1/lib/modules/$KVER/${rel%%.ko*}.ko"
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
        [ -f "$MODDIR/$f" ] && cp "$MODDIR/$f" "$1/lib/modules/$KVER/"
    done
    $DEPMOD -b "$1" "$KVER" || die "depmod failed"
}

kl_pack() {
    (cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
        gzip -6 > "$2.tmp" || die "cpio/gzip failed"
    mv "$2.tmp" "$2"
}

# The uncompressed ELF kernel: QEMU boots it through its PVH entry point,
# which skips SeaBIOS's Linux loader and the in-guest decompression (~3 s of
# TCG time).
kl_extract_vmlinux() {
    local magic tool off pair
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
