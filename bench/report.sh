# shellcheck shell=bash
# Turns the raw outputs of bench/jobs/suite-job.sh into CSV, Markdown and
# plots (sourced by bench/suite.sh; tests/vm/bench-suite.sh checks it).
#   report_all VMOUT OUTDIR    writes OUTDIR/{env,drm_ops,3d,scale,...}.csv,
#                              *.md, *.svg/*.png and OUTDIR/SUITE.md
#   report_readme SUITE.md README.md
# Numbers are copied from the programs' own output; nothing is invented:
# a program that printed no result gives a row saying so.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ratio A B: B / A with 2 decimals, "-" when A is not a positive number
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "" && b != "-") printf "%.2f", b / a; else print "-" }'; }

report_env() { # VMOUT OUTDIR
    local v="$1" o="$2" cpu vcpus kernel qemu renderer
    cpu="$(sed -n 's/^cpu=//p' "$v/vm-env.txt")"
    vcpus="$(sed -n 's/^vcpus=//p' "$v/vm-env.txt")"
    kernel="$(sed -n 's/^kernel=//p' "$v/vm-env.txt")"
    qemu="$(qemu-system-x86_64 --version | head -1 | awk '{print $4}')"
    renderer="$(sed -n 's/^ *GL_RENDERER: *//p' "$v"/glmark2-native.txt 2>/dev/null | head -1)"
    [ -n "$renderer" ] || renderer="virgl (host llvmpipe)"
    VM_ENV="$(date -u +%Y-%m-%d), driver VM: QEMU $qemu TCG, $vcpus vCPUs ($cpu) on a $(nproc)-core $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //') host, kernel $kernel, virtio-vga-gl ($renderer, EDID off, 640x480 preferred) + vgem; native = a process in the driver VM; unix/shm = the same program in the same VM through libvdri-front.so to vdri-backd over a unix socket / the shared-memory ring"
    {
        echo "id,date,platform,cpu,cores,kernel,device,transports"
        printf 'vm,%s,"QEMU %s TCG on %s-core host","%s",%s,%s,"virtio_gpu (%s) + vgem","native; unix; shm (same VM)"\n' \
            "$(date -u +%Y-%m-%d)" "$qemu" "$(nproc)" "$cpu" "$vcpus" "$kernel" "$renderer"
        printf 'host,%s,"no VM","%s",%s,%s,"/dev/ptmx","native; unix; tcp; shm (same host)"\n' \
            "$(date -u +%Y-%m-%d)" "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" "$(nproc)" "$(uname -r)"
    } > "$o/env.csv"
}

# ---- micro: DRM operations ---------------------------------------------------
report_micro() { # VMOUT OUTDIR
    local v="$1" o="$2" m
    [ -f "$v/drm_ops-native.txt" ] || return 0
    echo "operation,mode,median_us,p99_us,iterations,median_vs_native,added_us,environment" > "$o/drm_ops.csv"
    for m in $MODES; do
        awk -v m="$m" -v nf="$v/drm_ops-native.txt" '
            BEGIN { while ((getline l < nf) > 0) { split(l, f, " "); nat[f[1]] = f[2] } }
            NF >= 4 && $2 ~ /^[0-9.]+$/ {
                n = nat[$1] + 0
                printf "%s,%s,%s,%s,%s,%s,%s,vm\n", $1, m, $2, $3, $4,
                    (n > 0 ? sprintf("%.2f", $2 / n) : "-"), (n > 0 ? sprintf("%.1f", $2 - n) : "-")
                next }
            NF >= 2 { printf "%s,%s,-,-,0,-,-,vm\n", $1, m }' "$v/drm_ops-$m.txt" >> "$o/drm_ops.csv"
    done
    {
        echo "DRM operations, µs per operation, median (p99). Environment: $VM_ENV."
        echo
        printf '| operation |'; for m in $MODES; do printf ' %s |' "$m"; done
        for m in $MODES; do [ "$m" = native ] || printf ' %s / native |' "$m"; done; echo
        printf '|---|'; for m in $MODES; do printf -- '---|'; done
        for m in $MODES; do [ "$m" = native ] || printf -- '---|'; done; echo
        awk -F, -v modes="$MODES" 'NR > 1 { k = $1 SUBSEP $2; med[k] = $3; p99[k] = $4; r[k] = $6
                if (!($1 in seen)) { seen[$1] = 1; ops[++n] = $1 } }
            END { nm = split(modes, ms, " ")
                for (i = 1; i <= n; i++) { printf "| %s |", ops[i]
                    for (j = 1; j <= nm; j++) { k = ops[i] SUBSEP ms[j]
                        printf " %s |", (med[k] == "-" || med[k] == "" ? "not supported by the driver" : med[k] " (" p99[k] ")") }
                    for (j = 1; j <= nm; j++) if (ms[j] != "native") { k = ops[i] SUBSEP ms[j]
                        printf " %s |", (r[k] == "-" || r[k] == "" ? "-" : r[k] "x") }
                    print "" } }' "$o/drm_ops.csv"
        for f in unix shm; do
            [ -s "$v/floor-$f.txt" ] || continue
            read -r a b _ < "$v/floor-$f.txt"
            echo
            echo "Floor in the same VM, no vdri: a 64-byte round trip between two processes over $([ $f = unix ] && echo "a unix socketpair" || echo "the shm rings"): $a µs median, $b µs p99."
        done
    } > "$o/drm_ops.md"
    plot_bars "$o/drm_ops.csv" 1 2 6 "$o/drm_ops" "forwarded / native (median latency)" "DRM operations in the driver VM" native
}

