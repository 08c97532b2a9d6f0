#!/bin/sh
# Runs inside the guest VM for tests/vm/kmod.sh: a command channel for the
# host's test (it writes $out/cmd/N.sh, this job runs it as root in the VM
# and leaves the output in $out/cmd/N.out, then $out/cmd/N.done), until
# the host writes $out/done.  The module itself is loaded by those commands.
set -u
out="${VDRI_VM_OUT:?not in the vdri VM}"
set -a
. "$out/job.env"   # BUILD=<build dir>, ROOT=<source tree>, KO=<module>
set +a
cp /run/vdri-drm.txt "$out/guest-nodes.txt"
mkdir -p "$out/cmd"
touch "$out/ready"
n=0
while [ ! -e "$out/done" ] && [ $n -lt 12000 ]; do
    for req in "$out"/cmd/*.sh; do
        [ -e "$req" ] || continue
        base="${req%.sh}"
        mv "$req" "$base.run"
        sh "$base.run" > "$base.out" 2>&1
        echo $? > "$base.done"
    done
    sleep 0.05
    n=$((n + 1))
done
dmesg > "$out/dmesg-final.txt" 2>&1
rmmod vdri_front 2>/dev/null
echo "kmod-guest-job: done"
