#!/bin/sh
# Runs inside the driver VM for bench/drm.sh: DRM operation latencies and a
# Mesa frame loop natively and through libvdri-front.so against a vdri-backd
# in the same VM (unix socket), so both see the same emulated CPU.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
. "$out/job.env"   # BUILD=, ITER=, FRAMES=
"$BUILD/bin/vdri-backd" -l unix:/run/vdri.sock -e '/dev/dri/*' --ready-file /run/ready \
    2> "$out/backd.log" &
pid=$!
n=0
while [ ! -e /run/ready ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
fwd() {
    LD_PRELOAD="$BUILD/lib/libvdri-front.so" VDRI_ADDR=unix:/run/vdri.sock \
        VDRI_PATHS='/dev/dri/*' "$@"
}
grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //' > "$out/cpu.txt"
uname -r > "$out/kernel.txt"
"$BUILD/bench/drm_ops" "$ITER" > "$out/native.txt" 2>&1
# the floor in this VM: a 64-byte ping-pong between two processes, no vdri
"$BUILD/bench/null_ioctl" -p -n 2000 > "$out/floor.txt" 2>&1
fwd "$BUILD/bench/drm_ops" "$ITER" > "$out/forwarded.txt" 2>&1
"$BUILD/tests/vm/vdri-eglgbm" "$FRAMES" > "$out/egl-native.txt" 2>&1
fwd "$BUILD/tests/vm/vdri-eglgbm" "$FRAMES" > "$out/egl-forwarded.txt" 2>&1
kill -TERM $pid
wait $pid
echo "drm-bench-job: done"
