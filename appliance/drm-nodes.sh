# shellcheck shell=sh
# Sourced by both /init scripts (appliance/init, appliance/appliance-init):
# drm_nodes prints "VDRI-DRM <node> <driver>" for each /sys/class/drm
# card*/renderD* node.  The driver is the DRM driver's own name (as
# DRM_IOCTL_VERSION reports it) from debugfs when mounted, else the bound
# driver of the device (or of its virtio child).
drm_nodes() {
    for d in /sys/class/drm/card* /sys/class/drm/renderD*; do
        [ -e "$d" ] || continue
        n="${d##*/}"
        case "$n" in *-*) continue ;; esac   # connectors (card0-Virtual-1)
        minor="$(cat "$d/dev" 2>/dev/null)"; minor="${minor#*:}"
        drv="$(cut -d' ' -f1 "/sys/kernel/debug/dri/$minor/name" 2>/dev/null)"
        [ -n "$drv" ] || drv="$(cat "$d"/device/virtio*/uevent 2>/dev/null | sed -n 's/^DRIVER=//p' | head -n 1)"
        [ -n "$drv" ] || drv="$(sed -n 's/^DRIVER=//p' "$d/device/uevent" 2>/dev/null)"
        [ -n "$drv" ] || drv="$(basename "$(readlink -f "$d/device" 2>/dev/null)")"
        [ -n "$drv" ] || drv=unknown
        echo "VDRI-DRM $n $drv"
    done
}
