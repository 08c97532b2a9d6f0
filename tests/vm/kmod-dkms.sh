#!/bin/bash
# DKMS packaging of the kernel-module frontend (drm-front/kmod/dkms.sh):
# the source tree it writes, built by dkms itself (add + build, with
# private trees under build/dkms/, against the test VMs' kernel headers),
# and the module dkms built loaded into a guest VM (parameters checked,
# nodes made, unloaded).
#   tests/vm/kmod-dkms.sh        Ends with "N passed, N failed, N skipped".
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$ROOT/tests/vm/lib.sh"
KVER="${KVER:-6.1.0-56-amd64}"

if ! command -v dkms >/dev/null 2>&1 || ! vm_available; then
    echo "SKIP kmod-dkms: needs dkms and qemu-system-x86_64"
    skip=1
    summary
    exit 0
fi
# the kernel headers (fetched once by build.sh when not installed)
"$ROOT/drm-front/kmod/build.sh" > /dev/null 2>&1 || { bad "drm-front/kmod/build.sh"; summary; exit 1; }
KDIR="${KDIR:-/usr/src/linux-headers-$KVER}"
[ -f "$KDIR/Makefile" ] || KDIR="$ROOT/build/kheaders/usr/src/linux-headers-$KVER"

D="$ROOT/build/dkms"
rm -rf "$D"
mkdir -p "$D/src" "$D/tree"
out="$(mktemp -d /tmp/vdri-vm-dkms.XXXXXX)"
trap 'vm_kill; [ -n "${VDRI_KEEP_LOGS:-}" ] || rm -rf "$out"' EXIT
src="$("$ROOT/drm-front/kmod/dkms.sh" tree "$D/src")"
ver="${src##*/vdri-front-}"
check "dkms.sh tree writes vdri-front-$ver with dkms.conf, the module's and core's sources, libdrm's headers" \
    '[ -f "$src/dkms.conf" ] && [ -f "$src/core/marshal_front.c" ] && [ -f "$src/core/drm/vgem.c" ] && [ -f "$src/libdrm/drm.h" ] && [ -f "$src/map.c" ]'
opts=(--dkmstree "$D/tree" --sourcetree "$D/src" -m vdri-front -v "$ver")
t0=$(date +%s)
dkms add "${opts[@]}" > "$out/add.log" 2>&1 &&
    dkms build "${opts[@]}" -k "$KVER" --kernelsourcedir "$KDIR" > "$out/build.log" 2>&1
rc=$?
KO="$(find "$D/tree/vdri-front/$ver/$KVER" -name 'vdri_front.ko*' 2>/dev/null | head -n 1)"
check "dkms add + build for $KVER ($(($(date +%s) - t0)) s)" '[ $rc -eq 0 ] && [ -n "$KO" ]'
[ $rc -eq 0 ] || tail -20 "$out/build.log" "$D/tree/vdri-front/$ver/build/make.log" 2>/dev/null
check "dkms status says built" 'dkms status --dkmstree "$D/tree" --sourcetree "$D/src" -m vdri-front | grep -q "$KVER.*: built"'
if [ -n "$KO" ]; then
    printf 'KO=%s\nROOT=%s\n' "$KO" "$ROOT" > "$out/job.env"
    # VDRI_DKMS_INSTALL=1: also dkms.sh install in the guest (dkms compiles under TCG: minutes)
    [ -z "${VDRI_DKMS_INSTALL:-}" ] || printf 'KDIR=%s\n' "$KDIR" >> "$out/job.env"
    vm_start "$ROOT/tests/vm/jobs/kmod-dkms-job.sh" "$out" --gpu none --mem 1024 --smp 2 --timeout 900
    rc=0; vm_wait || rc=$?
    cat "$out/dkms.txt" 2>/dev/null | sed 's/^/  /'
    check "the DKMS-built module's vermagic is $KVER" 'grep -q "^vermagic: *$KVER " "$out/dkms.txt"'
    check "in a guest VM it refuses a bad parameter with the reason" \
        'grep -q "backend=tcp:1.2.3.4: expected" "$out/dkms.txt" && ! grep -q "bad: LOADED" "$out/dkms.txt"'
    check "in a guest VM it loads, makes its node and unloads (job exit $rc)" \
        '[ $rc -eq 0 ] && grep -q "good: loaded and unloaded" "$out/dkms.txt"'
    if [ -n "${VDRI_DKMS_INSTALL:-}" ]; then
        sed 's/^/  /' "$out/install.txt"
        check "dkms.sh install in the guest: built, installed, options written, loaded; uninstall removes it ($(grep -o 'done in [0-9]* s' "$out/install.txt"))" \
            'grep -q "^install: done" "$out/install.txt" && grep -q "vdri-dkms2" "$out/install.txt" && grep -q "^options vdri_front backend=tcp:10.0.2.2:9" "$out/install.txt" && grep -q "^uninstall: done" "$out/install.txt"'
    else
        echo "SKIP dkms.sh install in a guest (VDRI_DKMS_INSTALL=1: dkms compiles under TCG)"
        skip=$((skip + 1))
    fi
fi
summary
