# shellcheck shell=sh disable=SC2154
# bench/opencl-job-part.sh - OpenCL in the driver VM, natively and forwarded.
# Sourced (POSIX sh) by a VM job script once its vdri-backd is up, with:
#   $BUILD     the build directory (bench/cl_matmul, bin/vdri)
#   $out       the output directory
#   fwd CMD..  runs CMD under libvdri-front.so against the VM's DRM nodes
#   the backend's status socket on unix:/run/vdri-status.sock
# It writes to $out:
#   clinfo-native.txt, clinfo-forwarded.txt      clinfo -l
#   cl-list-native.txt, cl-list-forwarded.txt    cl_matmul -l
#   opencl-probe.txt     the evidence: forwarded ioctls of each step
#   opencl-status.txt    the last `vdri status` report read
#   opencl-verdict.txt   "backed PLATFORM|DEVICE" or "none: REASON"
#   when backed: clpeak-{native,forwarded}.txt, matmul-{native,forwarded}.txt
#
# Which device the forwarded node backs is decided from the backend's count
# of forwarded ioctls, not from names.  A listing alone proves little: the
# ICD loader starts every ICD, and Mesa's (clover, rusticl) open each render
# node and ask its driver's name even when they then drive nothing, while
# pocl lists a CPU device.  So the verdict is "backed" only when the
# forwarded `cl_matmul -l` made ioctls and listed a device, and that
# device (not a CPU one), running a small matmul forwarded, made more
# forwarded ioctls than the listing did (its buffers and submissions) and
# got the right result.
# Mesa 22.3's rusticl drives only drivers named in RUSTICL_ENABLE: the GPU
# ones it knows are enabled unless the caller chose (llvmpipe, a CPU device,
# is left out).

ocl_status_uri=unix:/run/vdri-status.sock
: "${RUSTICL_ENABLE:=iris,radeonsi,panfrost}"
export RUSTICL_ENABLE

# The forwarded ioctls the backend has served so far: the "ioctls" of each
# "guest" line (they include the guest's sessions, live and ended).
ocl_ioctls() {
    "$BUILD/bin/vdri" status -s "$ocl_status_uri" > "$out/opencl-status.txt" 2>&1 || return 1
    awk '$1 == "guest" { for (i = 2; i < NF; i++) if ($i == "ioctls") s += $(i + 1) }
        END { print s + 0 }' "$out/opencl-status.txt"
}

# ocl_count FILE CMD...: run CMD forwarded (output to FILE); prints
# "EXIT IOCTLS", or fails when the counts cannot be read.
ocl_count() {
    ocl_f=$1
    shift
    ocl_b=$(ocl_ioctls) || return 1
    ocl_r=0
    fwd "$@" > "$ocl_f" 2>&1 < /dev/null || ocl_r=$?
    ocl_e=$(ocl_ioctls) || return 1
    echo "$ocl_r $((ocl_e - ocl_b))"
}

# The device lines of a `cl_matmul -l` output ("P D platform | dev | type | driver").
ocl_device_lines() {
    awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9]+$/' "$1"
}

# "platform: device (TYPE), ...; platform: no device" from a `cl_matmul -l` output.
ocl_platforms() {
    awk -F ' [|] ' '/^[0-9]+ [0-9-]+ / {
            split($1, h, " "); p = h[1]; name = $1; sub(/^[0-9]+ [0-9-]+ /, "", name)
            if (!(p in seen)) { seen[p] = 1; order[n++] = p; pname[p] = name; desc[p] = "" }
            if (h[2] != "-") desc[p] = desc[p] (desc[p] == "" ? "" : ", ") $2 " (" $3 ")"
        }
        END { for (i = 0; i < n; i++) { p = order[i]
            printf "%s%s: %s", (i ? "; " : ""), pname[p], (desc[p] == "" ? "no device" : desc[p]) } }' "$1"
}

