#!/bin/bash
# The kernel-module frontend VM to VM (issue 6): boots the driver VM with
# vdri-backd on tcp (tests/vm/jobs/kmod-back-job.sh, a host port forwarded
# to it) and a guest VM (tests/vm/jobs/kmod-guest-job.sh) that loads
# build/kmod/vdri_front.ko pointing at that port through QEMU's user
# network (10.0.2.2).  In the guest, with no LD_PRELOAD: module parameters
# refused with their reason, the nodes under /dev/dri/, a statically linked
# program doing raw syscall(SYS_ioctl) (tests/vm/kmodtest.c: VERSION, dumb
# buffer, PRIME export to a dma-buf fd and back, GEM close, mmap with exact
# dirty tracking and invalidation, read/poll),
# rmmod refused while a file is open; drm_names=1 (the guest's vgem unloaded,
# the driver VM's names mirrored): drmdevice, modetest -M virtio_gpu, Mesa
# EGL/GBM/virgl rendering a checked picture, drmtest equal to the driver
# VM's native run, IGT's vgem_mmap; then the driver VM is killed under a
# guest program, a mapping and a blocked reader: EIO/SIGBUS, they exit, new
# opens get ENODEV; a driver VM started again: the next open connects again;
# rmmod works, and the guest kernel logged no warning.
#   tests/vm/kmod.sh [BUILD_DIR]      (default build/release)
# Ends with "N passed, N failed, N skipped".
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"

if ! vm_available; then
    echo "SKIP kmod: no qemu-system-x86_64"
    skip=1
    summary
    exit 0
fi
KO="$ROOT/build/kmod/vdri_front.ko"
KT="$BUILD/tests/vm/vdri-kmodtest"
if ! "$ROOT/drm-front/kmod/build.sh" > /tmp/vdri-kmod-build.$$.log 2>&1; then
    tail -20 /tmp/vdri-kmod-build.$$.log
    rm -f /tmp/vdri-kmod-build.$$.log
    bad "vdri_front.ko builds (drm-front/kmod/build.sh)"
    summary
    exit 1
fi
rm -f /tmp/vdri-kmod-build.$$.log
[ -x "$KT" ] || { bad "$KT exists (make)"; summary; exit 1; }

out="$(mktemp -d /tmp/vdri-vm-kmod.XXXXXX)"
BACK_PID="" GUEST_PID=""
cleanup() {
    touch "$out/back/done" "$out/guest/done" 2>/dev/null
    vm_kill "$GUEST_PID"
    vm_kill "$BACK_PID"
    [ -n "${VDRI_KEEP_LOGS:-}" ] || rm -rf "$out"
}
trap cleanup EXIT
mkdir -p "$out/back" "$out/guest/cmd"
printf 'BUILD=%s\nROOT=%s\n' "$BUILD" "$ROOT" > "$out/back/job.env"
printf 'BUILD=%s\nROOT=%s\nKO=%s\n' "$BUILD" "$ROOT" "$KO" > "$out/guest/job.env"
G="$out/guest"

# gcmd SHELL-TEXT [TIMEOUT]: run it as root in the guest VM, print its output.
gcmd() {
    local n
    n=$(( $(cat "$G/cmd.seq" 2>/dev/null || echo 0) + 1 ))
    echo "$n" > "$G/cmd.seq"
    printf '%s\n' "$1" > "$G/cmd/$n.tmp"
    mv "$G/cmd/$n.tmp" "$G/cmd/$n.sh"
    VM_PID="$GUEST_PID" vm_wait_file "$G/cmd/$n.done" "${2:-60}" >/dev/null || {
        echo "(no answer from the guest VM)"; return 1; }
    cat "$G/cmd/$n.out"
    return "$(cat "$G/cmd/$n.done")"
}

t0=$(date +%s)
port="$(vm_free_port)"
vm_start "$ROOT/tests/vm/jobs/kmod-back-job.sh" "$out/back" --port "$port" --gpu virgl \
    --mem 1024 --smp 1 --timeout 300
BACK_PID=$VM_PID
vm_start "$ROOT/tests/vm/jobs/kmod-guest-job.sh" "$G" --gpu none --mem 512 --smp 1 --timeout 300 \
    --qemu-arg -netdev --qemu-arg user,id=n0 --qemu-arg -device --qemu-arg virtio-net-pci,netdev=n0
GUEST_PID=$VM_PID
if ! VM_PID=$BACK_PID vm_wait_file "$out/back/ready" 180 || ! VM_PID=$GUEST_PID vm_wait_file "$G/ready" 180; then
    bad "driver VM and guest VM up"
    tail -20 "$out/back/console.log" "$G/console.log" 2>/dev/null
    summary
    exit 1
