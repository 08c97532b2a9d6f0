#!/bin/sh
# Runs inside the driver VM for bench/suite.sh: every benchmark that needs
# the DRM device, natively and through libvdri-front.so against a
# vdri-backd in the same VM, so both sides see the same emulated CPU and
# the same virtio_gpu/virgl device.  Raw outputs go to $VDRI_VM_OUT; the
# host turns them into CSV, tables and plots.  Progress lines start with
# "bench:" (the host shows them while the VM runs).
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
# BUILD= ROOT= PARTS= ITER= FRAMES= GLMARK_SECONDS= SCALE= SCALE_SECONDS=
# GUESTS= TRANSPORTS= DEMO_MESSAGES=
. "$out/job.env"
export HOME=/tmp/bench-home
mkdir -p "$HOME"
say() { echo "bench: $*"; }
has() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

# The environment of every number measured here.
{
    echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
    echo "vcpus=$(grep -c ^processor /proc/cpuinfo)"
    echo "kernel=$(uname -r)"
} > "$out/vm-env.txt"
cp /run/vdri-drm.txt "$out/nodes.txt"
CARD="/dev/dri/$(awk '$3 == "virtio_gpu" && $2 ~ /^card/ {print $2; exit}' /run/vdri-drm.txt)"

# The backend: unix and shm listeners, the status socket, and GUESTS guest
# identities (tokens) for the scaling runs.
conf=/run/bench-backd.conf
{
    echo "listen unix:/run/vdri.sock"
    echo "listen shm:/run/vdri-shm.sock"
    echo "export /dev/dri/*"
    echo "status unix:/run/vdri-status.sock"
    g=1
    while [ "$g" -le "$GUESTS" ]; do
        printf 'guest guest%d\n\ttoken bench-guest-%d-token\n\trole display\n\tmax-files 4096\nend\n' "$g" "$g"
        g=$((g + 1))
    done
} > "$conf"
"$BUILD/bin/vdri-backd" -c "$conf" --ready-file /run/ready 2> "$out/backd.log" &
backd=$!
n=0
while [ ! -e /run/ready ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
[ -e /run/ready ] || { say "vdri-backd did not start"; cat "$out/backd.log"; exit 1; }

# fwd_on TRANSPORT GUEST CMD...: CMD under the forwarding library.
fwd_on() {
    case "$1" in
    shm) a=shm:/run/vdri-shm.sock ;;
    *) a=unix:/run/vdri.sock ;;
    esac
    t="bench-guest-$2-token"
    shift 2
    LD_PRELOAD="$BUILD/lib/libvdri-front.so" VDRI_ADDR="$a" VDRI_PATHS='/dev/dri/*' \
        VDRI_TOKEN="$t" "$@"
}
fwd() { fwd_on unix 1 "$@"; }
# run_as MODE CMD...: MODE is native, unix or shm.
run_as() {
    m="$1"
    shift
    if [ "$m" = native ]; then "$@"; else fwd_on "$m" 1 "$@"; fi
}
modes="native $TRANSPORTS"

if has micro; then
    for m in $modes; do
        say "micro: DRM operations ($m, $ITER iterations)"
        run_as "$m" "$BUILD/bench/drm_ops" "$ITER" > "$out/drm_ops-$m.txt" 2>&1
    done
    "$BUILD/bench/null_ioctl" -p -n 2000 > "$out/floor-unix.txt" 2>&1
    "$BUILD/bench/null_ioctl" -P -n 2000 > "$out/floor-shm.txt" 2>&1
fi

if has 3d; then
    mkfifo /run/kmscube.in
    for m in $modes; do
        say "3d: kmscube $FRAMES frames ($m)"
        run_as "$m" kmscube -D "$CARD" -c "$FRAMES" 0<> /run/kmscube.in > "$out/kmscube-$m.txt" 2>&1
        say "3d: vdri-eglgbm $FRAMES frames ($m)"
        run_as "$m" "$BUILD/tests/vm/vdri-eglgbm" "$FRAMES" > "$out/eglgbm-$m.txt" 2>&1
    done
    scenes="build:use-vbo=true shading:shading=phong texture:texture-filter=linear bump:bump-render=normals refract jellyfish"
    for m in $modes; do
        args=""
        for s in $scenes; do args="$args -b $s:duration=$GLMARK_SECONDS"; done
        say "3d: glmark2-es2-drm, $(echo "$scenes" | wc -w) scenes x ${GLMARK_SECONDS}s ($m)"
        # shellcheck disable=SC2086  # the scene list splits on purpose
        run_as "$m" glmark2-es2-drm --off-screen $args > "$out/glmark2-$m.txt" 2>&1
    done
fi

if has game; then
    pk3=/usr/share/games/openarena/baseoa/pak6-patch088.pk3
    if [ -x /usr/games/openarena ] && [ -f "$pk3" ]; then
        # A cut of OpenArena's benchmark demo (bench/demo_cut.py): the whole
        # one takes many minutes per run under TCG.
        d="$HOME/.openarena/baseoa/demos"
        mkdir -p "$d"
        unzip -p "$pk3" demos/demo088-test1.dm_71 > /run/demo088-test1.dm_71
        python3 "$ROOT/bench/demo_cut.py" /run/demo088-test1.dm_71 "$d/vdri-bench.dm_71" \
            "$DEMO_MESSAGES" > "$out/openarena-demo.txt" 2>&1
        for m in $modes; do
            say "game: OpenArena timedemo, $DEMO_MESSAGES messages of demo088-test1 at 320x240 ($m; minutes)"
            SDL_VIDEODRIVER=kmsdrm run_as "$m" timeout 1200 /usr/games/openarena \
                +set r_mode -1 +set r_customwidth 320 +set r_customheight 240 \
                +set r_fullscreen 0 +set s_initsound 0 +set com_hunkmegs 256 \
                +set nextdemo quit +set timedemo 1 +demo vdri-bench \
                > "$out/openarena-$m.txt" 2>&1
            echo "$?" > "$out/openarena-$m.rc"
        done
    else
        echo "none: OpenArena is not installed (scripts/install-deps.sh bench, or apt-get install openarena)" \
            > "$out/openarena-missing.txt"
    fi
fi

if has opencl; then
    say "opencl: clinfo, which device the forwarded node backs"
    # shellcheck source=bench/opencl-job-part.sh
    . "$ROOT/bench/opencl-job-part.sh"
fi

if has scale; then
    for n in $SCALE; do
        for m in $modes; do
            say "scale: $n processes, getparam for ${SCALE_SECONDS}s ($m)"
            start=$(($(date +%s) * 1000 + 1500 + n * 40))
            i=0
            pids=""
            while [ "$i" -lt "$n" ]; do
                g=$((i % GUESTS + 1))
                if [ "$m" = native ]; then
                    "$BUILD/bench/drm_ops" -d "$SCALE_SECONDS" -o getparam -S "$start" \
                        > "$out/scale-$m-$n-$i.txt" 2>&1 &
                else
                    fwd_on "$m" "$g" "$BUILD/bench/drm_ops" -d "$SCALE_SECONDS" -o getparam \
                        -S "$start" > "$out/scale-$m-$n-$i.txt" 2>&1 &
                fi
                pids="$pids $!"
                echo "$i $g" >> "$out/scale-$m-$n.guests"
                i=$((i + 1))
            done
            # shellcheck disable=SC2086
            wait $pids
        done
    done
fi

"$BUILD/bin/vdri" status -s unix:/run/vdri-status.sock > "$out/status-end.txt" 2>&1
kill -TERM "$backd"
wait "$backd"
say "done"
