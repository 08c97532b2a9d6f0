# shellcheck shell=bash
# Helpers for tests that boot the driver VM (appliance/vm.sh).  Source it:
#
#   . tests/vm/lib.sh
#   trap vm_kill EXIT
#   vm_start tests/vm/jobs/my-job.sh "$out" --port "$(vm_free_port)"
#   vm_wait_file "$out/ready" 60 || fail ...
#   ...talk to the VM...
#   rc=0; vm_wait || rc=$?
#
# vm_start JOB OUTDIR [vm.sh run options...]
#     boots a VM running JOB in the background; OUTDIR is /vmout in the VM
#     ($VDRI_VM_OUT).  Sets VM_PID, VM_OUT, VM_LOG (the console log) and
#     VM_RUNLOG (vm.sh's own messages, OUTDIR/vm.sh.log).  Several VMs may run
#     at once: save $VM_PID and pass it to vm_wait / vm_kill.
# vm_wait_file PATH TIMEOUT
#     waits up to TIMEOUT seconds for PATH to exist; returns 1 on timeout and
#     2 at once if the VM (VM_PID) has ended.
# vm_wait [PID]     waits for the VM; returns vm.sh's status (the job's exit
#                   status, 124 timeout, 125 VM died without reporting one).
# vm_kill [PID]     stops the VM (vm.sh kills QEMU and its Xvfb); no-op if gone.
# vm_free_port      prints a TCP port on 127.0.0.1 nobody listens on (for --port).
# vm_available      returns 0 when QEMU is installed (tests may SKIP otherwise).
#
# Bookkeeping for test scripts: ok TEXT / bad TEXT print PASS/FAIL lines and
# count them, check TEXT EXPR evaluates EXPR and calls one of them, summary
# prints "N passed, N failed, N skipped" and fails if anything failed.

VDRI_ROOT="${VDRI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
VDRI_VM_SH="$VDRI_ROOT/appliance/vm.sh"
VM_PID="" VM_OUT="" VM_LOG="" VM_RUNLOG=""
pass=0 fail=0 skip=0
ok() { echo "PASS $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
summary() { echo "$pass passed, $fail failed, $skip skipped"; [ "$fail" -eq 0 ]; }

vm_available() {
    command -v qemu-system-x86_64 >/dev/null 2>&1
}

vm_start() {
    if [ $# -lt 2 ]; then echo "vm_start: usage: vm_start JOB OUTDIR [vm.sh options]" >&2; return 2; fi
    local job="$1" out="$2"
    shift 2
    mkdir -p "$out" || return 2
    VM_OUT="$(cd "$out" && pwd)"
    VM_LOG="$VM_OUT/console.log"
    VM_RUNLOG="$VM_OUT/vm.sh.log"
    "$VDRI_VM_SH" run --job "$job" --out "$VM_OUT" "$@" </dev/null >"$VM_RUNLOG" 2>&1 &
    VM_PID=$!
}

vm_wait_file() {
    local path="$1" timeout="${2:-60}" pid="${VM_PID:-}" end
    end=$(( $(date +%s) + timeout ))
    while [ ! -e "$path" ]; do
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            [ -e "$path" ] && return 0
            echo "vm_wait_file: the VM ended before $path appeared (see ${VM_LOG:-its console log})" >&2
            return 2
        fi
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "vm_wait_file: $path did not appear within ${timeout}s" >&2
            return 1
        fi
        sleep 0.1
    done
}

vm_wait() {
    local pid="${1:-$VM_PID}" rc=0
    [ -n "$pid" ] || { echo "vm_wait: no VM started" >&2; return 2; }
    wait "$pid" || rc=$?
    [ "$pid" != "$VM_PID" ] || VM_PID=""
    return "$rc"
}

vm_kill() {
    local pid="${1:-$VM_PID}"
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    [ "$pid" != "$VM_PID" ] || VM_PID=""
    return 0
}

vm_free_port() {
    local p i
    for i in $(seq 1 50); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "vm_free_port: no free port found" >&2
    return 1
}
