# shellcheck shell=bash
# An X display for QEMU's virgl GPU (virtio-vga-gl + "-display sdl,gl=on":
# QEMU's SDL window gets a GL context there and the host's Mesa, llvmpipe
# on a machine without a GPU, renders the guest's 3D).  Shared by vm.sh
# (the test VM) and launch.sh (the appliance).  Source it; then
#
#   display_usable "$DISPLAY"    0 when it names a local X socket
#   xvfb_start DIR [setsid]      starts "Xvfb -displayfd" (it picks a free
#                                display number: no lock-file races), sets
#                                XPID and exports DISPLAY; logs to DIR/xvfb.log;
#                                returns 1 (log on stderr) if it did not start;
#                                with "setsid" in a session of its own (it
#                                outlives its caller's terminal)
#   xvfb_stop                    kills it (no-op without one)

XPID=""

display_usable() {
    local d="${1:-}" n
    case "$d" in :[0-9]*) ;; *) return 1 ;; esac
    n="${d#:}"; n="${n%%.*}"
    [ -S "/tmp/.X11-unix/X$n" ]
}

xvfb_start() {
    local dir="$1" wrap=()
    [ "${2:-}" != setsid ] || wrap=(setsid)
    command -v Xvfb >/dev/null 2>&1 || { echo "Xvfb not found (apt-get install xvfb)" >&2; return 1; }
    mkdir -p "$dir"
    "${wrap[@]}" Xvfb -displayfd 3 -screen 0 1024x768x24 -nolisten tcp -noreset 3>"$dir/display" \
        >"$dir/xvfb.log" 2>&1 &
    XPID=$!
    for _ in $(seq 1 100); do
        [ -s "$dir/display" ] && break
        kill -0 "$XPID" 2>/dev/null || break
        sleep 0.1
    done
    if [ ! -s "$dir/display" ]; then
        cat "$dir/xvfb.log" >&2
        xvfb_stop
        return 1
    fi
    DISPLAY=":$(tr -dc 0-9 < "$dir/display")"
    export DISPLAY
}

xvfb_stop() {
    [ -n "$XPID" ] || return 0
    kill "$XPID" 2>/dev/null || true
    wait "$XPID" 2>/dev/null || true
    XPID=""
}