fi
ok "driver VM (vdri-backd on tcp) and guest VM up ($(($(date +%s) - t0)) s)"
node_of() { awk -v d="$1" -v p="$2" '$3 == d && $2 ~ "^" p {print $2; exit}' "$out/back/nodes.txt"; }
VCARD="$(node_of vgem card)" VRENDER="$(node_of vgem renderD)" GCARD="$(node_of virtio_gpu card)"
GRENDER="$(node_of virtio_gpu renderD)"
echo "driver VM nodes: vgem $VCARD $VRENDER, virtio_gpu $GCARD $GRENDER"

# ---- 1. parameters are checked at load ----
insmod_fails() { # $1: parameters, $2: the kernel log line expected
    local o
    o="$(gcmd "dmesg -C; insmod $KO $1 2>&1 && echo LOADED; dmesg")"
    [[ "$o" != *LOADED* && "$o" == *"$2"* ]]
}
check "insmod without backend= fails: 'backend= is required'" \
    'insmod_fails "" "backend= is required"'
check "insmod backend=udp:1.2.3.4:5 fails with the reason" \
    'insmod_fails "backend=udp:1.2.3.4:5" "expected tcp:IPV4:PORT"'
check "insmod timeout_ms=5 fails with the reason" \
    'insmod_fails "backend=tcp:10.0.2.2:$port timeout_ms=5" "timeout_ms=5: expected 100..60000"'
check "insmod nodes=card0,../x fails with the reason" \
    'insmod_fails "backend=tcp:10.0.2.2:$port nodes=card0,../x" "bad entry '"'"'../x'"'"'"'
gdrm="$(awk '$2 ~ /^card/ {print $2; exit}' "$G/guest-nodes.txt")"
check "a local name of a real DRM device of the guest (/dev/dri/$gdrm) is refused" \
    'insmod_fails "backend=tcp:10.0.2.2:$port nodes=card0:$gdrm" "/dev/dri/$gdrm exists already"'

check "insmod backend=vsock:1:7070 (a CID below 2) fails with the reason" \
    'insmod_fails "backend=vsock:1:7070" "or vsock:CID:PORT (CID >= 2 or host)"'
o="$(gcmd "insmod $KO backend=vsock:host:7070 nodes=card0:vdri-vs0 && $KT /dev/dri/vdri-vs0 version; rmmod vdri_front && echo unloaded" 30)"
check "backend=vsock:host:7070 loads; with no vsock transport in the guest an open fails with ENODEV" \
    '[[ "$o" == *"open /dev/dri/vdri-vs0: ENODEV"* && "$o" == *unloaded* ]]'

# ---- 2. load, nodes ----
NODES="$VCARD,$VRENDER,$GCARD:vdri-virtio-gpu"
o="$(gcmd "insmod $KO backend=tcp:10.0.2.2:$port nodes=$NODES name=kmod-guest && ls -l /dev/dri/")"
echo "$o" > "$out/ls.txt"
check "insmod backend=tcp:10.0.2.2:$port nodes=$NODES: /dev/dri/vdri-$VCARD, vdri-$VRENDER, vdri-virtio-gpu" \
    '[[ "$o" == *"vdri-$VCARD"* && "$o" == *"vdri-$VRENDER"* && "$o" == *"vdri-virtio-gpu"* ]]'
check "the guest's own DRM nodes are still there" '[[ "$o" == *" $gdrm"* ]]'
check "render node mode 0666, card node 0660" \
    'grep -q "^crw-rw-rw- .* vdri-$VRENDER\$" "$out/ls.txt" && grep -q "^crw-rw---- .* vdri-$VCARD\$" "$out/ls.txt"'

# ---- 3. raw system calls from a static binary, no LD_PRELOAD ----
o="$(gcmd "env | grep -c LD_PRELOAD; $KT /dev/dri/vdri-$VCARD version")"
echo "$o" > "$out/version.txt"
check "raw DRM_IOCTL_VERSION on vdri-$VCARD: $(grep ^version "$out/version.txt")" \
    '[[ "$o" == 0*"version vgem "* ]]'
o="$(gcmd "$KT /dev/dri/vdri-virtio-gpu version")"
check "raw DRM_IOCTL_VERSION on vdri-virtio-gpu: $(echo "$o" | grep ^version)" \
    '[[ "$o" == "version virtio_gpu "* ]]'
