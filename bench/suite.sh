#!/usr/bin/env bash
# The benchmark suite (make bench, vdri bench): native vs forwarded in one
# run, with CSV, Markdown tables and plots under a results folder.
#
#   bench/suite.sh [--quick] [--parts LIST] [--out DIR] [--build DIR] [--no-readme]
#
#   --parts LIST  comma or space separated, any of:
#                   host    null ioctl per transport on host device files
#                           (bench/run.sh: unix, tcp, shm, 1 and 4 clients)
#                   micro   DRM operations in the driver VM (drm_ops)
#                   3d      kmscube, our GLES2 program, glmark2-es2-drm scenes
#                   game    OpenArena timedemo (a cut of demo088-test1, 320x240)
#                   opencl  clinfo, and clpeak + matrix multiply when an
#                           OpenCL device is backed by the forwarded node
#                   scale   1, 4, 16, 64 processes of several guests at once
#                 default: all of them
#   --quick       short runs (a smoke test of the suite; numbers are noisy)
#   --out DIR     results folder (default bench/results)
#   --build DIR   build directory (default build/release)
#   --no-readme   do not rewrite the README's results section
#
# Everything that needs the GPU runs in one boot of the driver VM (QEMU/TCG,
# virtio-vga-gl with virgl, vgem): natively in the VM, and through
# libvdri-front.so to vdri-backd in the same VM over the unix socket and the
# shared-memory ring (so both sides share one emulated CPU and one device).
# Every table is headed by its environment; numbers of different
# environments never share a ratio.  Environment variables: ITER, FRAMES,
# GLMARK_SECONDS, DEMO_MESSAGES (600 of the demo's 3389), SCALE ("1 4 16 64"), SCALE_SECONDS, GUESTS (4),
# TRANSPORTS ("unix shm"), BENCH_TIMEOUT (VM seconds).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
B="$ROOT/build/release"
OUT="$ROOT/bench/results"
PARTS="host micro 3d game opencl scale"
QUICK=0 README=1
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1; shift ;;
    --parts) [ $# -ge 2 ] || usage; PARTS="${2//,/ }"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; OUT="$2"; shift 2 ;;
    --build) [ $# -ge 2 ] || usage; B="$2"; shift 2 ;;
    --no-readme) README=0; shift ;;
    -h|--help) usage ;;
    *) echo "bench/suite.sh: unknown option '$1'" >&2; usage ;;
    esac
done
for p in $PARTS; do
    case "$p" in host|micro|3d|game|opencl|scale) ;;
    *) echo "bench/suite.sh: unknown part '$p' (host micro 3d game opencl scale)" >&2; exit 2 ;;
    esac
done
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
B="$(cd "$B" && pwd)"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
if [ "$QUICK" = 1 ]; then
    : "${ITER:=50}" "${FRAMES:=30}" "${GLMARK_SECONDS:=1}" "${SCALE:=1 4}" "${SCALE_SECONDS:=1}"
    : "${DEMO_MESSAGES:=100}"
else
    : "${ITER:=300}" "${FRAMES:=300}" "${GLMARK_SECONDS:=5}" "${SCALE:=1 4 16 64}" "${SCALE_SECONDS:=5}"
    : "${DEMO_MESSAGES:=600}"
fi
: "${GUESTS:=4}" "${TRANSPORTS:=unix shm}" "${BENCH_TIMEOUT:=5400}"
step=0
steps=0
for p in $PARTS; do steps=$((steps + 1)); done
progress() { echo "[$(date +%H:%M:%S)] $*" >&2; }
tmp="$(mktemp -d /tmp/vdri-bench-suite.XXXXXX)"
. "$ROOT/tests/vm/lib.sh"
trap 'vm_kill; rm -rf "$tmp"' EXIT

# ---- host part: the null ioctl on host device files -------------------------
if has host; then
    step=$((step + 1))
    progress "($step/$steps) host: null ioctl native vs unix, tcp, shm (bench/run.sh)"
    ITER="${ITER_HOST:-$([ "$QUICK" = 1 ] && echo 2000 || echo 20000)}" \
        VDRI_RESULTS="$OUT" VDRI_NO_README="$([ "$README" = 1 ] && echo 0 || echo 1)" \
        "$ROOT/bench/run.sh" "$B" > "$tmp/host.log" 2>&1 ||
        { cat "$tmp/host.log" >&2; echo "bench/suite.sh: the host part failed" >&2; exit 1; }
fi

vm_parts=""
for p in micro 3d game opencl scale; do has "$p" && vm_parts="$vm_parts $p"; done
[ -n "$vm_parts" ] || exit 0
vm_available || { echo "bench/suite.sh: qemu-system-x86_64 is missing (scripts/install-deps.sh)" >&2; exit 1; }

# ---- the driver VM: every DRM part in one boot -------------------------------
vmout="$tmp/vm"
mkdir -p "$vmout"
{
    echo "BUILD=$B"
    echo "ROOT=$ROOT"
    echo "PARTS='$vm_parts'"
    echo "ITER=$ITER"
    echo "FRAMES=$FRAMES"
    echo "GLMARK_SECONDS=$GLMARK_SECONDS"
    echo "SCALE='$SCALE'"
    echo "SCALE_SECONDS=$SCALE_SECONDS"
    echo "GUESTS=$GUESTS"
    echo "TRANSPORTS='$TRANSPORTS'"
    echo "DEMO_MESSAGES=$DEMO_MESSAGES"
} > "$vmout/job.env"
progress "booting the driver VM (QEMU/TCG, virtio-vga-gl + virgl, vgem) for:$vm_parts"
vm_start "$ROOT/bench/jobs/suite-job.sh" "$vmout" --timeout "$BENCH_TIMEOUT" --gpu-mode 640x480
seen=0
while kill -0 "$VM_PID" 2>/dev/null; do
    if [ -f "$VM_LOG" ]; then
        n="$(grep -ac '^bench: ' "$VM_LOG" || true)"
        if [ "$n" -gt "$seen" ]; then
            grep -a '^bench: ' "$VM_LOG" | sed -n "$((seen + 1)),${n}p" | tr -d '\r' |
                while read -r _ line; do progress "$line"; done
            seen=$n
        fi
    fi
    sleep 1
done
rc=0
vm_wait || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "bench/suite.sh: the benchmark VM failed ($rc); console:" >&2
    tail -30 "$VM_LOG" >&2
    exit 1
fi
progress "the VM is done; writing tables and plots to $OUT"
. "$ROOT/bench/report.sh"
report_all "$vmout" "$OUT"
if [ "$README" = 1 ]; then
    report_readme "$OUT" "$ROOT/README.md"
fi
progress "results: $OUT/SUITE.md (CSV, Markdown, SVG/PNG plots beside it)"
