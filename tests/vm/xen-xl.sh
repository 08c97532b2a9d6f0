#!/bin/bash
# The real `xl -N create` (dry run: parse, build the domain configuration,
# print it as JSON; create nothing) on appliance/xen.sh configurations.  xl
# needs a hypervisor even for a dry run, so this boots Debian's Xen 4.17 under
# QEMU/TCG with a PV dom0: Debian's kernel (the appliance build's) and a
# busybox initramfs carrying xl, xenstored, their libraries and the
# configurations; dom0's /init runs xl on each and prints the results on the
# serial console.  No driver domain is started.
#
#   tests/vm/xen-xl.sh            VDRI_KEEP_OUT=1 keeps the work directory
# Prints PASS/FAIL/SKIP lines and "N passed, N failed, N skipped".
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
pass() { ok "xen-xl: $*"; }
fail() { bad "xen-xl: $*"; }
finish() { summary; exit; }

XLDIR=/usr/lib/xen-4.17/bin
for t in qemu-system-x86_64 busybox "$XLDIR/xl" "$XLDIR/xenstored" apt-get dpkg-deb; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP xen-xl: $t missing (qemu-system-x86, busybox-static, xen-utils-4.17)"
        skip=$((skip + 1)); finish
    fi
done
W=$(mktemp -d "${TMPDIR:-/tmp}/vdri-xen-xl.XXXXXX")
QPID=""
# shellcheck disable=SC2317  # runs from the EXIT trap
cleanup() {
    [ -z "$QPID" ] || kill "$QPID" 2>/dev/null
    [ "${VDRI_KEEP_OUT:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

# Debian's kernel (the appliance builder fetches and extracts it) and Xen
if ! appliance/build.sh --quick >"$W/build.log" 2>&1; then
    fail "appliance/build.sh (log $W/build.log)"; finish
fi
KDIR=$(find build/cache -maxdepth 1 -name 'linux-image-*.x' -type d | sort | tail -1)
VMLINUZ=$(find "$KDIR/boot" -name 'vmlinuz-*' | head -1)
KVER=${VMLINUZ##*/vmlinuz-}
XDEB=$(find build/cache -maxdepth 1 -name 'xen-hypervisor-4.17-amd64_*.deb' | sort | tail -1)
if [ -z "$XDEB" ]; then
    (cd build/cache && apt-get download xen-hypervisor-4.17-amd64) >"$W/apt.log" 2>&1
    XDEB=$(find build/cache -maxdepth 1 -name 'xen-hypervisor-4.17-amd64_*.deb' | sort | tail -1)
    [ -n "$XDEB" ] || { fail "apt-get download xen-hypervisor-4.17-amd64 (log $W/apt.log)"; finish; }
fi
mkdir -p "$W/xen"
dpkg-deb -x "$XDEB" "$W/xen"
zcat "$W/xen/boot/xen-4.17-amd64.gz" > "$W/xen.bin"

# dom0's initramfs
R="$W/root"
mkdir -p "$R"/{bin,cfg,dev,proc,sys,run,tmp,etc/xen,var/lib/xenstored,var/run/xenstored,var/log/xen,mod}
: > "$R/etc/xen/xl.conf"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh mount insmod cat echo sleep poweroff mkdir; do ln -s busybox "$R/bin/$a"; done
cp "$XLDIR/xl" "$XLDIR/xenstored" "$R/bin/"
for l in $(ldd "$XLDIR/xl" "$XLDIR/xenstored" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | sort -u); do
    mkdir -p "$R$(dirname "$l")"
    cp -L "$l" "$R$l"
done
for m in xen-privcmd xenfs xen-evtchn xen-gntdev; do
    f=$(find "$KDIR/lib/modules/$KVER" -name "$m.ko*" | head -1)
    [ -n "$f" ] || { fail "module $m not in $KDIR"; finish; }
    cp "$f" "$R/mod/"
done

# The configurations: appliance/xen.sh on stand-in appliance files at /appl
A="$W/appl"
mkdir -p "$A" "$R/appl"
truncate -s 16M "$A/vdri-appliance.img"
echo k > "$A/vdri-appliance-vmlinuz"
echo i > "$A/vdri-appliance-initrd.gz"
truncate -s 1M "$A/cfg.img"
cp -a "$A/." "$R/appl/"
gen() { # NAME xen.sh-options...
    local n=$1
    shift
    VDRI_APPLIANCE_DIR=$A appliance/xen.sh "$@" --out "$W/$n.cfg" 2>/dev/null || return 1
    sed "s#$A/#/appl/#g" "$W/$n.cfg" > "$R/cfg/$n.cfg"
}
gen disk || fail "xen.sh (disk)"
gen disk-pci --pci 0000:01:00.0 --pci 0000:01:00.1 --config-disk "$A/cfg.img" || fail "xen.sh (disk, pci)"
gen kernel-pvh --kernel || fail "xen.sh (kernel)"
gen kernel-hvm-pci --kernel --pci 0000:03:00.0 || fail "xen.sh (kernel, pci)"
gen kernel-pv-pci --kernel --type pv --pci 0000:03:00.0 || fail "xen.sh (pv, pci)"
# what xl must refuse: a domain type it does not know, a disk without a vdev
sed 's/^type = "hvm"/type = "hvmm"/' "$R/cfg/disk.cfg" > "$R/cfg/bad-type.cfg"
sed 's/vdev=xvda,//' "$R/cfg/disk.cfg" > "$R/cfg/bad-disk.cfg"

cat > "$R/init" <<'EOF'
#!/bin/sh
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in xen-privcmd xenfs xen-evtchn xen-gntdev; do insmod /mod/$m.ko || echo "XL-NOTE insmod $m failed"; done
mount -t xenfs xenfs /proc/xen
xenstored --pid-file /run/xenstored.pid || echo "XL-NOTE xenstored failed"
echo "XL-NOTE caps $(cat /proc/xen/capabilities)"
for c in /cfg/*.cfg; do
    n=${c##*/}
    xl -N create "$c" > /tmp/out 2>&1
    rc=$?
    echo "XL-BEGIN ${n%.cfg}"
    cat /tmp/out
    echo "XL-END ${n%.cfg} $rc"
done
echo XL-DONE
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet | gzip -1) > "$W/initrd.gz"
cp "$VMLINUZ" "$W/vmlinuz"

LOG="$W/console.log"
t0=$(date +%s)
qemu-system-x86_64 -accel tcg -cpu max,-smap,-smep,-pku -m 2048 -smp 2 -nodefaults -no-reboot \
    -display none -monitor none -serial "file:$LOG" -kernel "$W/xen.bin" \
    -append "console=com1 dom0_mem=1024M,max:1024M noreboot" \
    -initrd "$W/vmlinuz console=hvc0,$W/initrd.gz" 2>"$W/qemu.err" &
QPID=$!
for _ in $(seq 1 "${VDRI_XEN_TIMEOUT:-240}"); do
    grep -qE 'XL-DONE|Kernel panic|Dom0 crashed|Panic on CPU' "$LOG" 2>/dev/null && break
    kill -0 "$QPID" 2>/dev/null || break
    sleep 1
done
kill "$QPID" 2>/dev/null
wait "$QPID" 2>/dev/null
QPID=""
if ! grep -q XL-DONE "$LOG"; then
    fail "Xen/dom0 did not finish in ${VDRI_XEN_TIMEOUT:-240} s (log $LOG)"
    tail -30 "$LOG" | sed 's/^/    /'
    VDRI_KEEP_OUT=1
    finish
fi
pass "Xen 4.17 + PV dom0 booted under TCG, xl ran ($(($(date +%s) - t0)) s; $(grep -o 'XL-NOTE caps.*' "$LOG" | tr -d '\r'))"

result() { tr -d '\r' < "$LOG" | sed -n "/^XL-BEGIN $1\$/,/^XL-END $1 /p"; }
xl_ok() { # NAME JSON-TEXT...: xl -N create exits 0 and prints each TEXT
    local n=$1 out
    shift
    out=$(result "$n")
    if ! printf '%s\n' "$out" | grep -q "^XL-END $n 0$"; then
        fail "xl -N create $n.cfg:"; printf '%s\n' "$out" | sed 's/^/    /' | head -30
        sed 's/^/    | /' "$R/cfg/$n.cfg"
        return
    fi
    for t in "$@"; do
        printf '%s\n' "$out" | grep -qF -- "$t" || { fail "xl -N create $n.cfg: no '$t' in its JSON"; return; }
    done
    pass "xl -N create $n.cfg accepts it ($# facts checked in its JSON)"
}
xl_refuses() { # NAME TEXT
    local out
    out=$(result "$1")
    if printf '%s\n' "$out" | grep -q "^XL-END $1 [1-9]" && printf '%s\n' "$out" | grep -qF -- "$2"; then
        pass "xl -N create refuses $1.cfg ($2)"
    else
        fail "xl -N create $1.cfg should fail with '$2':"; printf '%s\n' "$out" | sed 's/^/    /' | head -20
    fi
}
xl_ok disk '"type": "hvm"' '"pdev_path": "/appl/vdri-appliance.img"' '"vdev": "xvda"' \
    '"bridge": "xenbr0"' '"driver_domain": "True"' '"on_crash": "restart"'
xl_ok disk-pci '"pdev_path": "/appl/cfg.img"' '"bus": 1' '"func": 1'
xl_ok kernel-pvh '"type": "pvh"' '"kernel": "/appl/vdri-appliance-vmlinuz"' \
    '"ramdisk": "/appl/vdri-appliance-initrd.gz"' '"cmdline": "console=hvc0"'
xl_ok kernel-hvm-pci '"type": "hvm"' '"bus": 3' '"cmdline": "console=ttyS0"'
xl_ok kernel-pv-pci '"type": "pv"' '"bus": 3'
xl_refuses bad-type "Invalid domain type"
xl_refuses bad-disk "vdev"
finish
