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

# The peer: a native process of this VM that opens a buffer a test names
# (GEM flink), checks it and writes into it (drmtest's "peer" check, run
# natively here and forwarded from the host; requests come as files).
mkdir -p "$out/peer"
(
    while [ ! -e "$out/done" ]; do
        if [ -e "$out/peer/req" ]; then
            set -- $(cat "$out/peer/req")
            rm -f "$out/peer/req"
            "$BUILD/tests/vm/vdri-drmtest" --peer "$1" "$2" > "$out/peer/ack.tmp" 2>&1
            mv "$out/peer/ack.tmp" "$out/peer/ack"
        fi
        sleep 0.05
    done
) &
peer=$!
export VDRI_PEER_DIR="$out/peer"

# natively (these outputs are what the forwarded ones must equal)
if [ -z "${SERVE_ONLY:-}" ]; then
    "$ROOT/tests/vm/run-suite.sh" "$out/native" > "$out/native.log" 2>&1
    echo "drm-job: native suite done ($?)"
fi

# a virtio-serial port, when the host gave one (vm.sh --serial-sock)
serial=""
[ -e /dev/virtio-ports/vdri.0 ] && serial="listen serial:/dev/virtio-ports/vdri.0"
cat > /tmp/backd.conf <<CONF
$serial
listen tcp:0.0.0.0:7070
export /dev/dri/card*
export /dev/dri/renderD*
flat-ioctl deny
threads 4
max-frame 16M
log stderr
ready-file $out/ready
CONF
# ASan builds: reports in files of their own (not interleaved with the log)
ASAN_OPTIONS="detect_leaks=1:log_path=$out/asan-backd" "$BUILD/bin/vdri-backd" -v -c /tmp/backd.conf 2> "$out/backd.log" &
pid=$!
n=0
while [ ! -e "$out/done" ] && [ $n -lt "${SERVE_TENTHS:-3000}" ]; do
    # the host's fault test: the driver VM's backend dies under a running guest
    if [ -e "$out/kill-backd" ]; then
        rm -f "$out/kill-backd"
        kill -KILL $pid
        echo "drm-job: killed vdri-backd on request"
    fi
    sleep 0.1
    n=$((n + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
echo "drm-job: backend exited ($?)"
hostdone=0
[ -e "$out/done" ] && hostdone=1
touch "$out/done"   # stops the peer
wait $peer
[ $hostdone = 1 ]
