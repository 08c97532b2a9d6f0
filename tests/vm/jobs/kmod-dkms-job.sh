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
# The one-command install on this guest: dkms builds for the running kernel
# (its headers: the ones the host built against, linked as /lib/modules' build).
if [ -n "${KDIR:-}" ]; then
    {
        echo "== install"
        [ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd   # as udev would; dkms needs it
        mkdir -p "/lib/modules/$(uname -r)"
        ln -sfn "$KDIR" "/lib/modules/$(uname -r)/build"
        t0=$(date +%s)
        "$ROOT/drm-front/kmod/dkms.sh" install backend=tcp:10.0.2.2:9 nodes=card0:vdri-dkms2 &&
            echo "install: done in $(($(date +%s) - t0)) s"
        lsmod | grep '^vdri_front' && ls -l /dev/dri/vdri-dkms2 && cat /etc/modprobe.d/vdri-front.conf
        dkms status
        rmmod vdri_front
        "$ROOT/drm-front/kmod/dkms.sh" uninstall && echo "uninstall: done"
        dkms status
    } > "$out/install.txt" 2>&1
fi
exit 0 # the results are in the files above