# ---- 3D: kmscube, the GLES2 program, glmark2 scenes, OpenArena -----------------
report_3d() { # VMOUT OUTDIR
    local v="$1" o="$2" m line
    [ -f "$v/kmscube-native.txt" ] || [ -f "$v/openarena-native.txt" ] || [ -f "$v/openarena-missing.txt" ] || return 0
    echo "program,test,mode,fps,frame_ms,frame_ms_added,fps_vs_native,environment" > "$o/3d.csv"
    : > "$o/3d.raw"
    for m in $MODES; do
        # kmscube: "Rendered N frames in S sec (F fps)"
        line="$(sed -n 's/.*Rendered \([0-9]*\) frames in \([0-9.]*\) sec (\([0-9.]*\) fps).*/\1 \2 \3/p' "$v/kmscube-$m.txt" 2>/dev/null | tail -1)"
        [ -z "$line" ] || echo "kmscube $m $(awk -v l="$line" 'BEGIN { split(l, f, " "); printf "%s %.3f", f[3], f[2] * 1000 / f[1] }')" >> "$o/3d.raw"
        line="$(sed -n 's/^~frames.*: \([0-9.]*\) fps, \([0-9.]*\) ms\/frame/\1 \2/p' "$v/eglgbm-$m.txt" 2>/dev/null | tail -1)"
        [ -z "$line" ] || echo "vdri-eglgbm $m $line" >> "$o/3d.raw"
        # glmark2: "[scene] options: FPS: F FrameTime: T ms" and "glmark2 Score: S"
        [ -f "$v/glmark2-$m.txt" ] && awk -v m="$m" '
            /FPS: [0-9]/ { s = $1; gsub(/[][]/, "", s); for (i = 1; i <= NF; i++) { if ($i == "FPS:") f = $(i + 1); if ($i == "FrameTime:") t = $(i + 1) }
                print "glmark2:" s, m, f, t }
            /glmark2 Score:/ { print "glmark2:score", m, $NF, "-" }' "$v/glmark2-$m.txt" >> "$o/3d.raw"
        # OpenArena: "N frames S seconds F fps min/avg/max/stddev ms"
        line="$(sed -n 's/^\([0-9]*\) frames \([0-9.]*\) seconds \([0-9.]*\) fps \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\) ms.*/\3 \5 \1 \6/p' "$v/openarena-$m.txt" 2>/dev/null | tail -1)"
        [ -z "$line" ] || echo "openarena:demo088-test1 $m $line" >> "$o/3d.raw"
    done
    awk -v modes="$MODES" '{ k = $1 SUBSEP $2; fps[k] = $3; ms[k] = $4; if (!($1 in seen)) { seen[$1] = 1; t[++n] = $1 } }
        END { nm = split(modes, mm, " ")
            for (i = 1; i <= n; i++) { split(t[i], pt, ":"); prog = pt[1]; test = (pt[2] == "" ? "-" : pt[2])
                nk = t[i] SUBSEP "native"
                for (j = 1; j <= nm; j++) { k = t[i] SUBSEP mm[j]; if (!(k in fps)) continue
                    added = (ms[nk] ~ /^[0-9.]+$/ && ms[k] ~ /^[0-9.]+$/) ? sprintf("%+.2f", ms[k] - ms[nk]) : "-"
                    # the ratio from frame times where both exist (glmark2 rounds fps)
                    if (ms[nk] + 0 > 0 && ms[k] + 0 > 0) r = sprintf("%.3f", ms[nk] / ms[k])
                    else r = (fps[nk] + 0 > 0) ? sprintf("%.3f", fps[k] / fps[nk]) : "-"
                    printf "%s,%s,%s,%.1f,%s,%s,%s,vm\n", prog, test, mm[j], fps[k],
                        (ms[k] ~ /^[0-9.]+$/ ? sprintf("%.2f", ms[k]) : "-"), added, r } } }' \
        "$o/3d.raw" >> "$o/3d.csv"
    rm -f "$o/3d.raw"
    {
        echo "3D, frames per second and ms per frame; \"added\" is the forwarded frame time minus the native one. Environment: $VM_ENV."
        echo
        echo "| program | test | mode | fps | ms/frame | added ms/frame | fps vs native |"
        echo "|---|---|---|---|---|---|---|"
        awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, ($7 == "-" ? "-" : sprintf("%.1f %%", $7 * 100)) }' "$o/3d.csv"
        sz="$(sed -n 's/^ *Surface Size: *//p' "$v/glmark2-native.txt" 2>/dev/null | head -1)"
        [ -z "$sz" ] || { echo; echo "glmark2-es2-drm renders off-screen at the mode it picks (the largest the connector lists): $sz. kmscube and vdri-eglgbm: $FRAMES frames each."; }
        if [ -s "$v/openarena-demo.txt" ]; then
            read -r k t < "$v/openarena-demo.txt"
            echo; echo "OpenArena 0.8.8 (ioquake3, SDL kmsdrm on the card node, desktop GL 4.3 through virgl): timedemo of the first $k of the $t messages of its benchmark demo demo088-test1 (bench/demo_cut.py) at 320x240; fps and the average ms/frame are the game's own timedemo figures."
            printf '\nOpenArena level load (the game'"'"'s CL_InitCGame time, seconds; textures and models uploaded):'
            for m in $MODES; do
                printf ' %s %s' "$m" "$(awk '/^CL_InitCGame: / { s += $2; n++ } END { if (n) printf "%.1f s", s; else print "-" }' "$v/openarena-$m.txt" 2>/dev/null)"
                [ "$m" = "${MODES##* }" ] && echo "." || printf ';'
            done
        fi
        for m in $MODES; do
            if [ -f "$v/openarena-$m.rc" ] && ! grep -q ' frames .* seconds .* fps' "$v/openarena-$m.txt" 2>/dev/null; then
                echo; echo "OpenArena ($m) printed no timedemo result (exit $(cat "$v/openarena-$m.rc")); last lines: $(grep -av 'GL_EXTENSIONS' "$v/openarena-$m.txt" | tail -3 | tr '\n' ' ' | tr -d '|')"
            fi
        done
        [ ! -f "$v/openarena-missing.txt" ] || { echo; sed 's/^none: /OpenArena skipped: /' "$v/openarena-missing.txt"; }
    } > "$o/3d.md"
    awk -F, 'NR == 1 { print "label,mode,x,fps"; next } $2 != "score" { print ($2 == "-" ? $1 : $1 ":" $2) "," $3 ",0," $4 }' "$o/3d.csv" > "$o/3d-plot.csv"
    plot_bars "$o/3d-plot.csv" 1 2 4 "$o/3d" "frames per second" "3D programs, native vs forwarded (virgl, TCG driver VM)"
    rm -f "$o/3d-plot.csv"
}

