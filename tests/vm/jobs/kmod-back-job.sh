#!/bin/sh
# Runs inside the driver VM for tests/vm/kmod.sh: vdri-backd exporting
# /dev/dri/* on tcp port 7070 (QEMU forwards a host port to it), until the
# host writes $VDRI_VM_OUT/done or kills this VM.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
set -a
. "$out/job.env"   # BUILD=<build dir>, ROOT=<source tree>
set +a
cp /run/vdri-drm.txt "$out/nodes.txt"
# the DRM conformance checks natively: the guest's run through the module must equal it
[ -e "$out/no-native" ] || "$BUILD/tests/vm/vdri-drmtest" > "$out/native-drmtest.txt" 2>&1
cat > /tmp/kmod.conf <<CONF
listen tcp:0.0.0.0:7070
export /dev/dri/card*
export /dev/dri/renderD*
ready-file $out/ready
CONF
"$BUILD/bin/vdri-backd" -v -c /tmp/kmod.conf 2> "$out/backd.log" &
pid=$!
n=0
while [ ! -e "$out/done" ] && [ $n -lt 6000 ] && kill -0 $pid 2>/dev/null; do
    sleep 0.05
    n=$((n + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
echo "kmod-back-job: backend exited with $?"
