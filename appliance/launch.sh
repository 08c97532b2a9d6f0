#!/bin/bash
# Boots the vdri appliance (`make appliance`) and says what a guest must set.
#
#   appliance/launch.sh qemu [options]
#   appliance/launch.sh xen|libvirt ARGS...   runs appliance/xen.sh or libvirt.sh
#
# qemu options:
#   --image raw|qcow2|kernel  boot vdri-appliance.img (default) or .qcow2 from the
#                       disk alone, or -kernel vdri-appliance-vmlinuz -initrd
#                       vdri-appliance-initrd.gz (no disk unless --config-drive)
#   --port P|auto       host port forwarded to the appliance's 7070 (default 7070)
#   --status-port P|auto  host port forwarded to its status port 7071 (default 7071)
#   --bind ADDR         host address of the forwarded ports (default 127.0.0.1)
#   --gpu virgl|plain|vfio=BDF
#                       virgl (default): virtio-vga-gl, 3D rendered on this host
#                       by Mesa (an Xvfb is started when DISPLAY is unusable);
#                       plain: virtio-gpu-pci, no 3D; vfio=BDF: pass the host's
#                       PCI GPU through (checked with vdri-gpus --check BDF)
#   --config-drive FILE a disk image with a FAT file system labelled VDRICFG
#                       (its vdri-backd.conf wins over the image's own)
#   --serial-log FILE   the serial console's log (default RUNDIR/console.log)
#   --console           the serial console on this terminal too (Ctrl-A X quits)
#   --serial-sock PATH  the serial console as a unix socket server at PATH
#                       (logged as well): write to it to type on the console
#   --append ARGS       more kernel arguments (--image kernel only), e.g.
#                       vdri.shell=1
#   --monitor PATH      QEMU's monitor on a unix socket at PATH
#                       ("system_powerdown" there: a clean poweroff)
#   --uefi              boot with OVMF (UEFI) instead of SeaBIOS
#   --mem MB            memory (default 1024); --smp N CPUs (default 2)
#   --timeout S         give up when VDRI-READY has not come after S seconds
#                       (default 300): QEMU is stopped, exit 124
#   --detach            once ready, leave it running; --pid-file FILE gets
#                       QEMU's pid (kill it to stop the appliance)
#   --boot-check        boot, wait for VDRI-READY, print the time, stop
#   --print             print the QEMU command line, run nothing
#   --qemu-arg ARG      one more QEMU argument (repeatable)
#   --guest-port P, --guest-status-port P   the appliance's ports, when its
#                       configuration listens elsewhere than 7070 / 7071
# Runs in the foreground until QEMU ends or launch.sh is killed (QEMU and
# Xvfb are stopped then).  Exit status: QEMU's, 0 for --detach/--boot-check
# once ready, 1 on failures (QEMU died, passthrough refused), 2 usage, 124
# timeout.  RUNDIR is a new /tmp/vdri-appliance.XXXXXX (the console log is
# kept there).  Environment: VDRI_APPLIANCE_DIR (default build/appliance),
# VDRI_BUILD (default build/release: libvdri-front.so, vdri, vdri-gpus).

# shellcheck disable=SC2054,SC2317  # QEMU options contain commas; cleanup runs from traps
# shellcheck source-path=SCRIPTDIR
set -eu

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
APPL="${VDRI_APPLIANCE_DIR:-$ROOT/build/appliance}"
BUILD="${VDRI_BUILD:-$ROOT/build/release}"

usage() { sed -n '2,45p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
die() { echo "launch.sh: error: $*" >&2; exit 2; }
fail() { echo "launch.sh: $*" >&2; exit 1; }
info() { echo "launch.sh: $*" >&2; }

[ $# -ge 1 ] || usage
CMD="$1"; shift
case "$CMD" in
qemu) ;;
xen|libvirt)
    [ -x "$HERE/$CMD.sh" ] || die "appliance/$CMD.sh is not there"
    exec "$HERE/$CMD.sh" "$@" ;;
-h|--help|help) usage 0 ;;
*) die "unknown kind '$CMD' (qemu, xen, libvirt)" ;;
esac