# ---- OpenCL ---------------------------------------------------------------------
report_opencl() { # VMOUT OUTDIR
    local v="$1" o="$2" verdict
    [ -f "$v/opencl-verdict.txt" ] || return 0
    verdict="$(cat "$v/opencl-verdict.txt")"
    {
        echo "OpenCL. Environment: $VM_ENV."
        echo
        case "$verdict" in
        backed*)
            echo "The forwarded device backs an OpenCL device: ${verdict#backed }."
            echo
            echo "| test | native | forwarded | forwarded / native |"
            echo "|---|---|---|---|"
            join -j 1 <(awk '/^matmul/ { print $2 "-" $3, $6 }' "$v/matmul-native.txt" | sort) \
                <(awk '/^matmul/ { print $2 "-" $3, $6 }' "$v/matmul-forwarded.txt" | sort) |
                while read -r t a b; do echo "| matmul $t (GFLOP/s) | $a | $b | $(ratio "$a" "$b")x |"; done
            echo
            echo "clpeak natively and forwarded: clpeak-native.txt, clpeak-forwarded.txt."
            ;;
        *)
            echo "Skipped: no OpenCL device is backed by the forwarded DRM device on this machine."
            echo "${verdict#none: }"
            echo
            echo "The suite runs clinfo, clpeak and the matrix multiply (bench/cl_matmul.c, checked against a CPU reference) natively and forwarded wherever an OpenCL driver drives the exported node: AMD GPUs (Mesa clover/rusticl on radeonsi) or Intel GPUs (rusticl on iris) passed to the driver VM."
            ;;
        esac
    } > "$o/opencl.md"
    cp "$v"/clinfo-*.txt "$v"/opencl-*.txt "$o/" 2>/dev/null || true
    cp "$v"/clpeak-*.txt "$v"/matmul-*.txt "$o/" 2>/dev/null || true
}

