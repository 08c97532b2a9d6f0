#!/bin/bash
# Isolation between guests against real kernel drivers (issue 4): boots the
# driver VM with vdri-backd serving two guest policies (tests/vm/jobs/
# iso-job.sh), then, from the host, two guests at once through
# libvdri-front.so: partitions (alpha fills its 8 MiB, beta allocates in its
# own, the numbers in `vdri status` match), handle/name/offset/master
# isolation, a hostile frontend (tests/vm/rawguest.c), a worker killed
# under one guest while the other goes on, the seccomp filter on live
# workers, configuration reload on SIGHUP, a guest nobody configured, and a
# driver VM restarted under a guest program that reconnects by itself.
#   tests/vm/isolation.sh [BUILD_DIR]      (default build/release)
# Ends with "N passed, N failed, N skipped".
set -u
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build/release}" && pwd)"
. "$ROOT/tests/vm/lib.sh"

if ! vm_available; then
    echo "SKIP isolation: no qemu-system-x86_64"
    skip=1
    summary
    exit 0
fi
out="$(mktemp -d /tmp/vdri-vm-iso.XXXXXX)"
trap 'vm_kill; [ -n "${VDRI_KEEP_LOGS:-}" ] || rm -rf "$out"' EXIT
printf 'BUILD=%s\nROOT=%s\n' "$BUILD" "$ROOT" > "$out/job.env"
PRELOAD="${VDRI_ASAN_PRELOAD:+$VDRI_ASAN_PRELOAD:}$BUILD/lib/libvdri-front.so"
ISO="$BUILD/tests/vm/vdri-isotest"
TA=alpha-secret-0001 TB=beta-secret-00002

write_conf() { # $1: alpha's system partition
    cat > "$out/iso.conf" <<CONF
listen tcp:0.0.0.0:7070
status unix:/run/vdri-status.sock
export /dev/dri/card*
export /dev/dri/renderD*
guest alpha
    token $TA
    role render
    memory system $1
    memory vram 0
    max-files 64
end
guest beta
    token $TB
    role display
    memory system 64M
end
CONF
}

# vm_cmd SHELL-TEXT: run it in the VM (iso-job.sh's channel), print its output.
# (called in $(...) subshells: the sequence number lives in a file)
vm_cmd() {
    local seq_no
    seq_no=$(( $(cat "$out/cmd.seq" 2>/dev/null || echo 0) + 1 ))
    echo "$seq_no" > "$out/cmd.seq"
    printf '%s\n' "$1" > "$out/cmd/$seq_no.tmp"
    mv "$out/cmd/$seq_no.tmp" "$out/cmd/$seq_no.sh"
    vm_wait_file "$out/cmd/$seq_no.done" 60 >/dev/null || { echo "(no answer from the VM)"; return 1; }
    cp "$out/cmd/$seq_no.out" "$out/vm-cmd-$seq_no.txt"
    cat "$out/cmd/$seq_no.out"
}
vdri_status() { vm_cmd "$BUILD/bin/vdri status"; }
# guest NAME's line / its worker pids, from a status report on stdin
guest_line() { grep "^guest $1 "; }
worker_pids() { awk -v g="$1" '/^guest /{cur=$2} /^  session /{ if (cur == g) print $4 }'; }

# run_guest TOKEN ARGS...: a guest program on the host through the frontend
run_guest() {
    local tok="$1"; shift
    LD_PRELOAD="$PRELOAD" VDRI_ADDR="tcp:127.0.0.1:$port" VDRI_PATHS='/dev/dri/*' \
        VDRI_TOKEN="$tok" "$@"
}