IMAGE=raw PORT=7070 SPORT=7071 GPORT=7070 GSPORT=7071 BIND=127.0.0.1 GPU=virgl CFGDRIVE=""
SLOG="" CONSOLE=0 SSOCK="" APPEND_EXTRA="" UEFI=0 MEM=1024 SMP=2 TIMEOUT=300 DETACH=0
PIDFILE="" BOOTCHECK=0 PRINT=0 MONITOR=""
EXTRA=()
need() { [ $# -ge 2 ] || die "$1 needs a value"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --image) need "$@"; IMAGE="$2"; shift 2 ;;
    --port) need "$@"; PORT="$2"; shift 2 ;;
    --status-port) need "$@"; SPORT="$2"; shift 2 ;;
    --guest-port) need "$@"; GPORT="$2"; shift 2 ;;
    --guest-status-port) need "$@"; GSPORT="$2"; shift 2 ;;
    --bind) need "$@"; BIND="$2"; shift 2 ;;
    --gpu) need "$@"; GPU="$2"; shift 2 ;;
    --config-drive) need "$@"; CFGDRIVE="$2"; shift 2 ;;
    --serial-log) need "$@"; SLOG="$2"; shift 2 ;;
    --console) CONSOLE=1; shift ;;
    --serial-sock) need "$@"; SSOCK="$2"; shift 2 ;;
    --append) need "$@"; APPEND_EXTRA="$2"; shift 2 ;;
    --uefi) UEFI=1; shift ;;
    --monitor) need "$@"; MONITOR="$2"; shift 2 ;;
    --mem) need "$@"; MEM="$2"; shift 2 ;;
    --smp) need "$@"; SMP="$2"; shift 2 ;;
    --timeout) need "$@"; TIMEOUT="$2"; shift 2 ;;
    --detach) DETACH=1; shift ;;
    --pid-file) need "$@"; PIDFILE="$2"; shift 2 ;;
    --boot-check) BOOTCHECK=1; shift ;;
    --print) PRINT=1; shift ;;
    --qemu-arg) need "$@"; EXTRA+=("$2"); shift 2 ;;
    -h|--help) usage 0 ;;
    *) die "unknown option '$1'" ;;
    esac
done
case "$IMAGE" in raw|qcow2|kernel) ;; *) die "--image must be raw, qcow2 or kernel" ;; esac
BDF=""
case "$GPU" in
virgl|plain) ;;
vfio=?*) BDF="${GPU#vfio=}"; GPU=vfio ;;
*) die "--gpu must be virgl, plain or vfio=BDF" ;;
esac
case "$MEM$SMP$TIMEOUT$GPORT$GSPORT" in *[!0-9]*) die "--mem, --smp, --timeout and the guest ports take numbers" ;; esac
for p in "$PORT" "$SPORT"; do
    case "$p" in auto|none) ;; ''|*[!0-9]*) die "--port and --status-port take a number, auto or none" ;; esac
done
[ "$CONSOLE" = 0 ] || [ -z "$SSOCK" ] || die "--console and --serial-sock exclude each other"
[ "$DETACH" = 0 ] || [ "$CONSOLE" = 0 ] || die "--detach and --console exclude each other"
[ -z "$APPEND_EXTRA" ] || [ "$IMAGE" = kernel ] ||
    die "--append needs --image kernel (a disk boot takes its arguments from syslinux.cfg on partition 1)"
command -v qemu-system-x86_64 >/dev/null 2>&1 || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"

IMG="$APPL/vdri-appliance.img" QCOW="$APPL/vdri-appliance.qcow2"
KERNEL="$APPL/vdri-appliance-vmlinuz" INITRD="$APPL/vdri-appliance-initrd.gz"
case "$IMAGE" in
raw) DISK="$IMG" ;;
qcow2) DISK="$QCOW" ;;
kernel) DISK="" ;;
esac
if [ -n "$DISK" ]; then
    [ -f "$DISK" ] || die "$DISK not found: make appliance"
