#!/usr/bin/env bash
# The benchmark suite end to end, short (bench/suite.sh --quick): the host
# null ioctl, then one driver-VM boot with DRM micro, 3D (kmscube, our GLES2
# program, glmark2), OpenCL detection and the scale runs, native and through
# unix and shm.  Checks that every table holds real numbers for every mode,
# that nothing failed, and that plots and the summary were written.  Speed
# is not asserted (numbers of a --quick run are noise).
#   tests/vm/bench-suite.sh [BUILD_DIR]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"
if ! vm_available; then
    echo "SKIP qemu-system-x86_64 missing"
    skip=1
    summary
    exit 0
fi
out="$(mktemp -d /tmp/vdri-bench-suite-test.XXXXXX)"
# VDRI_KEEP=1 keeps the results folder for a look
trap '[ "${VDRI_KEEP:-0}" = 1 ] && echo "kept $out" || rm -rf "$out"' EXIT
readme_before="$(md5sum < "$ROOT/README.md")"

"$ROOT/bench/suite.sh" --parts nonsense > "$out/bad.log" 2>&1
rc=$?
check "an unknown part is refused (exit 2, named)" '[ $rc = 2 ] && grep -q "unknown part .nonsense." "$out/bad.log"'

start=$(date +%s)
"$ROOT/bench/suite.sh" --quick --parts host,micro,3d,opencl,scale --out "$out/r" --build "$B" \
    --no-readme > "$out/suite.log" 2>&1
rc=$?
check "the quick suite runs to the end (exit 0, $(($(date +%s) - start)) s)" '[ $rc = 0 ]'
[ $rc = 0 ] || tail -30 "$out/suite.log"
r="$out/r"
check "progress lines name each part" \
    'grep -q "host: null ioctl" "$out/suite.log" && grep -q "micro: DRM operations" "$out/suite.log" &&
     grep -q "3d: glmark2" "$out/suite.log" && grep -q "scale: 4 processes" "$out/suite.log"'
num() { [[ "$1" =~ ^[0-9]+(\.[0-9]+)?$ ]] && awk -v x="$1" 'BEGIN { exit !(x > 0) }'; }
# a CSV row's column by the row's first columns
col() { # FILE KEYREGEX COLUMN
    awk -F, -v k="$2" -v c="$3" 'NR > 1 && $0 ~ k { print $c; exit }' "$1"
}
check "env.csv records the VM and the host environments" \
    'grep -q "^vm,.*QEMU .* TCG" "$r/env.csv" && grep -q "^host," "$r/env.csv"'
check "host null ioctl: native, unix, tcp and shm medians" \
    '(for t in native unix tcp shm; do num "$(col "$r/null_ioctl.csv" "^$t,1," 3)" || exit 1; done)'
for m in native unix shm; do
    check "drm_ops getparam $m: a median and a p99" \
        'num "$(col "$r/drm_ops.csv" "^getparam,'$m'," 3)" && num "$(col "$r/drm_ops.csv" "^getparam,'$m'," 4)"'
    check "3d kmscube $m: fps and ms/frame" \
        'num "$(col "$r/3d.csv" "^kmscube,-,'$m'," 4)" && num "$(col "$r/3d.csv" "^kmscube,-,'$m'," 5)"'
    check "3d glmark2 $m: every scene has fps" \
        '[ "$(grep -c "^glmark2,[a-z]*,'$m'," "$r/3d.csv")" -ge 6 ] &&
         ! grep "^glmark2,[a-z]*,'$m'," "$r/3d.csv" | cut -d, -f4 | grep -qv "^[0-9.]*$"'
    check "3d vdri-eglgbm $m: fps (its pixels are checked by the program)" \
        'num "$(col "$r/3d.csv" "^vdri-eglgbm,-,'$m'," 4)"'
    for n in 1 4; do
        check "scale $n processes $m: throughput, none failed" \
            'num "$(col "$r/scale_summary.csv" "^'$n','$m'," 3)" && [ "$(col "$r/scale_summary.csv" "^'$n','$m'," 11)" = 0 ]'
    done
done
check "forwarded rows carry an added frame time and a ratio to native" \
    '[[ "$(col "$r/3d.csv" "^kmscube,-,unix," 6)" =~ ^[-+][0-9] ]] && num "$(col "$r/3d.csv" "^kmscube,-,unix," 7)"'
check "scale: 4 forwarded processes spread over 4 guests, fairness in (0,1]" \
    '[ "$(col "$r/scale_summary.csv" "^4,unix," 7)" = 4 ] &&
     awk -v f="$(col "$r/scale_summary.csv" "^4,unix," 6)" "BEGIN { exit !(f > 0 && f <= 1.0005) }"'
check "OpenCL: a verdict, and the table says why when skipped" \
    'grep -q "^\(backed\|none: \)" "$r/opencl-verdict.txt" &&
     { grep -q "^backed" "$r/opencl-verdict.txt" || grep -q "^Skipped: no OpenCL device is backed" "$r/opencl.md"; }'
check "Markdown tables head with their environment" \
    '(for f in drm_ops 3d scale; do grep -q "Environment: .*driver VM: QEMU" "$r/$f.md" || exit 1; done)'
check "plots: SVG (valid XML) and PNG for 3d, drm_ops, scale, null ioctl" \
    '(for p in 3d drm_ops scale-throughput scale-p99 null_ioctl; do
         xmllint --noout "$r/$p.svg" 2>/dev/null && [ "$(head -c 4 "$r/$p.png" | tail -c 3)" = PNG ] || exit 1
     done)'
check "SUITE.md has every section and links its plots" \
    '(for s in "Null ioctl on the host" "DRM operations" "### 3D" "### OpenCL" "### Scale"; do
         grep -q "$s" "$r/SUITE.md" || exit 1; done) && grep -q "](3d.svg)" "$r/SUITE.md"'
check "--no-readme left README.md alone" '[ "$(md5sum < "$ROOT/README.md")" = "$readme_before" ]'
summary
