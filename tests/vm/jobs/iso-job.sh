#!/bin/sh
# Runs inside the driver VM for tests/vm/isolation.sh: vdri-backd with two
# guest policies on tcp port 7070 and its status socket, and a command
# channel for the host's test: it writes $out/cmd/N.sh, this job runs it
# and leaves the output in $out/cmd/N.out, then $out/cmd/N.done.  Ends when
# the host writes $out/done.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
set -a
. "$out/job.env"   # BUILD=<build dir>, ROOT=<source tree>
set +a
cp /run/vdri-drm.txt "$out/nodes.txt"
mkdir -p "$out/cmd"
cp "$out/iso.conf" /tmp/iso.conf
cat >> /tmp/iso.conf <<CONF
ready-file $out/ready
CONF
ASAN_OPTIONS="detect_leaks=1:log_path=$out/asan-backd" \
    "$BUILD/bin/vdri-backd" -v -c /tmp/iso.conf 2> "$out/backd.log" &
pid=$!
echo "$pid" > "$out/backd.pid"
export VDRI_STATUS=unix:/run/vdri-status.sock BACKD_PID=$pid
n=0
while [ ! -e "$out/done" ] && [ $n -lt 6000 ]; do
    for req in "$out"/cmd/*.sh; do
        [ -e "$req" ] || continue
        base="${req%.sh}"
        mv "$req" "$base.run"
        sh "$base.run" > "$base.out" 2>&1
        echo $? > "$base.done"
    done
    sleep 0.05
    n=$((n + 1))
done
kill -TERM $pid 2>/dev/null
wait $pid
echo "iso-job: backend exited with $?"