# ---- scale: many processes of several guests -------------------------------------
report_scale() { # VMOUT OUTDIR
    local v="$1" o="$2" n m i g
    ls "$v"/scale-*.guests > /dev/null 2>&1 || return 0
    echo "processes,mode,process,guest,ops,seconds,ops_per_s,median_us,p99_us,max_us,environment" > "$o/scale.csv"
    for n in $SCALE; do
        for m in $MODES; do
            [ -f "$v/scale-$m-$n.guests" ] || continue
            while read -r i g; do
                awk -v n="$n" -v m="$m" -v i="$i" -v g="$g" '$2 == "ops" && $3 > 0 {
                        printf "%s,%s,%s,%s,%s,%s,%.1f,%s,%s,%s,vm\n", n, m, i, (m == "native" ? "-" : "guest" g), $3, $7, $3 / $7, $4, $5, $6; f = 1 }
                    END { if (!f) printf "%s,%s,%s,%s,0,-,0,-,-,-,vm\n", n, m, i, (m == "native" ? "-" : "guest" g) }' \
                    "$v/scale-$m-$n-$i.txt" >> "$o/scale.csv"
            done < "$v/scale-$m-$n.guests"
        done
    done
    # Jain's fairness index (sum x)^2 / (n * sum x^2): 1 = all equal.
    echo "processes,mode,total_ops_per_s,median_of_medians_us,worst_p99_us,fairness_processes,guests,guest_ops_per_s_min,guest_ops_per_s_max,fairness_guests,failed_processes,environment" > "$o/scale_summary.csv"
    awk -F, 'NR > 1 { k = $1 SUBSEP $2; if (!(k in seen)) { seen[k] = 1; keys[++nk] = k }
            c[k]++; x = $7 + 0; s[k] += x; s2[k] += x * x; if ($5 == 0) bad[k]++
            med[k, c[k]] = $8 + 0; if ($9 + 0 > p99[k]) p99[k] = $9 + 0
            if ($4 != "-") { gk = k SUBSEP $4; if (!(gk in gs)) { ng[k]++; gname[k, ng[k]] = $4 } gs[gk] += x } }
        END { for (q = 1; q <= nk; q++) { k = keys[q]; split(k, kk, SUBSEP); n = c[k]
                for (i = 1; i <= n; i++) a[i] = med[k, i]
                for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
                mm = a[int((n + 1) / 2)]
                jf = (s2[k] > 0) ? s[k] * s[k] / (n * s2[k]) : 0
                gmin = ""; gmax = 0; gsum = 0; gsum2 = 0
                for (i = 1; i <= ng[k]; i++) { y = gs[k SUBSEP gname[k, i]]; gsum += y; gsum2 += y * y
                    if (gmin == "" || y < gmin) gmin = y; if (y > gmax) gmax = y }
                gj = (ng[k] > 0 && gsum2 > 0) ? sprintf("%.3f", gsum * gsum / (ng[k] * gsum2)) : "-"
                printf "%s,%s,%.0f,%.1f,%.1f,%.3f,%s,%s,%s,%s,%d,vm\n", kk[1], kk[2], s[k], mm, p99[k], jf,
                    (ng[k] ? ng[k] : "-"), (gmin == "" ? "-" : sprintf("%.0f", gmin)), (ng[k] ? sprintf("%.0f", gmax) : "-"), gj, bad[k] } }' \
        "$o/scale.csv" | sort -t, -k1,1n -k2,2 >> "$o/scale_summary.csv"
    {
        echo "Scale: N processes at once, each repeating virtio_gpu GETPARAM for ${SCALE_SECONDS}s on its own open file; forwarded processes belong to $GUESTS guests (tokens, round robin). Fairness is Jain's index over processes (and over guests' totals): 1.0 = equal shares. Environment: $VM_ENV."
        echo
        echo "| processes | mode | total ops/s | median µs (median of processes) | worst p99 µs | fairness (processes) | per-guest ops/s min - max | fairness (guests) | failed |"
        echo "|---|---|---|---|---|---|---|---|---|"
        awk -F, 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, ($8 == "-" ? "-" : $8 " - " $9), $10, $11 }' "$o/scale_summary.csv"
    } > "$o/scale.md"
    plot_lines "$o/scale_summary.csv" 3 "$o/scale-throughput" "total operations per second" "Scale: GETPARAM throughput vs processes"
    plot_lines "$o/scale_summary.csv" 5 "$o/scale-p99" "worst p99 latency (µs)" "Scale: tail latency vs processes"
}