# The render nodes and their kernel drivers: "renderD128 virtio_gpu, ...".
# (VDRI_SYS_DRM: another /sys/class/drm, to try this without DRM.)
ocl_nodes() {
    for ocl_n in "${VDRI_SYS_DRM:-/sys/class/drm}"/renderD*; do
        [ -e "$ocl_n/device" ] || continue
        # The DRM driver's own name (DRM_IOCTL_VERSION) as the VM's init
        # listed it; sysfs gives the bus driver (virtio_gpu's parent is
        # virtio-pci).  vgem's platform device has no driver link.
        ocl_d="$(awk -v n="${ocl_n##*/}" '$2 == n { print $3; exit }' /run/vdri-drm.txt 2>/dev/null)"
        if [ -z "$ocl_d" ]; then
            ocl_l="$ocl_n/device/driver"
            [ -e "$ocl_l" ] || ocl_l="$ocl_n/device"
            ocl_d="$(basename "$(readlink -f "$ocl_l")")"
        fi
        printf '%s %s\n' "${ocl_n##*/}" "$ocl_d"
    done | awk '{ printf "%s%s", (NR > 1 ? ", " : ""), $0 }'
}

# Why the installed platforms cannot drive the nodes, from what is installed.
ocl_notes() {
    for ocl_pipes in ${GALLIUM_PIPE_SEARCH_DIR:-} /usr/lib/*/gallium-pipe; do
        [ -d "$ocl_pipes" ] && break
    done
    ocl_missing="" ocl_have=""
    for ocl_f in "$ocl_pipes"/pipe_*.so; do
        [ -e "$ocl_f" ] || continue
        ocl_f=${ocl_f##*/pipe_}
        ocl_have="$ocl_have${ocl_have:+ }${ocl_f%.so}"
    done
    for ocl_drv in $(ocl_nodes | tr ',' '\n' | awk '$2 != "vgem" { print $2 }'); do
        [ -e "$ocl_pipes/pipe_$ocl_drv.so" ] || ocl_missing="$ocl_missing pipe_$ocl_drv.so"
    done
    if grep -q -e ' Clover | ' -e ' rusticl | ' "$1" && [ -n "$ocl_missing" ] && [ -d "$ocl_pipes" ]; then
        printf '; Mesa OpenCL (clover, rusticl; mesa-opencl-icd %s) loads gallium drivers from %s, which has no%s (only: %s)' \
            "$(dpkg-query -W -f '${Version}' mesa-opencl-icd 2>/dev/null || echo '?')" "$ocl_pipes" \
            "$ocl_missing" "$ocl_have"
    fi
    if grep -q ' Clover | ' "$1"; then
        printf '; clover drives AMD r600/radeonsi GPUs only'
    fi
    if grep -q ' rusticl | ' "$1"; then
        printf '; rusticl drives only RUSTICL_ENABLE drivers (%s)' "$RUSTICL_ENABLE"
    fi
    if grep -q ' Portable Computing Language | ' "$1"; then
        printf '; pocl'"'"'s devices here run on the CPU'
    fi
}

# Probe each non-CPU device listed forwarded; sets ocl_backed to "P D" of
# the first one the forwarded node backs, ocl_why to what the others did.
ocl_probe_devices() { # LIST_IOCTLS
    ocl_backed="" ocl_why="" ocl_probed=0
    while read -r ocl_p ocl_d ocl_rest; do
        ocl_type=$(printf '%s\n' "$ocl_rest" | awk -F ' [|] ' '{ print $3 }')
        case "+$ocl_type+" in
        *+CPU+*)
            echo "device $ocl_p $ocl_d ($ocl_type): a CPU device, not probed" >> "$out/opencl-probe.txt"
            continue ;;
        esac
        ocl_probed=$((ocl_probed + 1))
        ocl_f="$out/opencl-probe-$ocl_p-$ocl_d.txt"
        ocl_res=$(ocl_count "$ocl_f" "$BUILD/bench/cl_matmul" -p "$ocl_p" -d "$ocl_d" -s 16,64 -r 1) ||
            return 1
        ocl_rc=${ocl_res% *} ocl_n=${ocl_res#* }
        echo "device $ocl_p $ocl_d ($ocl_type): forwarded cl_matmul -s 16,64 -r 1: exit $ocl_rc, $ocl_n ioctls" \
            >> "$out/opencl-probe.txt"
        if [ "$ocl_n" -le "$1" ]; then
            ocl_why="$ocl_why; device $ocl_p $ocl_d ($ocl_type) ran a matmul with no more forwarded ioctls ($ocl_n) than listing"
        elif [ "$ocl_rc" -ne 0 ]; then
            ocl_why="$ocl_why; device $ocl_p $ocl_d ($ocl_type) used the node ($ocl_n ioctls) but cl_matmul failed forwarded (exit $ocl_rc: $(grep -m 1 -e '^cl_matmul:' -e '^no OpenCL' "$ocl_f"))"
        elif [ -z "$ocl_backed" ]; then
            ocl_backed="$ocl_p $ocl_d"
        fi
    done <<EOF
$(ocl_device_lines "$out/cl-list-forwarded.txt")
EOF
    [ "$ocl_probed" -gt 0 ] || ocl_why="; every device listed is a CPU one"
}