o="$(gcmd "$KT /dev/dri/vdri-$VRENDER version")"
check "raw DRM_IOCTL_VERSION on the render node vdri-$VRENDER" '[[ "$o" == "version vgem "* ]]'
o="$(gcmd "$KT /dev/dri/vdri-$VCARD gem")"; rc=$?
echo "$o" > "$out/gem.txt"
check "dumb buffer create: $(grep ^dumb "$out/gem.txt")" '[ $rc -eq 0 ] && [[ "$o" == *"dumb handle "* ]]'
check "PRIME export makes a guest dma-buf fd (lseek SEEK_END = size), import gives the handle back" \
    '[[ "$o" == *"dmabuf fd "* && "$o" == *"prime import handle"* ]] && ! grep -q FAIL "$out/gem.txt"'
check "GEM close; a second close of the handle gets EINVAL" '[[ "$o" == *"gem close ok, again: EINVAL"* ]]'
o="$(gcmd "$KT /dev/dri/vdri-$VCARD map; cat /sys/module/vdri_front/parameters/stats")"; rc=$?
echo "$o" > "$out/map.txt"
check "mmap: exactly the written pages are published at DMA_BUF_IOCTL_SYNC ($(grep '^map published' "$out/map.txt"))" \
    '[[ "$o" == *"map published 2 pages for 2 written"* ]]'
check "mmap: a new mapping fetches the published pages from the device" \
    '[[ "$o" == *"map second mapping sees the published pages"* ]]'
check "mmap: an old mapping sees device-side changes after the next SYNC (zapped, fetched again)" \
    '[[ "$o" == *"map first mapping refreshed after SYNC"* ]]'
check "mmap: munmap publishes the last writes; the dma-buf fd maps the same bytes" \
    '[[ "$o" == *"map munmap published the last write"* && "$o" == *"map dma-buf mapping sees the same bytes"* ]] && [ $rc -eq 0 ]'
o="$(gcmd "$KT /dev/dri/vdri-$VCARD threads 20" 120)"; rc=$?
check "8 threads on one fd, 480 ioctls, each reply to its own caller: $(echo "$o" | grep -o 'in [0-9]* ms, [0-9]* us per ioctl')" \
    '[ $rc -eq 0 ] && [[ "$o" == "threads ok"* ]]'
KT32="$BUILD/tests/vm/vdri-kmodtest32"
if [ -x "$KT32" ]; then
    o="$(gcmd "$KT32 /dev/dri/vdri-$VCARD version; $KT32 /dev/dri/vdri-$VCARD gem; $KT32 /dev/dri/vdri-$VCARD map")"; rc=$?
    echo "$o" > "$out/compat.txt"
    check "a 32-bit static program (compat_ioctl): VERSION translated, dumb buffer, PRIME, GEM close, mmap coherence" \
        '[ $rc -eq 0 ] && [[ "$o" == "version vgem "* && "$o" == *"prime import handle"* && "$o" == *"map published 2 pages for 2 written"* && "$o" == *"map dma-buf mapping sees the same bytes"* ]] && ! grep -q FAIL "$out/compat.txt"'
else
    echo "SKIP 32-bit program: no $KT32 (gcc-multilib)"
    skip=$((skip + 1))
fi
o="$(gcmd "$KT /dev/dri/vdri-$VCARD events")"; rc=$?
check "non-blocking read: EAGAIN; poll with no event times out" \
    '[ $rc -eq 0 ] && [[ "$o" == *"read: EAGAIN"* && "$o" == *"poll: timeout"* ]]'
check "the test program is statically linked (no ELF interpreter)" \
    'readelf -l "$KT" | grep -q "LOAD" && ! readelf -l "$KT" | grep -q "INTERP"'

# ---- 4. rmmod with an open file is refused ----
o="$(gcmd "sleep 30 < /dev/dri/vdri-$VCARD & p=\$!; sleep 1; rmmod vdri_front; echo rc=\$?; lsmod | grep -c ^vdri_front; kill \$p")"
check "rmmod while a node is open is refused, the module stays" '[[ "$o" == *"rc=1"* && "$o" == *$'"'"'\n1'"'"'* ]]'

# ---- 5. discovery: DRM names and the sysfs libdrm reads (drm_names=1) ----
o="$(gcmd "rmmod vdri_front && insmod $KO backend=tcp:10.0.2.2:$port nodes=$VCARD,$VRENDER drm_names=1 && ls -l /dev/dri/ && rmmod vdri_front")"
echo "$o" > "$out/ls-drm.txt"
check "drm_names=1 picks free DRM names from the top of libdrm's range: card15, renderD143, with DRM's minors" \
    'grep -qE "^crw.* [0-9]+, +15 .* card15\$" "$out/ls-drm.txt" && grep -qE "^crw.* [0-9]+, +143 .* renderD143\$" "$out/ls-drm.txt"'
