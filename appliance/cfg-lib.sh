# shellcheck shell=bash
# Helpers shared by the VM-configuration writers (xen.sh, libvirt.sh): argument
# checks with clear messages, absolute paths, the appliance's default files,
# the GPU pre-check and what guests must set.  Sourced; the caller sets PROG.

CFG_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CFG_ROOT="$(cd "$CFG_HERE/.." && pwd)"
# shellcheck disable=SC2034  # used by the scripts that source this
CFG_APPL="${VDRI_APPLIANCE_DIR:-$CFG_ROOT/build/appliance}"
# what the appliance serves (appliance/README.md)
CFG_GUEST_PORT=7070
CFG_STATUS_PORT=7071

die() { echo "$PROG: error: $*" >&2; exit 2; }
warn() { echo "$PROG: warning: $*" >&2; }
need() { [ $# -ge 2 ] || die "$1 needs a value"; }

# cfg_bdf BDF: the canonical DDDD:BB:DD.F form, or die.
cfg_bdf() {
    local b
    b=$(printf '%s' "$1" | tr 'A-F' 'a-f')
    case "$b" in
    [0-9a-f][0-9a-f]:[0-1][0-9a-f].[0-7]) b="0000:$b" ;;
    esac
    case "$b" in
    [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-1][0-9a-f].[0-7]) echo "$b" ;;
    *) die "'$1' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F, e.g. 0000:01:00.0)" ;;
    esac
}

# cfg_num OPTION VALUE MIN MAX
cfg_num() {
    case "$2" in ''|*[!0-9]*) die "$1 takes a number, not '$2'" ;; esac
    [ ${#2} -le 9 ] || die "$1 must be between $3 and $4, not $2"
    if [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then die "$1 must be between $3 and $4, not $2"; fi
}

# cfg_word OPTION VALUE: a name safe to put in a config file unquoted
cfg_word() {
    case "$2" in
    ''|*[!A-Za-z0-9_.-]*) die "$1 takes letters, digits, '_', '.', '-', not '$2'" ;;
    esac
}

# cfg_file WHAT PATH HINT: the absolute path of an existing regular file, or die
cfg_file() {
    [ -f "$2" ] || die "$1 $2 not found${3:+ ($3)}"
    [ -r "$2" ] || die "$1 $2 is not readable"
    case "$2" in *[\'\"\\,\ ]*) die "$1 path '$2' has a quote, comma, backslash or space" ;; esac
    realpath "$2"
}

# cfg_image_format FILE: qcow2 or raw, from the file's magic
cfg_image_format() {
    if [ "$(head -c 4 "$1" | od -An -tx1 | tr -d ' \n')" = 514649fb ]; then
        echo qcow2
    else
        echo raw
    fi
}

cfg_gpus_bin() {
    local b
    for b in "${VDRI_GPUS:-}" "$CFG_ROOT/build/release/bin/vdri-gpus" "$(command -v vdri-gpus || true)"; do
        [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return 0; }
    done
    return 1
}

# cfg_vfio_warn BDF [managed]: what `vdri-gpus --check` says here, as a warning
# (the GPU may be prepared later, or the configuration be meant for another
# host).  managed: libvirt binds the device itself, so "not vfio-pci" is fine.
cfg_vfio_warn() {
    local bin msg
    bin=$(cfg_gpus_bin) || { warn "$1: vdri-gpus not built (make), passthrough not checked"; return 0; }
    msg=$("$bin" --check "$1" 2>&1) && return 0
    msg=${msg#vdri-gpus: }
    case "${2:-}:$msg" in
    managed:*", not vfio-pci: "*)
        warn "${msg%%, not vfio-pci*} now; libvirt binds it to vfio-pci at start (managed='yes')" ;;
    *) warn "vdri-gpus --check on this host: $msg" ;;
    esac
}

# cfg_guest_hint ADDR HOW-TO-FIND-IT: what guests must set
cfg_guest_hint() {
    local a=${1:-"<driver VM IP>"}
    cat <<EOF
guests reach the appliance at ${a}:
  VDRI_ADDR=tcp:${a}:$CFG_GUEST_PORT    (the frontend: LD_PRELOAD=libvdri-front.so)
  VDRI_TOKEN=<the guest's token>   (when the appliance's policy names guests by token)
  vdri status -s tcp:${a}:$CFG_STATUS_PORT
EOF
    [ -n "$1" ] || echo "  (the driver VM's address: $2)"
}
