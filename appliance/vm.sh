#!/bin/bash
# Runs the vdri driver VM (QEMU/TCG) with the host's root file system as its
# user space, and a job script in it.
#
#   appliance/vm.sh build                 build the appliance (appliance/build.sh)
#   appliance/vm.sh run --job SCRIPT [options]
#   appliance/vm.sh shell [options]       interactive shell on the console
#
# Options:
#   --job SCRIPT        shell script run in the VM (path on the host; the VM sees
#                       the host's / read-only through an overlay)
#   --out DIR           shared read-write with the VM at /vmout ($VDRI_VM_OUT);
#                       default: a fresh temporary directory
#   --port HOSTPORT     user networking; host 127.0.0.1:HOSTPORT -> VM port 7070
#   --gpu virgl|plain|none  virgl: virtio-vga-gl (3D via host Mesa/llvmpipe, needs
#                       an X display; an Xvfb is started if DISPLAY is unusable);
#                       plain: virtio-gpu-pci, no 3D, no display; none: no GPU
#                       (vgem only: a guest VM for forwarded nodes).  Default virgl
#   --bochs             also add a bochs-display (a KMS device for the bochs driver)
#   --gpu-mode WxH      the GPU's only display mode (EDID off): benchmarks pin
#                       the resolution with it (default: QEMU's EDID mode list)
#   --mem MB            guest memory (default 2048)
#   --smp N             guest CPUs (default 2)
#   --timeout SEC       kill the VM after SEC seconds and exit 124 (default 300)
#   --serial-sock PATH  virtio-serial port "vdri.0" (/dev/virtio-ports/vdri.0 in
#                       the VM) backed by a unix socket server at PATH on the host
#   --log FILE          console log (default: OUTDIR/console.log)
#   --console           also copy the console to stdout while the VM runs
#   --qemu-arg ARG      extra QEMU argument (repeatable)
#
# Exit status: the job's exit status (from "VDRI-JOB-EXIT <rc>" on the console),
# 124 on timeout, 125 if the VM ended without reporting one, 2 on usage errors.
#
# Environment: VDRI_VM_APPEND (more kernel arguments, e.g. vdri.9pcache=none,
# vdri.root=bind, vdri.debug=1), VDRI_VM_KERNEL (boot this kernel image),
# VDRI_APPLIANCE_DIR (default build/appliance), DISPLAY (an X server to use).

# shellcheck disable=SC2054,SC2317  # QEMU options contain commas; cleanup runs from traps
# shellcheck source-path=SCRIPTDIR
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
APPL="${VDRI_APPLIANCE_DIR:-$ROOT/build/appliance}"

usage() { sed -n '2,36p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
die() { echo "vm.sh: error: $*" >&2; exit 2; }

[ $# -ge 1 ] || usage
CMD="$1"; shift
case "$CMD" in
build) exec "$HERE/build.sh" --out "$APPL" "$@" ;;
run|shell) ;;
-h|--help|help) usage ;;
*) die "unknown command '$CMD' (build, run, shell)" ;;
esac

JOB="" OUTDIR="" PORT="" GPU=virgl MEM=2048 SMP=2 TIMEOUT=300 SOCK="" LOG="" CONSOLE=0 BOCHS=0 GPUMODE=""
EXTRA=()
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --job) need "$@"; JOB="$2"; shift 2 ;;
    --out) need "$@"; OUTDIR="$2"; shift 2 ;;
    --port) need "$@"; PORT="$2"; shift 2 ;;
    --gpu) need "$@"; GPU="$2"; shift 2 ;;
    --mem) need "$@"; MEM="$2"; shift 2 ;;
    --smp) need "$@"; SMP="$2"; shift 2 ;;
    --timeout) need "$@"; TIMEOUT="$2"; shift 2 ;;
    --serial-sock) need "$@"; SOCK="$2"; shift 2 ;;
    --log) need "$@"; LOG="$2"; shift 2 ;;
    --console) CONSOLE=1; shift ;;
    --bochs) BOCHS=1; shift ;;
    --gpu-mode) need "$@"; GPUMODE="$2"; shift 2 ;;
    --qemu-arg) need "$@"; EXTRA+=("$2"); shift 2 ;;
    -h|--help) usage ;;
    *) die "unknown option '$1'" ;;
    esac