ocl_no_counts() {
    echo "none: cannot read the backend's ioctl counts ($BUILD/bin/vdri status -s $ocl_status_uri: $(head -n 1 "$out/opencl-status.txt"))"
}

# The verdict line; sets ocl_backed ("P D") when a device is backed.
ocl_decide() {
    ocl_list="$out/cl-list-forwarded.txt"
    ocl_res=$(ocl_count "$ocl_list" "$BUILD/bench/cl_matmul" -l) || { ocl_no_counts; return; }
    ocl_nlist=${ocl_res#* }
    echo "forwarded cl_matmul -l: exit ${ocl_res% *}, $ocl_nlist ioctls" >> "$out/opencl-probe.txt"
    if ! grep -q '^[0-9]' "$ocl_list"; then
        echo "none: no OpenCL platform ($(grep -m 1 . "$ocl_list"))"
        return
    fi
    if [ -z "$(ocl_device_lines "$ocl_list")" ]; then
        ocl_why="; no platform lists a device"
    elif [ "$ocl_nlist" -eq 0 ]; then
        ocl_why="; so no device uses it"
    else
        ocl_probe_devices "$ocl_nlist" || { ocl_no_counts; return; }
    fi
    if [ -n "$ocl_backed" ]; then
        ocl_device_lines "$ocl_list" | awk -v p="${ocl_backed% *}" -v d="${ocl_backed#* }" -F ' [|] ' '
            { split($1, h, " ") }
            h[1] == p && h[2] == d { sub(/^[0-9]+ [0-9]+ /, "", $1); print "backed " $1 "|" $2 }'
        return
    fi
    printf 'none: platforms found: %s; none of them drives the forwarded node (%s): forwarded cl_matmul -l made %s ioctls there%s%s%s\n' \
        "$(ocl_platforms "$ocl_list")" "$(ocl_nodes)" "$ocl_nlist" \
        "$([ "$ocl_nlist" -gt 0 ] && echo ' (drivers probing it)')" "$ocl_why" "$(ocl_notes "$ocl_list")"
}

: > "$out/opencl-probe.txt"
clinfo -l > "$out/clinfo-native.txt" 2>&1 < /dev/null || :
fwd clinfo -l > "$out/clinfo-forwarded.txt" 2>&1 < /dev/null || :
"$BUILD/bench/cl_matmul" -l > "$out/cl-list-native.txt" 2>&1 < /dev/null || :
ocl_backed="" ocl_why=""
ocl_decide > "$out/opencl-verdict.txt"
echo "opencl: $(cat "$out/opencl-verdict.txt")"
if [ -n "$ocl_backed" ]; then
    ocl_p=${ocl_backed% *} ocl_d=${ocl_backed#* }
    clpeak -p "$ocl_p" -d "$ocl_d" --global-bandwidth --compute-sp \
        > "$out/clpeak-native.txt" 2>&1 < /dev/null || :
    fwd clpeak -p "$ocl_p" -d "$ocl_d" --global-bandwidth --compute-sp \
        > "$out/clpeak-forwarded.txt" 2>&1 < /dev/null || :
    "$BUILD/bench/cl_matmul" -p "$ocl_p" -d "$ocl_d" > "$out/matmul-native.txt" 2>&1 < /dev/null || :
    fwd "$BUILD/bench/cl_matmul" -p "$ocl_p" -d "$ocl_d" \
        > "$out/matmul-forwarded.txt" 2>&1 < /dev/null || :
fi
