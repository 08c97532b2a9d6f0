#!/usr/bin/env bash
# The forwarding core on real host device files, no VM (make demo-host):
# build, start vdri-backd exporting /dev/ptmx, /dev/loop-control and
# /dev/net/tun, and run unmodified programs through the LD_PRELOAD frontend
# next to native runs.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" -eq 0 ] || command -v sudo >/dev/null; then scripts/install-deps.sh; fi
make -s -j"$(nproc)" all
B=build/release
tmp=$(mktemp -d /tmp/vdri-demo-XXXXXX)
trap 'kill $(cat "$tmp/pid") 2>/dev/null || true; rm -rf "$tmp"' EXIT
"$B/bin/vdri-backd" -l "unix:$tmp/sock" -e /dev/ptmx -e /dev/loop-control -e /dev/net/tun \
	--ready-file "$tmp/ready" 2>"$tmp/backd.log" &
echo $! >"$tmp/pid"
for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
export VDRI_ADDR="unix:$tmp/sock"
pre="$PWD/$B/lib/libvdri-front.so"
echo "== vdri-backd listening on $VDRI_ADDR"
echo "== losetup -f, native:    $(losetup -f 2>&1)"
echo "== losetup -f, forwarded: $(LD_PRELOAD=$pre VDRI_PATHS=/dev/loop-control losetup -f 2>&1)"
echo "== null ioctl (TIOCGPTN) latency: median p99 mean (us), ops/s"
echo "   native:    $($B/bench/null_ioctl -n 5000)"
echo "   forwarded: $(LD_PRELOAD=$pre VDRI_PATHS=/dev/ptmx $B/bench/null_ioctl -n 5000)"
echo "== backend log:"
sed 's/^/   /' "$tmp/backd.log"
