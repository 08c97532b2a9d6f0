#!/usr/bin/env bash
# The main job (make demo), as a user would do it: install what is missing,
# build vdri and the driver-VM appliance image (make appliance), boot the
# image from its disk on the embedded default GPU (QEMU/TCG with
# virtio-vga-gl: virgl rendered on this machine's CPU by Mesa's llvmpipe),
# and run on this machine, through libvdri-front.so and the forwarded
# /dev/dri nodes: libdrm's drmdevice, kmscube (GBM + EGL + KMS page flips on
# the forwarded card; frame count), our GLES2 program (pixels read back and
# checked), a short benchmark summary (forwarded DRM operation latencies and
# frame rates) and the appliance's own status report.  Then stop it.
set -eu
cd "$(dirname "$0")/.."
ROOT="$PWD"
if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then scripts/install-deps.sh; fi
echo "== building vdri" >&2
make -s -j"$(nproc)" all
B="$ROOT/build/release"
echo "== building the appliance image (Debian kernel and DRM drivers, busybox, vdri-backd)" >&2
make -s appliance
. tests/vm/lib.sh
out="$(mktemp -d /tmp/vdri-demo.XXXXXX)"
stop() {
    [ -s "$out/qemu.pid" ] && kill "$(cat "$out/qemu.pid")" 2>/dev/null
    rm -rf "$out"
}
trap stop EXIT
port="$(vm_free_port)"
sport="$(vm_free_port)"
t0=$(date +%s)
echo "== booting build/appliance/vdri-appliance.img from its disk (QEMU/TCG, virtio-vga-gl + virgl)" >&2
appliance/launch.sh qemu --port "$port" --status-port "$sport" --detach \
    --pid-file "$out/qemu.pid" --serial-log "$out/console.log" --timeout 300 | sed 's/^/   /'
echo "== the appliance's DRM nodes (its console):"
grep -E "^VDRI-DRM|^VDRI-READY" "$out/console.log" | sed 's/^/   /'
export LD_PRELOAD="$B/lib/libvdri-front.so" VDRI_ADDR="tcp:127.0.0.1:$port" VDRI_PATHS='/dev/dri/*'
echo "== drmdevice on this machine, through the forwarded nodes:"
drmdevice 2>&1 | sed -n '/Devices reported/,/Opening device node/p' | grep -vE "Opening|Retrieving" |
	sed 's/^/   /'
card="$(grep -E '^VDRI-DRM card[0-9]+ virtio_gpu' "$out/console.log" | awk '{print "/dev/dri/" $2; exit}')"
echo "== kmscube on the forwarded ${card:-card} (GBM, EGL, KMS page flips), 120 frames:"
fifo="$out/kmscube.in"
mkfifo "$fifo"
kmscube -D "${card:-/dev/dri/card0}" -c 120 0<>"$fifo" 2>&1 | grep -E "renderer|Rendered" | sed 's/^ */   /'
echo "== GLES2 through the forwarded render node, pixels read back and checked, 300 frames:"
"$B/tests/vm/vdri-eglgbm" 300 | sed 's/^~//; s/^/   /'
echo "== benchmark summary (forwarded from this machine; medians and p99 in microseconds):"
"$B/bench/drm_ops" 2>&1 | sed 's/^/   /'
unset LD_PRELOAD
echo "== the appliance's status report (vdri status):"
"$B/bin/vdri" status -s "tcp:127.0.0.1:$sport" | sed 's/^/   /'
kill "$(cat "$out/qemu.pid")"
echo "== appliance stopped; done in $(($(date +%s) - t0)) s"