elif [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
    die "$KERNEL or $INITRD not found: make appliance"
fi
if [ -n "$CFGDRIVE" ]; then
    [ -f "$CFGDRIVE" ] || die "config drive $CFGDRIVE not found"
    CFGDRIVE="$(cd "$(dirname "$CFGDRIVE")" && pwd)/$(basename "$CFGDRIVE")"
fi
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd OVMF_VARS=/usr/share/OVMF/OVMF_VARS.fd
[ "$UEFI" = 0 ] || [ -f "$OVMF_CODE" ] || die "--uefi needs $OVMF_CODE (apt-get install ovmf)"

# Passthrough only where the host allows it (IOMMU group, driver, reset...).
if [ "$GPU" = vfio ] && [ "$PRINT" = 0 ]; then
    GPUS="$BUILD/bin/vdri-gpus"
    [ -x "$GPUS" ] || fail "--gpu vfio=$BDF: $GPUS is missing (make) to check the device"
    if ! why="$("$GPUS" --check "$BDF" 2>&1)"; then
        fail "cannot pass $BDF through: ${why:-vdri-gpus --check failed}"
    fi
fi

free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    fail "no free TCP port found"
}
[ "$PORT" != auto ] || PORT="$(free_port)"
[ "$SPORT" != auto ] || SPORT="$(free_port)"
[ "$PORT" != "$SPORT" ] || [ "$PORT" = none ] || die "--port and --status-port must differ"

RUNDIR="$(mktemp -d "${TMPDIR:-/tmp}/vdri-appliance.XXXXXX")"
[ -n "$SLOG" ] || SLOG="$RUNDIR/console.log"
mkdir -p "$(dirname "$SLOG")"
SLOG="$(cd "$(dirname "$SLOG")" && pwd)/$(basename "$SLOG")"
q() { printf '%s' "${1//,/,,}"; }   # QEMU's option parser splits on commas

# ---- the QEMU command line --------------------------------------------------------
ACCEL=tcg
[ -w /dev/kvm ] && ACCEL=kvm
Q=(qemu-system-x86_64 -name vdri-appliance -accel "$ACCEL" -m "$MEM" -smp "$SMP"
   -nodefaults -no-user-config)
if [ -n "$MONITOR" ]; then
    Q+=(-monitor "unix:$(q "$MONITOR"),server=on,wait=off")
else
    Q+=(-monitor none)
fi
[ "$ACCEL" = tcg ] || Q+=(-cpu host)
[ "$GPU" != vfio ] || Q+=(-machine q35)
if [ "$UEFI" = 1 ]; then
    Q+=(-drive "if=pflash,format=raw,readonly=on,file=$(q "$OVMF_CODE")"
        -drive "if=pflash,format=raw,file=$(q "$RUNDIR/OVMF_VARS.fd")")
fi
case "$IMAGE" in
raw) Q+=(-drive "file=$(q "$DISK"),format=raw,if=virtio,readonly=on") ;;
qcow2) Q+=(-drive "file=$(q "$DISK"),format=qcow2,if=virtio,readonly=on") ;;
kernel)
    Q+=(-kernel "$KERNEL" -initrd "$INITRD"
        -append "console=tty0 console=ttyS0,115200 quiet panic=-1${APPEND_EXTRA:+ $APPEND_EXTRA}") ;;
esac
if [ -n "$CFGDRIVE" ]; then
    fmt=raw
    [ "$(head -c 4 "$CFGDRIVE" | od -An -c | tr -d ' ')" = 'QFI373' ] && fmt=qcow2
    Q+=(-drive "file=$(q "$CFGDRIVE"),format=$fmt,if=virtio,readonly=on")
fi
case "$GPU" in
virgl) Q+=(-device virtio-vga-gl -display sdl,gl=on) ;;
plain) Q+=(-device virtio-gpu-pci -display none) ;;
vfio) Q+=(-device "vfio-pci,host=$BDF" -display none) ;;
esac
FWD=""
[ "$PORT" = none ] || FWD="$FWD,hostfwd=tcp:$BIND:$PORT-:$GPORT"
[ "$SPORT" = none ] || FWD="$FWD,hostfwd=tcp:$BIND:$SPORT-:$GSPORT"
Q+=(-netdev "user,id=n0$FWD" -device virtio-net-pci,netdev=n0)
# A virtio-serial port "vdri.0" (the configuration may listen on it).
VSOCKPATH="$RUNDIR/vdri-serial.sock"
Q+=(-device virtio-serial-pci -chardev "socket,id=vs0,path=$(q "$VSOCKPATH"),server=on,wait=off"
    -device virtserialport,chardev=vs0,name=vdri.0)
