#!/bin/sh
# The DRM suite, run the same way natively (in the driver VM) and forwarded
# (on the host with libvdri-front.so preloaded): one output file per
# program in DIR, and DIR/status with "NAME EXIT-STATUS" lines.
#   tests/vm/run-suite.sh DIR
# Needs BUILD (the build dir) and, for kmscube, CARD (the virtio_gpu card
# node) in the environment; the caller sets LD_PRELOAD etc. for forwarding.
set -u
dir="$1"
mkdir -p "$dir"
: > "$dir/status"
run() {
    name="$1"
    shift
    timeout 120 "$@" > "$dir/$name.txt" 2>&1
    echo "$name $?" >> "$dir/status"
}
run drmtest "$BUILD/tests/vm/vdri-drmtest"
run eglgbm "$BUILD/tests/vm/vdri-eglgbm" 60
run drmdevice drmdevice
run modetest modetest -M virtio_gpu -c -e -p
run modetest-vgem modetest -M vgem -c
# kmscube stops when its stdin is readable ("user interrupted"): give it a fifo
# its stdout and stderr interleave differently run to run: keep what must match
# (a local fifo: one on the VM's 9p share does not block)
fifo="$(mktemp -u /tmp/vdri-kmscube.XXXXXX)"
mkfifo "$fifo"
run kmscube sh -c 'kmscube -D "$1" -c 30 0<>"$2" > "$3" 2>&1; rc=$?
    grep -E "renderer:|^Using modifier" "$3" | sort -u
    grep -q "^Rendered [0-9]* frames" "$3" && echo "rendered frames"
    sed -n "s/^Rendered/~Rendered/p" "$3"
    exit $rc' kmscube "$CARD" "$fifo" "$dir/kmscube.raw"
# the same with atomic mode setting: in- and out-fences on every frame
run kmscube-atomic sh -c 'kmscube -A -D "$1" -c 30 0<>"$2" > "$3" 2>&1; rc=$?
    grep -E "renderer:|^Using modifier" "$3" | sort -u
    grep -q "^Rendered [0-9]* frames" "$3" && echo "rendered frames"
    sed -n "s/^Rendered/~Rendered/p" "$3"
    exit $rc' kmscube "$CARD" "$fifo" "$dir/kmscube-atomic.raw"
rm -f "$fifo"
# IGT's generic benchmarks (Debian ships no IGT tests): same exit, numbers shown
run igt-vgem_mmap sh -c '/usr/libexec/igt-gpu-tools/benchmarks/vgem_mmap | sed "s/^/~vgem_mmap /"'
