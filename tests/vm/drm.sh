#!/bin/bash
# The DRM class against real kernel drivers: boots the driver VM
# (virtio-vga-gl with virgl, vgem), runs tests/vm/run-suite.sh natively in
# it, then the same suite on the host through libvdri-front.so over
# forwarded TCP, and compares the two: every program must exit the same way
# and print the same lines (lines starting with "~" are timings or known,
# documented differences: shown, not compared).
#   tests/vm/drm.sh [BUILD_DIR]      (default build/release)
# With an ASan build, set VDRI_ASAN_PRELOAD to the ASan runtime (run-all.sh
# does): the backend in the VM and the frontend on the host both run under it.
# Ends with "N passed, N failed, N skipped".
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"

if ! vm_available; then
    echo "SKIP drm: no qemu-system-x86_64"
    skip=1
    summary
    exit 0
fi
out="$(mktemp -d /tmp/vdri-vm-drm.XXXXXX)"
trap 'vm_kill; [ -n "${VDRI_KEEP_LOGS:-}" ] || rm -rf "$out"' EXIT
printf 'BUILD=%s\nROOT=%s\n' "$BUILD" "$ROOT" > "$out/job.env"
# ASan builds: Mesa's own leaks are not ours; the backend's are (see below)
echo "ASAN_OPTIONS=detect_leaks=0" >> "$out/job.env"
port="$(vm_free_port)"
# an ASan build of the frontend needs the ASan runtime loaded first
PRELOAD="${VDRI_ASAN_PRELOAD:+$VDRI_ASAN_PRELOAD:}$BUILD/lib/libvdri-front.so"
t0=$(date +%s)
vm_start "$ROOT/tests/vm/jobs/drm-job.sh" "$out" --port "$port" --timeout 600
if ! vm_wait_file "$out/ready" 400; then
    bad "driver VM up with vdri-backd listening"
    tail -30 "$VM_LOG" 2>/dev/null
    summary
    exit 1
fi
ok "driver VM up, native suite run, vdri-backd listening ($(($(date +%s) - t0)) s)"

card="$(awk '$3 == "virtio_gpu" && $2 ~ /^card/ {print "/dev/dri/" $2; exit}' "$out/nodes.txt")"
(
    export LD_PRELOAD="$PRELOAD" VDRI_ADDR="tcp:127.0.0.1:$port"
    export VDRI_PATHS='/dev/dri/*' VDRI_NAME=host-guest BUILD CARD="$card" VDRI_PEER_DIR="$out/peer"
    "$ROOT/tests/vm/run-suite.sh" "$out/forwarded"
) > "$out/forwarded.log" 2>&1
# (The VM also offers the backend on a virtio-serial port, --serial-sock;
# it is not part of this suite: under load a session over it stalled, a
# reply never reaching the host; see the README's gaps.)

# Fault containment: the backend is killed (SIGKILL) under a guest rendering
# 10000 frames (about a minute when all is well); its forwarded calls must fail at
# once (Mesa reports the errors and goes on) so that it ends, never hangs.
(
    export LD_PRELOAD="$PRELOAD" VDRI_ADDR="tcp:127.0.0.1:$port"
    export VDRI_PATHS='/dev/dri/*'
    exec "$BUILD/tests/vm/vdri-eglgbm" 10000
) > "$out/fault.txt" 2>&1 &
gpid=$!
sleep 3
if kill -0 $gpid 2>/dev/null; then
    touch "$out/kill-backd"
    t1=$(date +%s)
    while kill -0 $gpid 2>/dev/null && [ $(($(date +%s) - t1)) -lt 30 ]; do sleep 0.2; done
    if kill -0 $gpid 2>/dev/null; then
        kill -KILL $gpid
        bad "a guest rendering when its backend is killed still runs after 30 s"
    else
        wait $gpid
        st=$?
        if grep -q "error" "$out/fault.txt"; then
            ok "a guest rendering when its backend is killed sees errors and ends in $(($(date +%s) - t1)) s (status $st)"
        else
            bad "the rendering guest ended (status $st) without seeing an error: was the backend killed?"
        fi
    fi
else
    wait $gpid
    bad "the rendering guest ended before the backend was killed (status $?): $(tail -3 "$out/fault.txt")"
fi
touch "$out/done"
rc=0
vm_wait || rc=$?
[ "$rc" -eq 0 ] && ok "driver VM shut down cleanly" || bad "driver VM exit status $rc"

# compare program by program
while read -r name st; do
    fst="$(awk -v n="$name" '$1 == n {print $2}' "$out/forwarded/status")"
    nat="$out/native/$name.txt" fwd="$out/forwarded/$name.txt"
    if [ "$st" != "$fst" ]; then
        bad "$name: exit $st natively, ${fst:-none} forwarded"
        echo "--- native:"; head -20 "$nat"; echo "--- forwarded:"; head -20 "$fwd"
        continue
    fi
    # drmdevice lists devices in /dev/dri's readdir order, which no two
    # file systems share: its lines are compared as sets
    norm=cat
    [ "$name" = drmdevice ] && norm="sort"
    if diff <(grep -v '^~' "$nat" | $norm) <(grep -v '^~' "$fwd" | $norm) > "$out/$name.diff"; then
        ok "$name: same output natively and forwarded (exit $st)"
    else
        bad "$name: outputs differ"
        head -30 "$out/$name.diff"
    fi
    grep '^~' "$fwd" | sed "s/^~/  forwarded: /"
    grep '^~' "$nat" | sed "s/^~/  native:    /"
done < "$out/native/status"
# the suite must also have done what it claims natively
grep -q "picture: ok" "$out/native/eglgbm.txt" && grep -q "picture: ok" "$out/forwarded/eglgbm.txt" &&
    grep -q "renderer is virgl: yes" "$out/forwarded/eglgbm.txt" &&
    ok "Mesa (virgl) rendered the checked picture natively and forwarded" ||
    bad "Mesa picture check"
# sanitizer reports (ASan builds): the backend in the VM, the frontend here
if grep -lE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$out/backd.log" \
        "$out"/asan-backd.* "$out"/forwarded/*.txt > "$out/san.txt" 2>/dev/null; then
    bad "sanitizer reports in: $(tr '\n' ' ' < "$out/san.txt")"
    grep -hE -A30 "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" $(cat "$out/san.txt") |
        sed 's/^/  /' | head -60
else
    ok "no sanitizer reports from the backend or the frontend"
fi
grep -q "done failures=0" "$out/forwarded/drmtest.txt" && ok "drmtest: no failures forwarded" ||
    bad "drmtest forwarded failures: $(grep -c '^FAIL' "$out/forwarded/drmtest.txt")"
summary
