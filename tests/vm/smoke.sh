#!/bin/bash
# Driver-VM self-test: boots the appliance (virgl by default) with
# tests/vm/jobs/smoke-job.sh and checks, from the host, that the VM had a
# virtio_gpu node with virgl and a vgem node, and that drmdevice ran there.
#
#   tests/vm/smoke.sh            VDRI_SMOKE_GPU=plain skips the virgl check
#                                VDRI_KEEP_OUT=1 keeps the out dir on success
# Prints PASS/FAIL lines and "N passed, N failed, N skipped"; exits 0 or 1.
set -eu
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$HERE/lib.sh"
GPU="${VDRI_SMOKE_GPU:-virgl}"
P=0 F=0

pass() { echo "PASS vm-smoke: $*"; P=$((P + 1)); }
fail() { echo "FAIL vm-smoke: $*"; F=$((F + 1)); }
check() { # description, command...
    local what="$1"; shift
    if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

if ! vm_available; then
    echo "SKIP vm-smoke: qemu-system-x86_64 not installed"
    echo "0 passed, 0 failed, 1 skipped"
    exit 0
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/vdri-smoke.XXXXXX")"
trap 'vm_kill' EXIT
t0=$(date +%s.%N)
# Build first (cold builds download the kernel), so the VM timeout is the VM's.
if ! "$VDRI_ROOT/appliance/build.sh" --quick >"$OUT/build.log" 2>&1; then
    cat "$OUT/build.log"
    fail "appliance build (log $OUT/build.log)"
    echo "$P passed, $F failed, 0 skipped"
    exit 1
fi
t1=$(date +%s.%N)
vm_start "$HERE/jobs/smoke-job.sh" "$OUT" --gpu "$GPU" --timeout "${VDRI_SMOKE_TIMEOUT:-120}"
rc=0
vm_wait || rc=$?
t2=$(date +%s.%N)

if [ "$rc" = 0 ]; then pass "VM job exit status 0"; else fail "VM job exit status $rc (vm.sh log $VM_RUNLOG)"; fi
check "console shows VDRI-VM-UP" grep -q '^VDRI-VM-UP' "$VM_LOG"
check "job wrote smoke.txt" test -s "$OUT/smoke.txt"
check "a virtio_gpu card node" grep -Eq '^VDRI-DRM card[0-9]+ virtio_gpu$' "$OUT/smoke.txt"
check "a virtio_gpu render node" grep -Eq '^VDRI-DRM renderD[0-9]+ virtio_gpu$' "$OUT/smoke.txt"
check "a vgem card node" grep -Eq '^VDRI-DRM card[0-9]+ vgem$' "$OUT/smoke.txt"
check "a vgem render node" grep -Eq '^VDRI-DRM renderD[0-9]+ vgem$' "$OUT/smoke.txt"
check "drmdevice ran and saw 2 devices" grep -q -e 'Devices reported 2' "$OUT/smoke.txt"
check "drmdevice exit status 0" grep -q 'drmdevice exit status 0' "$OUT/smoke.txt"
check "job wrote dmesg.txt" test -s "$OUT/dmesg.txt"
if [ "$GPU" = virgl ]; then
    check "virtio_gpu has virgl (dmesg)" grep -Eq 'features: \+virgl|virgl 1' "$OUT/dmesg.txt"
fi

up="$(sed -n 's/^vm.sh: VDRI-VM-UP after //p' "$VM_RUNLOG" 2>/dev/null)"
echo "vm-smoke: build check $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')s," \
    "boot to VDRI-VM-UP ${up:-?}, VM total $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}')s" \
    "(gpu $GPU)"
if [ "$F" != 0 ] || [ "${VDRI_KEEP_OUT:-0}" = 1 ]; then
    echo "vm-smoke: out dir kept: $OUT"
fi
if [ "$F" != 0 ]; then
    echo "vm-smoke: vm.sh said:"; sed 's/^/  /' "$VM_RUNLOG"
    echo "vm-smoke: console tail:"; tail -n 20 "$VM_LOG" | sed 's/^/  /'
elif [ "${VDRI_KEEP_OUT:-0}" != 1 ]; then
    rm -rf "$OUT"
fi
echo "$P passed, $F failed, 0 skipped"
[ "$F" = 0 ]