done
case "$GPU" in virgl|plain|none) ;; *) die "--gpu must be virgl, plain or none" ;; esac
case "$MEM$SMP$TIMEOUT" in *[!0-9]*) die "--mem, --smp and --timeout take numbers" ;; esac
[ -z "$PORT" ] || case "$PORT" in *[!0-9]*) die "--port takes a number" ;; esac
GPUOPT=""
if [ -n "$GPUMODE" ]; then
    case "$GPUMODE" in
    [1-9]*x[1-9]*) ;;
    *) die "--gpu-mode takes WIDTHxHEIGHT, e.g. 640x480" ;;
    esac
    gw="${GPUMODE%%x*}" gh="${GPUMODE#*x}"
    case "$gw$gh" in *[!0-9]*) die "--gpu-mode takes WIDTHxHEIGHT, e.g. 640x480" ;; esac
    [ "$gw" -le 8192 ] && [ "$gh" -le 8192 ] || die "--gpu-mode: at most 8192x8192"
    GPUOPT=",edid=off,xres=$gw,yres=$gh"
fi
if [ "$CMD" = run ]; then
    [ -n "$JOB" ] || die "run needs --job SCRIPT"
    [ -f "$JOB" ] || die "job $JOB not found"
    JOB="$(cd "$(dirname "$JOB")" && pwd)/$(basename "$JOB")"
    case "$JOB$PWD" in *[[:space:]]*) die "the job path and the current directory must not contain spaces" ;; esac
fi
command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