# The guest's own vgem goes: then it has no DRM device at all, and the
# module gives it the driver VM's nodes under their own names.
MIRROR="$VCARD:$VCARD,$VRENDER:$VRENDER,$GCARD:$GCARD,$GRENDER:$GRENDER"
o="$(gcmd "rmmod vgem; ls /dev/dri/ 2>/dev/null | wc -w; insmod $KO backend=tcp:10.0.2.2:$port nodes=$MIRROR drm_names=1 && ls /dev/dri/")"
check "with the guest's vgem unloaded, drm_names=1 gives the guest the driver VM's names: $(echo $o | tr '\n' ' ')" \
    '[[ "$o" == 0* && "$o" == *"$VCARD"* && "$o" == *"$GRENDER"* ]]'
o="$(gcmd "drmdevice" 60)"
echo "$o" > "$out/drmdevice.txt"
check "drmdevice (libdrm, no LD_PRELOAD) lists the forwarded nodes on the platform bus" \
    'grep -q "/dev/dri/$VCARD" "$out/drmdevice.txt" && grep -q "/dev/dri/$GRENDER" "$out/drmdevice.txt" && grep -q "fullname.vdri-$VCARD" "$out/drmdevice.txt"'
gcmd "modetest -M virtio_gpu > /vmout/modetest.txt 2>&1; echo rc=\$?" 120 > "$out/modetest.rc"
check "modetest -M virtio_gpu (drmOpen by driver name) lists the driver VM's encoders, connectors, CRTCs, planes" \
    'grep -q "rc=0" "$out/modetest.rc" && grep -qE "^[0-9]+[[:space:]]+[0-9]+[[:space:]]+(connected|disconnected)[[:space:]]+Virtual-1" "$G/modetest.txt" && grep -q "^Encoders:" "$G/modetest.txt" && grep -q "^CRTCs:" "$G/modetest.txt" && grep -q "^Planes:" "$G/modetest.txt"'
gcmd "$BUILD/tests/vm/vdri-eglgbm > /vmout/eglgbm.txt 2>&1; echo rc=\$?" 180 > "$out/eglgbm.rc"
check "Mesa (EGL on GBM, GLES2) on the forwarded virtio_gpu render node: virgl renders the checked picture" \
    'grep -q "rc=0" "$out/eglgbm.rc" && grep -q "gl renderer is virgl: yes" "$G/eglgbm.txt" && grep -q "picture: ok" "$G/eglgbm.txt"'
# Mesa in a long frame loop (submissions, fences, mapped buffers in flight),
# started now so that its start-up overlaps the checks below: section 6
# kills the driver VM under it
gcmd "($BUILD/tests/vm/vdri-eglgbm 100000 > /vmout/egl-kill.txt 2>&1; echo \$? > /vmout/egl-kill.rc) > /dev/null 2>&1 &" > /dev/null
ts=$(date +%s)
gcmd "$BUILD/tests/vm/vdri-drmtest > /vmout/drmtest.txt 2>&1; echo rc=\$?" 300 > "$out/drmtest.rc"
grep -v '^~' "$out/back/native-drmtest.txt" > "$out/drmtest.native"
grep -v '^~' "$G/drmtest.txt" > "$out/drmtest.guest"
check "drmtest (DRM conformance: vgem, virtio_gpu, KMS, PRIME, syncobj, mmap...) through the module equals the native run, $(grep -c . "$out/drmtest.guest") lines ($(($(date +%s) - ts)) s)" \
    'grep -q "done failures=0" "$G/drmtest.txt" && diff "$out/drmtest.native" "$out/drmtest.guest" > "$out/drmtest.diff"'
# IGT (Debian ships its benchmarks, not its tests): vgem_mmap opens vgem the IGT way
gcmd "timeout 120 /usr/libexec/igt-gpu-tools/benchmarks/vgem_mmap > /vmout/igt-vgem_mmap.txt 2>&1; echo rc=\$?" 150 > "$out/igt.rc"
check "IGT's vgem_mmap benchmark runs on the forwarded vgem ($(tr '\n' ' ' < "$G/igt-vgem_mmap.txt" | cut -c1-60))" \
    'grep -q "rc=0" "$out/igt.rc"'