boot() {
    rm -f "$out/ready" "$out/done"
    mkdir -p "$out/cmd"
    rm -f "$out"/cmd/*
    vm_start "$ROOT/tests/vm/jobs/iso-job.sh" "$out" --port "$port" --timeout 600
    vm_wait_file "$out/ready" 300
}

port="$(vm_free_port)"
write_conf 8M
t0=$(date +%s)
if ! boot; then
    bad "driver VM up with vdri-backd and two guest policies"
    tail -30 "$VM_LOG" 2>/dev/null
    summary
    exit 1
fi
ok "driver VM up with vdri-backd and two guest policies ($(($(date +%s) - t0)) s)"
VGEM="/dev/dri/$(awk '$3 == "vgem" && $2 ~ /^card/ {print $2; exit}' "$out/nodes.txt")"

# ---- 1. partitions: alpha fills its 8 MiB while beta allocates 16 MiB of its 64 ----
rm -f "$out/holdA" "$out/holdB"
ISOTEST_HOLD_FILE="$out/holdA" run_guest $TA "$ISO" "$VGEM" fill 1 > "$out/fillA.txt" 2>&1 &
pa=$!
ISOTEST_HOLD_FILE="$out/holdB" run_guest $TB "$ISO" "$VGEM" alloc 16 1 > "$out/allocB.txt" 2>&1 &
pb=$!
vm_wait_file "$out/holdA" 120 && vm_wait_file "$out/holdB" 120
st="$(vdri_status)"
echo "$st" > "$out/status-full.txt"
la="$(echo "$st" | guest_line alpha)" lb="$(echo "$st" | guest_line beta)"
check "alpha: the partition is full: system 8388608/8388608 in vdri status" \
    '[[ "$la" == *" system 8388608/8388608 "* ]]'
check "alpha: the refused create is counted (oom >= 1)" '[[ "$la" =~ \ oom\ [1-9] ]]'
check "beta: 16 MiB of its own 64 MiB, unaffected by alpha" \
    '[[ "$lb" == *" system 16777216/67108864 "* ]]'
check "alpha's render role and beta's display role shown" \
    '[[ "$la" == *"role render"* && "$lb" == *"role display"* ]]'
rm -f "$out/holdA" "$out/holdB"
wait $pa; ra=$?
wait $pb; rb=$?
check "alpha: create past the partition fails with ENOMEM after exactly 8 buffers" \
    'grep -q "^fill created 8 errno ENOMEM" "$out/fillA.txt"'
check "alpha: a freed buffer makes room again; all 8 again after freeing all (exit $ra)" \
    '[ $ra -eq 0 ] && grep -q "^refill ok" "$out/fillA.txt" && grep -q "^again created 8" "$out/fillA.txt"'
check "beta: its 16 buffers written and read back (exit $rb)" \
    '[ $rb -eq 0 ] && grep -q "^alloc ok 16" "$out/allocB.txt"'
sleep 1
st="$(vdri_status)"
check "after both guests exit every byte is back: alpha and beta use 0" \
    '[[ "$(echo "$st" | guest_line alpha)" == *" system 0/8388608 "* && "$(echo "$st" | guest_line beta)" == *" system 0/67108864 "* ]]'

# ---- 2. names, fds, offsets, master: alpha attacks beta's buffer ----
rm -f "$out/b.exp" "$out/expin"
mkfifo "$out/expin"
exec 7<>"$out/expin"    # beta's exporter runs until this writer closes
run_guest $TB "$ISO" "$VGEM" export "$out/b.exp" < "$out/expin" 7>&- > "$out/exportB.txt" 2>&1 &
pe=$!
vm_wait_file "$out/b.exp" 60
run_guest $TA "$ISO" "$VGEM" attack "$out/b.exp" > "$out/attackA.txt" 2>&1
ra=$?
exec 7>&-
wait $pe 2>/dev/null
check "alpha cannot open beta's GEM name" 'grep -q "^refused gem_open errno ENOENT" "$out/attackA.txt"'
check "alpha cannot import beta's PRIME fd number" 'grep -q "^refused prime_import" "$out/attackA.txt"'
check "alpha cannot map beta's buffer offset" 'grep -q "^refused mmap_offset errno EACCES" "$out/attackA.txt"'
check "alpha (render role) cannot become DRM master" 'grep -q "^refused set_master errno EACCES" "$out/attackA.txt"'
check "alpha (render role) cannot set a mode" 'grep -q "^refused setcrtc errno EACCES" "$out/attackA.txt"'
check "the attack ends with nothing allowed (exit $ra)" \
    '[ $ra -eq 0 ] && grep -q "^attack done" "$out/attackA.txt" && ! grep -q "^FAIL" "$out/attackA.txt"'
log="$out/backd.log"
check "the daemon logs why: a GEM name not made by this guest" 'grep -q "GEM name not made by this guest" "$log"'
check "the daemon logs why: an mmap offset not obtained by this guest" 'grep -q "mmap of offset .* refused: offset not obtained" "$log"'
check "the daemon logs why: a display ioctl for a render guest" 'grep -q "DRM_IOCTL_SET_MASTER .* refused: display ioctl, guest role render" "$log"'
run_guest $TB "$ISO" "$VGEM" master > "$out/masterB.txt" 2>&1
check "beta (display role) may become master of its card" 'grep -q "^master ok" "$out/masterB.txt"'

# ---- 3. a hostile frontend speaking the wire protocol itself ----
"$BUILD/tests/vm/vdri-rawguest" "tcp:127.0.0.1:$port" $TA "$VGEM" > "$out/raw.txt" 2>&1
rr=$?
check "adversarial frames (huge counts, bad records, overlapping lengths, self pointers) refused (exit $rr)" \
    '[ $rr -eq 0 ] && grep -q "^case sane ok" "$out/raw.txt" && ! grep -q "^FAIL" "$out/raw.txt"'
sleep 1
st="$(vdri_status)"
check "after the hostile frontend alpha holds nothing" \
    '[[ "$(echo "$st" | guest_line alpha)" == *" system 0/8388608 "* ]]'

# ---- 4. a worker killed under alpha; beta goes on ----
run_guest $TA "$ISO" "$VGEM" loop 100000 > "$out/loopA.txt" 2>&1 &
pa=$!
run_guest $TB "$ISO" "$VGEM" loop 200 > "$out/loopB.txt" 2>&1 &
pb=$!
for _ in $(seq 1 100); do grep -q "^loop 10" "$out/loopA.txt" 2>/dev/null && break; sleep 0.2; done
st="$(vdri_status)"
pids="$(echo "$st" | worker_pids alpha | tr '\n' ' ')"
echo "$st" > "$out/status-loop.txt"
seccomp="$(vm_cmd "for p in $(echo "$st" | worker_pids beta | tr '\n' ' '); do grep -E '^(Seccomp|NoNewPrivs):' /proc/\$p/status; done")"
check "beta's workers run under the seccomp filter with no new privileges" \
    '[[ "$seccomp" == *"Seccomp:	2"* && "$seccomp" == *"NoNewPrivs:	1"* ]]'
vm_cmd "kill -KILL $pids" > /dev/null
t1=$(date +%s)
while kill -0 $pa 2>/dev/null && [ $(($(date +%s) - t1)) -lt 30 ]; do sleep 0.2; done
if kill -0 $pa 2>/dev/null; then
    kill -KILL $pa
    bad "alpha still runs 30 s after its worker was killed"
else
    wait $pa; ra=$?
    check "alpha sees an error at once and ends (exit $ra in $(($(date +%s) - t1)) s): $(grep '^loop error' "$out/loopA.txt")" \
        '[ $ra -eq 2 ] && grep -q "^loop error" "$out/loopA.txt"'
fi
wait $pb; rb=$?
check "beta's loop finishes with correct results (exit $rb)" \
    '[ $rb -eq 0 ] && grep -q "^loop done 200" "$out/loopB.txt"'
check "the daemon saw the worker die" 'grep -q "killed by signal 9" "$log"'
run_guest $TA "$ISO" "$VGEM" alloc 2 1 > "$out/allocA2.txt" 2>&1
check "alpha's next session works" 'grep -q "^alloc ok 2" "$out/allocA2.txt"'

# ---- 5. configuration: a guest nobody configured, reload on SIGHUP ----
run_guest wrong-token-000 "$ISO" "$VGEM" alloc 1 1 > "$out/stranger.txt" 2>&1
check "a peer whose token matches no guest is refused: its open gets EACCES" \
    '! grep -q "^alloc ok" "$out/stranger.txt" && grep -q "EACCES" "$out/stranger.txt"'
check "... and the daemon says why" 'grep -q "no guest policy matches" "$log"'
write_conf 16M
vm_cmd "cp $out/iso.conf /tmp/iso.conf && echo 'ready-file $out/ready' >> /tmp/iso.conf && kill -HUP \$BACKD_PID" > /dev/null
sleep 1
run_guest $TA "$ISO" "$VGEM" fill 1 > "$out/fillA16.txt" 2>&1
check "after SIGHUP alpha's partition is 16 MiB" 'grep -q "^fill created 16 errno ENOMEM" "$out/fillA16.txt"'
vm_cmd "echo 'guest broken' >> /tmp/iso.conf && kill -HUP \$BACKD_PID" > /dev/null
sleep 1
check "a bad configuration on SIGHUP is refused with its line, the old one kept" \
    'grep -q "iso.conf:[0-9]*: .*configuration not reloaded\|iso.conf:[0-9]*:" "$log" && grep -q "configuration not reloaded" "$log"'
run_guest $TB "$ISO" "$VGEM" alloc 2 1 > "$out/allocB3.txt" 2>&1
check "guests keep working after the refused reload" 'grep -q "^alloc ok 2" "$out/allocB3.txt"'

# ---- 6. the driver VM restarts under a guest program with no open file ----
rm -f "$out/holdR"
ISOTEST_HOLD_FILE="$out/holdR" run_guest $TB "$ISO" "$VGEM" reopen > "$out/reopen.txt" 2>&1 &
pr=$!
vm_wait_file "$out/holdR" 60
touch "$out/done"
vm_wait > /dev/null 2>&1
grep -q "AddressSanitizer\|runtime error" "$out"/asan-backd.* 2>/dev/null && bad "sanitizer reports from the backend"
if boot; then
    ok "the driver VM restarted"
    rm -f "$out/holdR"
    wait $pr; rr=$?
    check "the guest program that kept running opens again on the new VM (exit $rr)" \
        '[ $rr -eq 0 ] && grep -q "^reopen ok" "$out/reopen.txt"'
else
    bad "the driver VM restarted"
    kill $pr 2>/dev/null
fi
touch "$out/done"
vm_wait > /dev/null 2>&1 || true
summary
