#!/bin/sh
# Runs inside the driver VM for tests/vm/drm.sh: the DRM checks natively,
# then vdri-backd on tcp port 7070 for the host's forwarded run, until the
# host writes $VDRI_VM_OUT/done.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
set -a
. "$out/job.env"   # BUILD=<build dir>, ROOT=<source tree>
set +a
cp /run/vdri-drm.txt "$out/nodes.txt"
CARD="/dev/dri/$(awk '$3 == "virtio_gpu" && $2 ~ /^card/ {print $2; exit}' /run/vdri-drm.txt)"
export CARD

# natively (these outputs are what the forwarded ones must equal)
if [ -z "${SERVE_ONLY:-}" ]; then
    "$ROOT/tests/vm/run-suite.sh" "$out/native" > "$out/native.log" 2>&1
    echo "drm-job: native suite done ($?)"
fi

cat > /tmp/backd.conf <<CONF
listen tcp:0.0.0.0:7070
export /dev/dri/card*
export /dev/dri/renderD*
flat-ioctl deny
threads 4
max-frame 16M
log stderr
ready-file $out/ready
CONF
"$BUILD/bin/vdri-backd" -v -c /tmp/backd.conf 2> "$out/backd.log" &
pid=$!
n=0
while [ ! -e "$out/done" ] && [ $n -lt "${SERVE_TENTHS:-3000}" ] && kill -0 $pid 2>/dev/null; do
    sleep 0.1
    n=$((n + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
echo "drm-job: backend exited ($?)"
[ -e "$out/done" ]
