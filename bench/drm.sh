#!/usr/bin/env bash
# DRM benchmarks in the driver VM (make bench-drm): bench/drm_ops and a
# Mesa frame loop, native vs forwarded, in one boot.  Writes
# bench/results/drm_ops.{csv,md} and refreshes the README's DRM table.
#   bench/drm.sh [BUILD_DIR]
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
tmp="$(mktemp -d /tmp/vdri-bench-drm.XXXXXX)"
trap 'vm_kill; rm -rf "$tmp"' EXIT
printf 'BUILD=%s\nITER=%s\nFRAMES=%s\n' "$B" "${ITER:-300}" "${FRAMES:-120}" > "$tmp/job.env"
echo "booting the driver VM (QEMU/TCG, virtio-vga-gl + vgem)..." >&2
vm_start "$ROOT/bench/jobs/drm-bench-job.sh" "$tmp" --timeout 900
rc=0
vm_wait || rc=$?
[ "$rc" -eq 0 ] || { echo "the benchmark VM failed ($rc); console:" >&2; tail -30 "$tmp/console.log" >&2; exit 1; }
env_line="$(date -u +%Y-%m-%d), driver VM: QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') TCG, 2 vCPUs ("$(cat "$tmp/cpu.txt")") on a $(nproc)-core $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') host, kernel $(cat "$tmp/kernel.txt"), virtio-vga-gl (virgl on llvmpipe) + vgem; forwarded = libvdri-front.so -> vdri-backd over a unix socket in the same VM"
{
    echo "op,native_median_us,native_p99_us,forwarded_median_us,forwarded_p99_us,ratio"
    while read -r op nm np n; do
        read -r _ fm fp _ < <(grep "^$op " "$tmp/forwarded.txt")
        ratio=$(awk -v a="$nm" -v b="$fm" 'BEGIN { if (a > 0) printf "%.1f", b / a; else print "-" }')
        echo "$op,$nm,$np,$fm,$fp,$ratio"
    done < "$tmp/native.txt"
} > "$OUT/drm_ops.csv"
read -r floor_med floor_p99 _ < "$tmp/floor.txt" || true
fps() { sed -n 's/^~frames.*: \([0-9.]*\) fps, \([0-9.]*\) ms\/frame/\1 \2/p' "$1"; }
read -r nf nms < <(fps "$tmp/egl-native.txt")
read -r ff fms < <(fps "$tmp/egl-forwarded.txt")
{
    echo "Environment: $env_line"
    echo
    echo "| operation | native median (p99) µs | forwarded median (p99) µs | forwarded / native |"
    echo "| --- | --- | --- | --- |"
    tail -n +2 "$OUT/drm_ops.csv" | while IFS=, read -r op nm np fm fp ratio; do
        if [ "$nm" = error ]; then
            echo "| $op | not supported by the driver | not supported | - |"
        else
            echo "| $op | $nm ($np) | $fm ($fp) | ${ratio}x |"
        fi
    done
    echo "| (floor: unix socket ping-pong between two processes, no vdri) | - | ${floor_med:-?} (${floor_p99:-?}) | - |"
    echo "| Mesa GLES2 frame loop (64x64, virgl) | ${nms:-?} ms/frame (${nf:-?} fps) | ${fms:-?} ms/frame (${ff:-?} fps) | $(awk -v a="${nms:-0}" -v b="${fms:-0}" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }')x |"
} > "$OUT/drm_ops.md"
cat "$OUT/drm_ops.md"
readme="$ROOT/README.md"
if grep -q '<!-- bench:drm:begin -->' "$readme"; then
    awk -v f="$OUT/drm_ops.md" '
        /<!-- bench:drm:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
        /<!-- bench:drm:end -->/ { skip = 0 }
        !skip' "$readme" > "$tmp/readme" && cat "$tmp/readme" > "$readme"
fi
