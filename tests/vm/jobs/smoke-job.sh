#!/bin/sh
# Runs inside the driver VM (tests/vm/smoke.sh): records which DRM nodes and
# drivers the VM has, drmdevice's view of them, and the kernel log.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
{
    echo "== VDRI-DRM"
    cat /run/vdri-drm.txt
    echo "== ls -l /dev/dri"
    ls -l /dev/dri
    echo "== drmdevice"
    drmdevice
    echo "drmdevice exit status $?"
} > "$out/smoke.txt" 2>&1
dmesg > "$out/dmesg.txt" 2>&1
[ -d /dev/dri ] || { echo "smoke-job: no /dev/dri"; exit 3; }
echo "smoke-job: done"