# vsock needs the host's vhost-vsock (not on every host kernel).
CID=""
if [ -c /dev/vhost-vsock ] && [ -w /dev/vhost-vsock ]; then
    CID=$(( 1000 + $$ % 30000 ))
    Q+=(-device "vhost-vsock-pci,guest-cid=$CID")
fi
if [ "$CONSOLE" = 1 ]; then
    Q+=(-chardev "stdio,id=ser0,mux=on,logfile=$(q "$SLOG")" -serial chardev:ser0 -mon chardev=ser0,mode=readline)
elif [ -n "$SSOCK" ]; then
    rm -f "$SSOCK"
    Q+=(-chardev "socket,id=ser0,path=$(q "$SSOCK"),server=on,wait=off,logfile=$(q "$SLOG")" -serial chardev:ser0)
else
    Q+=(-chardev "file,id=ser0,path=$(q "$SLOG")" -serial chardev:ser0)
fi
[ "$BOOTCHECK" = 0 ] || Q+=(-no-reboot)
Q+=("${EXTRA[@]}")

if [ "$PRINT" = 1 ]; then
    rmdir "$RUNDIR" 2>/dev/null || true
    [ "$GPU" != virgl ] || echo "# needs an X display in DISPLAY (launch.sh starts an Xvfb when there is none)"
    [ "$GPU" != vfio ] || echo "# launch.sh first checks: $BUILD/bin/vdri-gpus --check $BDF"
    [ "$UEFI" = 0 ] || echo "# $RUNDIR/OVMF_VARS.fd is a copy of $OVMF_VARS"
    line=""
    for a in "${Q[@]}"; do
        case "$a" in
        *\'*) line="$line $(printf '%q' "$a")" ;;
        *[!A-Za-z0-9_./,:=+@%-]*|'') line="$line '$a'" ;;
        *) line="$line $a" ;;
        esac
    done
    echo "${line# }"
    exit 0
fi