# Build (or check) the appliance.
"$HERE/build.sh" --quick --out "$APPL" >&2 || { echo "vm.sh: appliance build failed" >&2; exit 125; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/vdri-vm.XXXXXX")"
if [ -z "$OUTDIR" ]; then OUTDIR="$TMP/out"; fi
mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
[ -n "$LOG" ] || LOG="$OUTDIR/console.log"
mkdir -p "$(dirname "$LOG")"
: > "$LOG"
LOG="$(cd "$(dirname "$LOG")" && pwd)/$(basename "$LOG")"

# shellcheck source=xvfb-lib.sh
. "$HERE/xvfb-lib.sh"
QPID="" TPID=""
cleanup() {
    trap - EXIT INT TERM HUP
    [ -z "$QPID" ] || { kill "$QPID" 2>/dev/null || true; wait "$QPID" 2>/dev/null || true; }
    [ -z "$TPID" ] || kill "$TPID" 2>/dev/null || true
    xvfb_stop
    rm -rf "$TMP/x"
    rmdir "$TMP" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 129' HUP

# An X display for virgl (QEMU's SDL GL context; Mesa llvmpipe renders).
if [ "$GPU" = virgl ] && ! display_usable "${DISPLAY:-}"; then
    command -v Xvfb >/dev/null 2>&1 || die "--gpu virgl needs an X display: apt-get install xvfb (or use --gpu plain)"
    xvfb_start "$TMP/x" || die "Xvfb did not start"
fi

# The uncompressed vmlinux boots through PVH, ~3 s faster under TCG than vmlinuz.
KERNEL="${VDRI_VM_KERNEL:-}"
if [ -z "$KERNEL" ]; then
    if [ -f "$APPL/vmlinux" ]; then KERNEL="$APPL/vmlinux"; else KERNEL="$APPL/vmlinuz"; fi
fi
Q=(qemu-system-x86_64 -accel tcg -m "$MEM" -smp "$SMP" -nodefaults -no-reboot -monitor none
   -kernel "$KERNEL" -initrd "$APPL/initrd.gz")
APPEND="console=ttyS0 quiet panic=-1"
[ "$CMD" = shell ] || APPEND="$APPEND vdri.job=$JOB"
APPEND="$APPEND vdri.cwd=$PWD"
[ -z "${VDRI_VM_APPEND:-}" ] || APPEND="$APPEND $VDRI_VM_APPEND"
Q+=(-append "$APPEND")
if [ "$GPU" = virgl ]; then
    Q+=(-device "virtio-vga-gl$GPUOPT" -display sdl,gl=on)
elif [ "$GPU" = plain ]; then
    Q+=(-device "virtio-gpu-pci$GPUOPT" -display none)
else
    Q+=(-display none)
fi
[ "$BOCHS" = 0 ] || Q+=(-device bochs-display)
if [ -n "$PORT" ]; then
    Q+=(-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$PORT-:7070" -device virtio-net-pci,netdev=n0)
fi
Q+=(-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap)
# QEMU's option parser splits on commas: double them in the path.
Q+=(-virtfs "local,path=${OUTDIR//,/,,},mount_tag=vmout,security_model=none,multidevs=remap")
if [ -n "$SOCK" ]; then
    rm -f "$SOCK"
    Q+=(-device virtio-serial-pci -chardev "socket,id=vs0,path=${SOCK//,/,,},server=on,wait=off"
        -device virtserialport,chardev=vs0,name=vdri.0)
fi
Q+=("${EXTRA[@]}")

if [ "$CMD" = shell ]; then
    echo "vm.sh: interactive shell; out dir $OUTDIR (/vmout in the VM); Ctrl-A X quits QEMU" >&2
    "${Q[@]}" -serial mon:stdio
    exit $?
fi

echo "vm.sh: console log $LOG" >&2
echo "vm.sh: out dir $OUTDIR" >&2
START=$(date +%s.%N)
if [ "$CONSOLE" = 1 ]; then
    tail -n +1 -f "$LOG" &
    TPID=$!
fi
"${Q[@]}" -serial "file:$LOG" </dev/null >"$TMP/qemu.err" 2>&1 &
QPID=$!

# Enforce the timeout (polling keeps signals to this script prompt: traps run
# between sleeps, and nothing is left behind holding our stdout).
deadline=$(( $(date +%s) + TIMEOUT ))
timed_out=0
UPAT=""
while kill -0 "$QPID" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
        timed_out=1
        kill "$QPID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$QPID" 2>/dev/null || true
        break
    fi
    if [ -z "$UPAT" ] && grep -q '^VDRI-VM-UP' "$LOG" 2>/dev/null; then
        UPAT=$(date +%s.%N)
        echo "vm.sh: VDRI-VM-UP after $(awk -v a="$START" -v b="$UPAT" 'BEGIN { printf "%.1f", b - a }')s" >&2
    fi
    sleep 0.2
done
wait "$QPID" && qrc=0 || qrc=$?
QPID=""
[ -z "$TPID" ] || { sleep 0.2; kill "$TPID" 2>/dev/null || true; TPID=""; }
END=$(date +%s.%N)
ELAPSED=$(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.1f", b - a }')

if [ -s "$TMP/qemu.err" ]; then
    grep -v -e 'multidevs' -e '^gl_version .* profile enabled' -e '^GLSL feature level' -e 'terminating on signal' "$TMP/qemu.err" | sed 's/^/vm.sh: qemu: /' >&2 || true
fi
rm -f "$TMP/qemu.err"
# The last marker wins (init prints its own after the job's output); kernel
# messages may share its line.
rc="$(tr -d '\r' < "$LOG" | sed -n 's/.*VDRI-JOB-EXIT \([0-9][0-9]*\).*/\1/p' | tail -n 1)"
if [ -n "$rc" ]; then
    echo "vm.sh: job exited $rc after ${ELAPSED}s (console log $LOG)" >&2
    exit "$rc"
fi
if [ "$timed_out" = 1 ]; then
    echo "vm.sh: timeout after ${TIMEOUT}s, VM killed (console log $LOG)" >&2
    exit 124
fi
echo "vm.sh: VM ended (qemu status $qrc) without VDRI-JOB-EXIT after ${ELAPSED}s; see $LOG" >&2
grep -e 'VDRI-INIT-FAIL' -e 'Kernel panic' "$LOG" | sed 's/^/vm.sh: /' >&2 || true
exit 125