# ---- plots (gnuplot; skipped with a note when it is missing) ----------------------
have_gnuplot() {
    command -v gnuplot > /dev/null 2>&1 && return 0
    echo "bench: gnuplot not installed (apt-get install gnuplot-nox): no plots" >&2
    return 1
}
# plot_bars CSV LABELCOL MODECOL VALUECOL OUTBASE YLABEL TITLE [SKIPMODE]
# clustered bars: one cluster per label, one bar per mode
plot_bars() {
    local csv="$1" lc="$2" mc="$3" vc="$4" base="$5" yl="$6" title="$7" skip="${8:-}" dat modes term
    have_gnuplot || return 0
    dat="$base.dat"
    modes="$(awk -F, -v mc="$mc" -v s="$skip" 'NR > 1 && $mc != s && !seen[$mc]++ { printf "%s ", $mc }' "$csv")"
    awk -F, -v lc="$lc" -v mc="$mc" -v vc="$vc" -v modes="$modes" '
        NR > 1 { k = $lc; if (!(k in seen)) { seen[k] = 1; l[++n] = k } v[k, $mc] = ($vc ~ /^[0-9.]+$/ ? $vc : "NaN") }
        END { nm = split(modes, mm, " "); printf "label"; for (j = 1; j <= nm; j++) printf " %s", mm[j]; print ""
            for (i = 1; i <= n; i++) { printf "\"%s\"", l[i]; for (j = 1; j <= nm; j++) printf " %s", ((l[i], mm[j]) in v ? v[l[i], mm[j]] : "NaN"); print "" } }' \
        "$csv" > "$dat"
    for term in svg png; do
        gnuplot <<EOF 2> /dev/null || echo "bench: gnuplot failed on $base.$term" >&2
set terminal $([ $term = svg ] && echo "svg size 900,480 dynamic" || echo "pngcairo size 900,480")
set output "$base.$term"
set title "$title"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set ylabel "$yl"
set xtics rotate by -30 scale 0 font ",9"
set key top right
set grid ytics
plot for [c=2:$(($(echo "$modes" | wc -w) + 1))] "$dat" using c:xtic(1) title columnhead
EOF
    done
    rm -f "$dat"
}
# plot_lines SUMMARYCSV VALUECOL OUTBASE YLABEL TITLE: one line per mode over col 1
plot_lines() {
    local csv="$1" vc="$2" base="$3" yl="$4" title="$5" m plots="" term
    have_gnuplot || return 0
    for m in $(awk -F, 'NR > 1 && !seen[$2]++ { print $2 }' "$csv"); do
        awk -F, -v m="$m" -v vc="$vc" 'NR > 1 && $2 == m { print $1, $vc }' "$csv" > "$base-$m.dat"
        plots="$plots${plots:+, }\"$base-$m.dat\" using 1:2 with linespoints lw 2 title \"$m\""
    done
    [ -n "$plots" ] || return 0
    for term in svg png; do
        gnuplot <<EOF 2> /dev/null || echo "bench: gnuplot failed on $base.$term" >&2
set terminal $([ $term = svg ] && echo "svg size 720,420 dynamic" || echo "pngcairo size 720,420")
set output "$base.$term"
set title "$title"
set logscale x 2
set xlabel "concurrent processes"
set ylabel "$yl"
set grid
set key top left
plot $plots
EOF
    done
    rm -f "$base"-*.dat
}

