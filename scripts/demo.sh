#!/usr/bin/env bash
# The main job (make demo): build vdri and the driver VM, boot the driver VM
# on the embedded default (QEMU/TCG with virtio-vga-gl: virgl rendered on
# this machine's CPU by Mesa's llvmpipe, plus vgem), and run 3D programs on
# the host through the forwarded /dev/dri nodes: libdrm's drmdevice, kmscube
# (GBM + EGL + KMS page flips on the forwarded card) and our own GLES2
# program whose pixels are read back and checked.  Then shut down.
set -eu
cd "$(dirname "$0")/.."
ROOT="$PWD"
if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then scripts/install-deps.sh; fi
echo "== building vdri" >&2
make -s -j"$(nproc)" all
B="$ROOT/build/release"
. tests/vm/lib.sh
echo "== building the driver VM (Debian kernel + busybox initramfs)" >&2
appliance/vm.sh build
out="$(mktemp -d /tmp/vdri-demo.XXXXXX)"
trap 'touch "$out/done"; vm_kill; rm -rf "$out"' EXIT
printf 'BUILD=%s\nROOT=%s\nSERVE_ONLY=1\nSERVE_TENTHS=6000\n' "$B" "$ROOT" > "$out/job.env"
port="$(vm_free_port)"
t0=$(date +%s)
echo "== booting the driver VM; vdri-backd will listen on tcp:127.0.0.1:$port" >&2
vm_start tests/vm/jobs/drm-job.sh "$out" --port "$port" --timeout 900
vm_wait_file "$out/ready" 300 || { tail -20 "$VM_LOG"; exit 1; }
echo "== driver VM up in $(($(date +%s) - t0)) s; its DRM nodes:"
sed 's/^VDRI-DRM /   /' "$out/nodes.txt"
card="/dev/dri/$(awk '$3 == "virtio_gpu" && $2 ~ /^card/ {print $2; exit}' "$out/nodes.txt")"
export LD_PRELOAD="$B/lib/libvdri-front.so" VDRI_ADDR="tcp:127.0.0.1:$port" VDRI_PATHS='/dev/dri/*'
echo "== drmdevice on the host, through the forwarded nodes:"
drmdevice 2>&1 | sed -n '/Devices reported/,/Opening device node/p' | grep -vE "Opening|Retrieving" |
	sed 's/^/   /'
echo "== kmscube on the forwarded $card (GBM, EGL, KMS page flips), 120 frames:"
fifo="$out/kmscube.in"
mkfifo "$fifo"
kmscube -D "$card" -c 120 0<>"$fifo" 2>&1 | grep -E "renderer|Rendered" | sed 's/^ */   /'
echo "== GLES2 through the forwarded render node, pixels read back and checked, 300 frames:"
"$B/tests/vm/vdri-eglgbm" 300 | sed 's/^~//; s/^/   /'
unset LD_PRELOAD
touch "$out/done"
rc=0
vm_wait || rc=$?
echo "== driver VM shut down (status $rc); backend log:"
grep -E "info:" "$out/backd.log" | sed 's/^/   /' | tail -8
echo "== done in $(($(date +%s) - t0)) s"
