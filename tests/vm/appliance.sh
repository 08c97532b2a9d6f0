#!/bin/bash
# The bootable appliance (`make appliance`, appliance/image.sh, appliance-init,
# launch.sh), from the host:
#   image    the outputs exist (built or refreshed first, without the builder's
#            own boot), the disk's partitions and files, the initramfs's contents
#   raw      the raw image boots from the disk alone (launch.sh, virgl) to
#            VDRI-READY with its partition 2 configuration; launch.sh prints
#            what a guest sets; drmdevice and modetest -c forwarded through
#            libvdri-front.so see the virtio GPU and its connector; vdri
#            status answers on the forwarded status port; launch.sh stops QEMU
#            and Xvfb when killed
#   qcow2    the qcow2 image boots to VDRI-READY
#   restart  -kernel/-initrd boot with vdri.config= (base64) and vdri.shell=1:
#            kill -9 of vdri-backd typed on the serial console (a unix socket)
#            -> VDRI-BACKD-EXIT, a new VDRI-READY, a new forwarded session
#            works; "poweroff" on the console stops the daemon and QEMU
#   bad      a config drive (FAT VDRICFG disk) with a bad vdri-backd.conf wins
#            over partition 2: VDRI-CONFIG-BAD FILE:LINE: reason, guests get
#            EACCES at HELLO, no device; vdri status starts with "refusing
#            every guest:"; the ACPI power button (system_powerdown) powers off
#   uefi     the raw image boots with OVMF (SKIP without the ovmf package)
#   vfio     --gpu vfio=BDF refuses with vdri-gpus --check's message
#
#   tests/vm/appliance.sh [BUILD_DIR]      (default build/release)
# Ends with "N passed, N failed, N skipped".  VDRI_KEEP_LOGS=1 keeps the logs.
# shellcheck disable=SC2016,SC2034  # check() evals its single-quoted conditions
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"
APPL="${VDRI_APPLIANCE_DIR:-$ROOT/build/appliance}"
LAUNCH="$ROOT/appliance/launch.sh"
pass=0 fail=0 skip=0
ok() { echo "PASS appliance: $1"; pass=$((pass + 1)); }
bad() { echo "FAIL appliance: $1"; fail=$((fail + 1)); }
skipped() { echo "SKIP appliance: $1"; skip=$((skip + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
summary() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; }

if ! vm_available; then
    skipped "qemu-system-x86_64 not installed"
    summary
    exit 0
fi
for t in mcopy sfdisk python3; do
    command -v "$t" >/dev/null 2>&1 || { skipped "$t not installed (scripts/deps.txt)"; summary; exit 0; }
done
out="$(mktemp -d /tmp/vdri-appliance-test.XXXXXX)"
LPIDS=""
cleanup() {
    local p
    for p in $LPIDS; do vm_kill "$p"; done
    if [ "$fail" -ne 0 ] || [ -n "${VDRI_KEEP_LOGS:-}" ]; then
        echo "appliance: logs kept in $out"
    else
        rm -rf "$out"
    fi
}
trap cleanup EXIT
PRELOAD="${VDRI_ASAN_PRELOAD:+$VDRI_ASAN_PRELOAD:}$BUILD/lib/libvdri-front.so"
forwarded() { # PORT COMMAND...: a guest program through the frontend
    local port="$1"; shift
    LD_PRELOAD="$PRELOAD" VDRI_ADDR="tcp:127.0.0.1:$port" VDRI_PATHS='/dev/dri/*' "$@"
}
# console LOG: the serial log without carriage returns
console() { tr -d '\r' < "$1"; }
count() { console "$1" | grep -a -c -- "$2"; }
wait_for() { # LOG PATTERN N TIMEOUT [PID]: the Nth line matching PATTERN
    local end=$(( $(date +%s) + $4 ))
    while [ "$(count "$1" "$2")" -lt "$3" ]; do
        [ -z "${5:-}" ] || kill -0 "$5" 2>/dev/null || return 2
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
# launch NAME OPTIONS...: launch.sh qemu in the background; sets LPID, LOUT
# (its output) and LLOG (the console log); waits for its "Stop:" line.
launch() {
    local name="$1"; shift
    LOUT="$out/$name.out" LLOG="$out/$name.console.log"
    "$LAUNCH" qemu --serial-log "$LLOG" --timeout 120 "$@" </dev/null >"$LOUT" 2>&1 &
    LPID=$!
    LPIDS="$LPIDS $LPID"
    local end=$(( $(date +%s) + 130 ))
    while ! grep -q '^Stop:' "$LOUT" 2>/dev/null; do
        kill -0 "$LPID" 2>/dev/null || return 1
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.2
    done
}
ready_time() { sed -n 's/^vdri appliance ready after \([0-9.]*\) s.*/\1/p' "$1"; }
qemu_pid() { sed -n 's/.*QEMU pid \([0-9]*\).*/\1/p' "$1" | head -n 1; }
stop() { # the launch.sh pid
    vm_kill "$1"
    LPIDS="${LPIDS// $1/}"
}

# ---- image ------------------------------------------------------------------------------
echo "== appliance: image"
t0=$(date +%s)
if "$ROOT/appliance/image.sh" --no-boot-test >"$out/image.log" 2>&1; then
    ok "appliance/image.sh (make appliance without its boot) in $(( $(date +%s) - t0 )) s"
else
    bad "appliance/image.sh failed (log $out/image.log)"
    tail -n 20 "$out/image.log"
    summary
    exit 1
fi
grep -E '^appliance: (sizes|up to date)' "$out/image.log" | sed 's/^/  /'
IMG="$APPL/vdri-appliance.img"
check "outputs: vdri-appliance.img, .qcow2, -vmlinuz, -initrd.gz" \
    '[ -s "$IMG" ] && [ -s "$APPL/vdri-appliance.qcow2" ] && [ -s "$APPL/vdri-appliance-vmlinuz" ] && [ -s "$APPL/vdri-appliance-initrd.gz" ]'
sfdisk -d "$IMG" > "$out/sfdisk.txt" 2>/dev/null
check "MBR: partition 1 active FAT, partition 2 FAT" \
    'grep -Eq "img1 : start= *2048,.*type=e, bootable" "$out/sfdisk.txt" && grep -Eq "img2 : .*type=e$" "$out/sfdisk.txt"'
p2="$(sed -n 's/^partition2 start \([0-9]*\) .*/\1/p' "$APPL/vdri-appliance.txt")"
check "MBR boot code is SYSLINUX's mbr.bin" \
    'cmp -s -n 440 "$IMG" /usr/lib/syslinux/mbr/mbr.bin'
mdir -/ -b -a -i "$IMG@@1048576" :: > "$out/p1.txt" 2>&1
check "partition 1: vmlinuz, initrd.gz, syslinux.cfg, ldlinux.sys, EFI/BOOT/BOOTX64.EFI" \
    'for f in vmlinuz initrd.gz syslinux.cfg ldlinux.sys EFI/BOOT/BOOTX64.EFI EFI/BOOT/ldlinux.e64; do grep -q "::/$f\$" "$out/p1.txt" || exit 1; done'
check "partition 2: label VDRICFG, vdri-backd.conf and README.txt (with its mcopy offset)" \
    'mlabel -s -i "$IMG@@$((p2 * 512))" :: | grep -q VDRICFG &&
     mtype -i "$IMG@@$((p2 * 512))" ::vdri-backd.conf | grep -q "^listen tcp:0.0.0.0:7070" &&
     mtype -i "$IMG@@$((p2 * 512))" ::README.txt | grep -q "vdri-appliance.img@@$((p2 * 512))"'
zcat "$APPL/vdri-appliance-initrd.gz" | cpio -t --quiet > "$out/initrd.txt" 2>/dev/null
check "initramfs: init, busybox, vdri-backd, vdri, libc, virtio_gpu/vgem/i915/amdgpu modules" \
    'for f in init bin/busybox usr/bin/vdri-backd usr/bin/vdri lib64/ld-linux-x86-64.so.2 virtio-gpu.ko vgem.ko i915.ko amdgpu.ko virtio_net.ko vmw_vsock_virtio_transport.ko xen-netfront.ko modules.alias; do grep -q "$f\$" "$out/initrd.txt" || exit 1; done'
check "initramfs: user vdri in groups video and render" \
    'zcat "$APPL/vdri-appliance-initrd.gz" | (cd "$out" && cpio -id --quiet etc/group etc/passwd) &&
     grep -q "^vdri:" "$out/etc/passwd" && grep -q "^video:.*vdri" "$out/etc/group" && grep -q "^render:.*vdri" "$out/etc/group"'
"$LAUNCH" qemu --print --image raw > "$out/print.txt" 2>&1
check "launch.sh --print: a disk boot without -kernel" \
    'grep -q "vdri-appliance.img,format=raw" "$out/print.txt" && ! grep -q -- "-kernel" "$out/print.txt"'

# ---- raw ----------------------------------------------------------------------------------
echo "== appliance: raw image, virgl"
port=$(vm_free_port) sport=$(vm_free_port)
if launch raw --image raw --port "$port" --status-port "$sport"; then
    ok "raw image boots from the disk alone to VDRI-READY ($(ready_time "$LOUT") s)"
    check "launch.sh prints the guest's VDRI_ADDR, VDRI_PATHS and LD_PRELOAD" \
        'grep -qF "export VDRI_ADDR=tcp:127.0.0.1:$port VDRI_PATHS='"'"'/dev/dri/*'"'"' LD_PRELOAD=$BUILD/lib/libvdri-front.so" "$LOUT"'
    check "launch.sh prints the vdri status command" 'grep -qF "vdri status -s tcp:127.0.0.1:$sport" "$LOUT"'
    check "configuration from the image's partition 2" 'console "$LLOG" | grep -aq "VDRI-CONFIG source=image:/dev/vda2 guests=0"'
    check "VDRI-READY names the listeners" 'console "$LLOG" | grep -aq "VDRI-READY listen=tcp:0.0.0.0:7070,vsock:any:7070 status=tcp:0.0.0.0:7071"'
    forwarded "$port" drmdevice > "$out/raw-drmdevice.txt" 2>&1
    check "forwarded drmdevice: the virtio GPU (1af4:1050) and vgem" \
        'grep -q "Devices reported 2" "$out/raw-drmdevice.txt" && grep -q "device_id     1050" "$out/raw-drmdevice.txt"'
    forwarded "$port" modetest -M virtio_gpu -c > "$out/raw-modetest.txt" 2>&1
    check "forwarded modetest -c: the virtio GPU's connector" 'grep -Eq "connected[[:space:]]+Virtual-1" "$out/raw-modetest.txt"'
    "$BUILD/bin/vdri" status -s "tcp:127.0.0.1:$sport" > "$out/raw-status.txt" 2>&1
    check "vdri status on the forwarded status port" \
        'grep -q "^vdri-backd pid" "$out/raw-status.txt" && grep -q "^guest default" "$out/raw-status.txt"'
    qpid="$(qemu_pid "$LOUT")"
    xpids="$(pgrep -P "$LPID" -x Xvfb | tr '\n' ' ')"
    stop "$LPID"
    sleep 0.5
    check "launch.sh killed: QEMU and Xvfb are gone" \
        '[ -n "$qpid" ] && ! kill -0 "$qpid" 2>/dev/null && for x in $xpids; do ! kill -0 "$x" 2>/dev/null || exit 1; done'
else
    bad "raw image did not boot to VDRI-READY (launch log $LOUT, console $LLOG)"
    tail -n 15 "$LOUT"
    stop "$LPID"
fi

# ---- qcow2 ----------------------------------------------------------------------------------
echo "== appliance: qcow2 image"
if "$LAUNCH" qemu --image qcow2 --gpu plain --boot-check --port auto --status-port auto \
    --serial-log "$out/qcow2.console.log" --timeout 120 > "$out/qcow2.out" 2>&1; then
    ok "qcow2 image boots to VDRI-READY ($(sed -n 's/.*VDRI-READY after \([0-9.]*\) s.*/\1/p' "$out/qcow2.out") s)"
else
    bad "qcow2 image did not boot (log $out/qcow2.out)"
fi

# ---- restart -----------------------------------------------------------------------------------
echo "== appliance: kernel boot, vdri.config=, the supervisor"
cat > "$out/cmdline.conf" <<'EOF'
listen tcp:0.0.0.0:7070
export /dev/dri/card*
export /dev/dri/renderD*
status tcp:0.0.0.0:7071
threads 2
EOF
b64="$(base64 -w0 "$out/cmdline.conf")"
port=$(vm_free_port) sport=$(vm_free_port)
sock="$out/serial.sock"
if launch restart --image kernel --gpu plain --port "$port" --status-port "$sport" \
    --serial-sock "$sock" --append "vdri.shell=1 vdri.config=$b64"; then
    ok "kernel + initramfs boot (-kernel) to VDRI-READY ($(ready_time "$LOUT") s)"
    check "configuration from vdri.config= (base64 on the kernel command line)" \
        'console "$LLOG" | grep -aq "VDRI-CONFIG source=cmdline:vdri.config guests=0"'
    check "its ready file is the default one (no ready-file line in it)" \
        'console "$LLOG" | grep -aq "VDRI-READY listen=tcp:0.0.0.0:7070 status=tcp:0.0.0.0:7071"'
    # Type on the serial console (vdri.shell=1) through its unix socket.
    type_line() {
        python3 - "$sock" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(0.3)
s.sendall(sys.argv[2].encode() + b"\n")
time.sleep(0.5)
s.close()
PY
    }
    type_line 'kill -9 $(pidof vdri-backd)'
    wait_for "$LLOG" 'VDRI-READY' 2 30 "$LPID"
    check "kill -9 on the console: VDRI-BACKD-EXIT status 137, restarting" \
        'console "$LLOG" | grep -aq "VDRI-BACKD-EXIT status 137, restarting"'
    check "the supervisor restarted it: a second VDRI-BACKD-START and VDRI-READY" \
        '[ "$(count "$LLOG" "VDRI-BACKD-START pid")" -ge 2 ] && [ "$(count "$LLOG" "VDRI-READY")" -ge 2 ]'
    forwarded "$port" drmdevice > "$out/restart-drmdevice.txt" 2>&1
    check "a new forwarded session after the restart (drmdevice)" 'grep -q "Devices reported 2" "$out/restart-drmdevice.txt"'
    check "vdri status after the restart" '"$BUILD/bin/vdri" status -s "tcp:127.0.0.1:$sport" | grep -q "^vdri-backd pid"'
    type_line 'poweroff'
    end=$(( $(date +%s) + 20 ))
    while kill -0 "$LPID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    check "poweroff on the console: VDRI-SHUTDOWN, the daemon stops, QEMU ends" \
        'console "$LLOG" | grep -aq "VDRI-SHUTDOWN poweroff" && console "$LLOG" | grep -aq "stopping on signal 15" && ! kill -0 "$LPID" 2>/dev/null'
    stop "$LPID"
else
    bad "kernel boot did not reach VDRI-READY (launch log $LOUT, console $LLOG)"
    tail -n 15 "$LOUT"
    stop "$LPID"
fi

# ---- bad ----------------------------------------------------------------------------------------
echo "== appliance: a bad configuration on a config drive"
rm -f "$out/cfg.img"
mkfs.vfat -C -n VDRICFG "$out/cfg.img" 1440 >/dev/null
printf 'listen tcp:0.0.0.0:7070\nexport /dev/dri/*\nno-such-directive 1\n' > "$out/vdri-backd.conf"
mcopy -i "$out/cfg.img" "$out/vdri-backd.conf" ::vdri-backd.conf
port=$(vm_free_port) sport=$(vm_free_port)
mon="$out/monitor.sock"
if launch bad --image raw --gpu plain --port "$port" --status-port "$sport" \
    --config-drive "$out/cfg.img" --monitor "$mon"; then
    ok "raw image with a config drive boots to VDRI-READY ($(ready_time "$LOUT") s)"
    check "the config drive wins over partition 2" 'console "$LLOG" | grep -aq "VDRI-CONFIG source=config-drive:/dev/vdb"'
    check "console: VDRI-CONFIG-BAD /etc/vdri/vdri-backd.conf:3: unknown directive" \
        'console "$LLOG" | grep -aq "^VDRI-CONFIG-BAD /etc/vdri/vdri-backd.conf:3: unknown directive .no-such-directive."'
    check "launch.sh repeats the VDRI-CONFIG-BAD line" 'grep -q "VDRI-CONFIG-BAD /etc/vdri/vdri-backd.conf:3" "$LOUT"'
    forwarded "$port" env VDRI_LOG=1 python3 -c '
import errno, os, sys
try:
    os.open("/dev/dri/card0", os.O_RDWR)
except OSError as e:
    print("open failed:", errno.errorcode.get(e.errno, e.errno))
    sys.exit(0)
print("opened")' > "$out/bad-open.txt" 2>&1
    check "a forwarded open fails: HELLO answered with EACCES" \
        'grep -q "open failed: EACCES" "$out/bad-open.txt" && grep -q "HELLO to .* failed: Permission denied" "$out/bad-open.txt"'
    forwarded "$port" drmdevice > "$out/bad-drmdevice.txt" 2>&1
    check "forwarded drmdevice finds no device" '! grep -q "Devices reported [1-9]" "$out/bad-drmdevice.txt"'
    "$BUILD/bin/vdri" status -s "tcp:127.0.0.1:$sport" > "$out/bad-status.txt" 2>&1
    check "vdri status starts with 'refusing every guest: <the error>'" \
        'head -n 1 "$out/bad-status.txt" | grep -q "^refusing every guest: /etc/vdri/vdri-backd.conf:3: unknown directive"'
    python3 - "$mon" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(0.3)
s.sendall(b"system_powerdown\n")
time.sleep(0.5)
s.close()
PY
    end=$(( $(date +%s) + 20 ))
    while kill -0 "$LPID" 2>/dev/null && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    check "ACPI power button (system_powerdown): a clean poweroff" \
        'console "$LLOG" | grep -aq "VDRI-SHUTDOWN poweroff" && ! kill -0 "$LPID" 2>/dev/null'
    stop "$LPID"
else
    bad "raw image with a config drive did not reach VDRI-READY (launch log $LOUT, console $LLOG)"
    tail -n 15 "$LOUT"
    stop "$LPID"
fi

# ---- uefi -----------------------------------------------------------------------------------------
echo "== appliance: UEFI"
if [ ! -f /usr/share/OVMF/OVMF_CODE.fd ]; then
    skipped "UEFI boot: no /usr/share/OVMF/OVMF_CODE.fd (apt-get install ovmf)"
elif "$LAUNCH" qemu --uefi --image raw --gpu plain --boot-check --port auto --status-port auto \
    --serial-log "$out/uefi.console.log" --timeout 150 > "$out/uefi.out" 2>&1; then
    ok "raw image boots with UEFI (OVMF, EFI/BOOT/BOOTX64.EFI) to VDRI-READY ($(sed -n 's/.*VDRI-READY after \([0-9.]*\) s.*/\1/p' "$out/uefi.out") s)"
else
    bad "UEFI boot (log $out/uefi.out)"
fi

# ---- vfio -------------------------------------------------------------------------------------------
echo "== appliance: --gpu vfio="
mkdir -p "$out/fake/bin" "$out/fake/lib"
printf '#!/bin/sh\necho "%s: no IOMMU group (test stub)"\nexit 3\n' '$2' > "$out/fake/bin/vdri-gpus"
chmod 755 "$out/fake/bin/vdri-gpus"
rc=0
VDRI_BUILD="$out/fake" "$LAUNCH" qemu --gpu vfio=0000:09:00.0 > "$out/vfio.out" 2>&1 || rc=$?
check "vfio: refused with vdri-gpus --check's message (status 1, no QEMU)" \
    '[ "$rc" = 1 ] && grep -q "cannot pass 0000:09:00.0 through: 0000:09:00.0: no IOMMU group (test stub)" "$out/vfio.out"'
"$LAUNCH" qemu --print --gpu vfio=0000:09:00.0 > "$out/vfio-print.txt" 2>&1
check "vfio: -device vfio-pci,host=BDF, no virgl" \
    'grep -q -- "-device vfio-pci,host=0000:09:00.0" "$out/vfio-print.txt" && ! grep -q virtio-vga-gl "$out/vfio-print.txt"'

summary