# ---- run ----------------------------------------------------------------------------------
# shellcheck source=xvfb-lib.sh
. "$HERE/xvfb-lib.sh"
QPID="" TPID=""
cleanup() {
    trap - EXIT INT TERM HUP
    [ -z "$TPID" ] || kill "$TPID" 2>/dev/null || true
    if [ -n "$QPID" ]; then
        kill "$QPID" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$QPID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$QPID" 2>/dev/null || true
        wait "$QPID" 2>/dev/null || true
    fi
    xvfb_stop
    rm -rf "$RUNDIR/x" "$RUNDIR/OVMF_VARS.fd" "$VSOCKPATH" "$RUNDIR/qemu.err"
    rmdir "$RUNDIR" 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 129' HUP

WRAP=()
[ "$DETACH" = 0 ] || WRAP=(setsid)
if [ "$GPU" = virgl ] && ! display_usable "${DISPLAY:-}"; then
    command -v Xvfb >/dev/null 2>&1 || die "--gpu virgl needs an X display: apt-get install xvfb (or use --gpu plain)"
    xvfb_start "$RUNDIR/x" "${WRAP[@]}" || fail "Xvfb did not start"
fi
[ "$UEFI" = 0 ] || cp "$OVMF_VARS" "$RUNDIR/OVMF_VARS.fd"

: > "$SLOG"
START=$(date +%s.%N)
if [ "$CONSOLE" = 1 ]; then
    exec 3<&0
    "${Q[@]}" <&3 2>"$RUNDIR/qemu.err" &
else
    "${WRAP[@]}" "${Q[@]}" </dev/null >/dev/null 2>"$RUNDIR/qemu.err" &
fi
QPID=$!
# Messages on a terminal that QEMU put in raw mode need a carriage return.
out() { if [ "$CONSOLE" = 1 ]; then sed 's/$/\r/'; else cat; fi; }
info "QEMU pid $QPID ($IMAGE, gpu $GPU$([ "$ACCEL" = kvm ] && echo ", KVM" || echo ", TCG")), console log $SLOG" 2>&1 | out >&2

deadline=$(( $(date +%s) + TIMEOUT ))
bad_shown=0
ready=""
while :; do
    ready="$(tr -d '\r' < "$SLOG" | grep -a -o 'VDRI-READY .*' | head -n 1)" || true
    # (before leaving on VDRI-READY: both lines may have come since the last look)
    if [ "$bad_shown" = 0 ] && grep -aq 'VDRI-CONFIG-BAD' "$SLOG"; then
        info "$(tr -d '\r' < "$SLOG" | grep -a -o 'VDRI-CONFIG-BAD .*' | head -n 1)" 2>&1 | out >&2
        info "the appliance will refuse every guest (EACCES) with that reason" 2>&1 | out >&2
        bad_shown=1
    fi
    [ -z "$ready" ] || break
    if ! kill -0 "$QPID" 2>/dev/null; then
        wait "$QPID" && qrc=0 || qrc=$?
        QPID=""
        sed 's/^/launch.sh: qemu: /' "$RUNDIR/qemu.err" >&2
        tail -n 15 "$SLOG" | sed 's/^/launch.sh: console: /' >&2
        fail "QEMU ended (status $qrc) before VDRI-READY; console log $SLOG"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
        tail -n 15 "$SLOG" | sed 's/^/launch.sh: console: /' >&2
        info "no VDRI-READY within ${TIMEOUT}s; stopping QEMU (console log $SLOG)"
        cleanup
        exit 124
    fi
    sleep 0.2
done
T="$(awk -v a="$START" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')"

if [ "$BOOTCHECK" = 1 ]; then
    echo "$ready"
    echo "launch.sh: VDRI-READY after $T s ($IMAGE image, gpu $GPU, $ACCEL)"
    exit 0   # cleanup stops QEMU
fi

# What a guest must set.
HOSTADDR="$BIND"
case "$BIND" in 0.0.0.0|::) HOSTADDR="<this host's address>" ;; esac
tokens="$(tr -d '\r' < "$SLOG" | sed -n 's/.*VDRI-CONFIG .*tokens=\([a-z]*\).*/\1/p' | tail -n 1)"
{
    echo "vdri appliance ready after $T s: $ready"
    if [ "$PORT" != none ]; then
        echo "A guest on this machine sets:"
        echo "  export VDRI_ADDR=tcp:$HOSTADDR:$PORT VDRI_PATHS='/dev/dri/*' LD_PRELOAD=$BUILD/lib/libvdri-front.so"
        if [ "$tokens" = yes ]; then
            echo "  export VDRI_TOKEN=<its token>   # the configuration has guest blocks with tokens: the one of the guest's block"
        else
            echo "  (no guest tokens in the configuration; with guest blocks using tokens a guest also sets VDRI_TOKEN)"
        fi
    fi
    [ -z "$CID" ] || echo "  or over vsock: VDRI_ADDR=vsock:$CID:$GPORT"
    [ "$SPORT" = none ] || echo "Status: $BUILD/bin/vdri status -s tcp:$HOSTADDR:$SPORT"
    echo "virtio-serial port vdri.0: $VSOCKPATH (the configuration needs 'listen serial:/dev/virtio-ports/vdri.0')"
    if [ "$DETACH" = 1 ]; then
        echo "Stop: kill $QPID"
    else
        echo "Stop: Ctrl-C or kill $$ (QEMU pid $QPID); console log $SLOG"
    fi
} | out

if [ "$DETACH" = 1 ]; then
    [ -z "$PIDFILE" ] || echo "$QPID" > "$PIDFILE"
    # Xvfb goes when QEMU goes.
    if [ -n "$XPID" ]; then
        # shellcheck disable=SC2016  # expanded by that sh
        setsid sh -c 'while kill -0 "$1" 2>/dev/null; do sleep 2; done; kill "$2" 2>/dev/null' \
            sh "$QPID" "$XPID" </dev/null >/dev/null 2>&1 &
    fi
    QPID="" XPID=""
    trap - EXIT INT TERM HUP
    exit 0
fi
# Foreground: later restarts and configuration messages as they come.
if [ "$CONSOLE" = 0 ]; then
    tail -n 0 --pid="$QPID" -f "$SLOG" 2>/dev/null | tr -d '\r' |
        grep --line-buffered -a -o -E 'VDRI-(READY|BACKD-EXIT|BACKD-START|CONFIG-BAD|SHUTDOWN).*' >&2 &
    TPID=$!
fi
qrc=0
wait "$QPID" || qrc=$?
QPID=""
exit "$qrc"