VCARD_LOCAL=$VCARD

# ---- 6. the driver VM dies under a guest program and a blocked reader ----
# (the guest writes under /vmout, which is $G here)
gcmd "($KT /dev/dri/$VCARD_LOCAL hang /vmout/progress > /vmout/hang.txt 2>&1; echo \$? > /vmout/hang.rc) > /dev/null 2>&1 &" > /dev/null
# (Mesa's frame loop, started before drmtest, is running by now)
for _ in $(seq 1 300); do grep -q "^picture:" "$G/egl-kill.txt" 2>/dev/null && break; sleep 0.2; done
if VM_PID=$GUEST_PID vm_wait_file "$G/progress" 60; then
    sleep 1
    tk=$(date +%s.%N)
    vm_kill "$BACK_PID"
    BACK_PID=""
    if VM_PID=$GUEST_PID vm_wait_file "$G/hang.rc" 30; then
        dt=$(awk -v a="$tk" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        check "driver VM killed: the ioctl loop gets EIO and exits ($(grep '^hang error' "$G/hang.txt") in ${dt} s)" \
            'grep -q "^hang error EIO after [0-9]*" "$G/hang.txt" && [ "$(cat "$G/hang.rc")" = 2 ]'
        check "... a mapping touched after the loss gets SIGBUS, no hang" \
            'grep -q "^hang mmap after loss: SIGBUS" "$G/hang.txt"'
        VM_PID=$GUEST_PID vm_wait_file "$G/egl-kill.rc" 30 > /dev/null
        check "... Mesa killed mid-frame-loop by the loss exits too (status $(cat "$G/egl-kill.rc" 2>/dev/null), $(grep -c . "$G/egl-kill.txt" 2>/dev/null) lines of output)" \
            '[ -s "$G/egl-kill.rc" ] && grep -q "^picture: ok" "$G/egl-kill.txt"'
        check "... and the reader blocked in read() gets EIO and exits" \
            'grep -q "^reader: read returned -1 (EIO)" "$G/hang.txt" && grep -q "^reader ended" "$G/hang.txt"'
    else
        bad "the guest program is still running 30 s after the driver VM was killed"
        gcmd "cat /proc/*/stack 2>/dev/null | head -50" 10 > "$out/stacks.txt"
    fi
else
    bad "the guest's ioctl loop started"
fi
ts=$(date +%s.%N)
o="$(gcmd "$KT /dev/dri/$VCARD_LOCAL version" 20)"
dt=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
check "a new open with no driver VM fails with ENODEV (in ${dt} s)" '[[ "$o" == *"open /dev/dri/$VCARD_LOCAL: ENODEV"* ]]'

# ---- 7. a driver VM again on the same port: the next open connects again ----
mkdir -p "$out/back2"
cp "$out/back/job.env" "$out/back2/"
touch "$out/back2/no-native"
vm_start "$ROOT/tests/vm/jobs/kmod-back-job.sh" "$out/back2" --port "$port" --gpu plain \
    --mem 1024 --smp 1 --timeout 300
BACK_PID=$VM_PID
if VM_PID=$BACK_PID vm_wait_file "$out/back2/ready" 180; then
    o="$(gcmd "$KT /dev/dri/$VCARD_LOCAL version; $KT /dev/dri/$VCARD_LOCAL gem" 60)"
    check "a driver VM up again on the same port: the next open connects again (a new session) and works" \
        '[[ "$o" == "version vgem "* && "$o" == *"gem close ok"* ]]'
else
    bad "a driver VM up again on the same port"
fi
o="$(gcmd "rmmod vdri_front && echo unloaded")"
check "rmmod after the files are closed" '[[ "$o" == *unloaded* ]]'
gcmd "dmesg" > "$out/dmesg.txt"
check "the guest kernel logged the lost connection, and a second session" \
    'grep -q "vdri_front: connection to tcp:10.0.2.2:$port .* lost" "$out/dmesg.txt" && [ "$(grep -c "vdri_front: connected to" "$out/dmesg.txt")" -ge 2 ]'
check "the guest kernel logged no WARNING, BUG, lockdep or hung-task line" \
    '! grep -E "WARNING:|BUG:|possible circular|possible recursive|INFO: task|Call Trace" "$out/dmesg.txt"'
touch "$G/done" "$out/back2/done"
VM_PID=$GUEST_PID vm_wait > /dev/null 2>&1 || true
GUEST_PID=""
vm_kill "$BACK_PID"
BACK_PID=""
echo "kmod test took $(($(date +%s) - t0)) s"
summary
