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
# kmscube stops when its stdin is readable ("user interrupted"): give it a
# fifo (a local one: one on the VM's 9p share does not block).  Its stdout
# and stderr interleave differently run to run: keep what must match.
kmscube_run() { # name, extra kmscube options...
    name="$1"
    shift
    run "$name" sh -c 'out="$1" fifo="$2" card="$3"; shift 3
        kmscube "$@" -D "$card" -c 30 0<>"$fifo" > "$out" 2>&1; rc=$?
        grep -E "renderer:|^Using modifier" "$out" | sort -u
        grep -q "^Rendered [0-9]* frames" "$out" && echo "rendered frames"
        sed -n "s/^Rendered/~Rendered/p" "$out"
        exit $rc' kmscube "$dir/$name.raw" "$fifo" "$CARD" "$@"
}
fifo="$(mktemp -u /tmp/vdri-kmscube.XXXXXX)"
mkfifo "$fifo"
kmscube_run kmscube
# the same with atomic mode setting: in- and out-fences on every frame
kmscube_run kmscube-atomic -A
rm -f "$fifo"
# IGT's generic benchmarks (Debian ships no IGT tests): same exit, numbers shown
run igt-vgem_mmap sh -c '/usr/libexec/igt-gpu-tools/benchmarks/vgem_mmap | sed "s/^/~vgem_mmap /"'