# The host null-ioctl table gets its plot too (bench/run.sh wrote the CSV).
report_host_plot() { # OUTDIR
    local o="$1"
    [ -f "$o/null_ioctl.csv" ] || return 0
    awk -F, 'NR == 1 { print "label,clients,x,median"; next } { print $1 "," $2 "-client" ($2 > 1 ? "s" : "") ",0," $3 }' \
        "$o/null_ioctl.csv" > "$o/null_ioctl-plot.csv"
    plot_bars "$o/null_ioctl-plot.csv" 1 2 4 "$o/null_ioctl" "median µs per call" "Null ioctl on the host: native vs forwarded per transport"
    rm -f "$o/null_ioctl-plot.csv"
}

report_all() { # VMOUT OUTDIR
    local v="$1" o="$2" f
    MODES="native $(sed -n "s/^TRANSPORTS='\(.*\)'/\1/p" "$v/job.env")"
    report_env "$v" "$o"
    report_micro "$v" "$o"
    report_3d "$v" "$o"
    report_opencl "$v" "$o"
    report_scale "$v" "$o"
    report_host_plot "$o"
    {
        echo "vdri benchmark suite, $(date -u '+%Y-%m-%d %H:%M UTC'). Environments: env.csv."
        for f in null_ioctl drm_ops 3d opencl scale; do
            [ -f "$o/$f.md" ] || continue
            echo
            echo "### $(case $f in null_ioctl) echo "Null ioctl on the host" ;; drm_ops) echo "DRM operations" ;;
                3d) echo "3D" ;; opencl) echo "OpenCL" ;; scale) echo "Scale" ;; esac)"
            echo
            cat "$o/$f.md"
            for p in "$o/$f.svg" "$o/$f"-*.svg; do
                [ -f "$p" ] && echo && echo "![$(basename "$p" .svg)](@RESULTS@$(basename "$p"))"
            done
        done
    } > "$o/SUITE.tmpl"
    sed 's|@RESULTS@||g' "$o/SUITE.tmpl" > "$o/SUITE.md"
}

report_readme() { # OUTDIR README: plots linked relative to the README
    local rel
    rel="$(realpath --relative-to="$(dirname "$2")" "$1")/"
    sed "s|@RESULTS@|$rel|g" "$1/SUITE.tmpl" > "$1/SUITE.readme"
    readme_section suite "$1/SUITE.readme" "$2" || echo "bench: README.md has no bench:suite markers; not updated" >&2
    rm -f "$1/SUITE.readme"
}
