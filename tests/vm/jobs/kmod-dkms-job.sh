#!/bin/sh
# Runs inside a guest VM for tests/vm/kmod-dkms.sh: loads the module DKMS
# built ($KO from job.env), once with a bad parameter and once for real.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
set -a
. "$out/job.env"   # KO=<the DKMS-built vdri_front.ko>
set +a
{
    echo "== modinfo"
    modinfo "$KO" | grep -E '^(vermagic|version|parm: *(backend|drm_names))'
    echo "== bad"
    insmod "$KO" backend=tcp:1.2.3.4 2>&1 && echo "bad: LOADED"
    echo "== good"
    insmod "$KO" backend=tcp:10.0.2.2:9 nodes=card0:vdri-dkms && ls -l /dev/dri/vdri-dkms &&
        rmmod vdri_front && echo "good: loaded and unloaded"
    echo "== dmesg"
    dmesg | grep vdri_front
} > "$out/dkms.txt" 2>&1
