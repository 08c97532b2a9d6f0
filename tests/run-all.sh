#!/usr/bin/env bash
# All test tiers that run on a machine without a GPU (what `make test` runs):
#   release   unit + integration tests (real host device files, real daemon)
#   asan      the same built with AddressSanitizer + UBSan
#   valgrind  unit tests under memcheck, and the fault and shm tests with
#             vdri-backd itself under memcheck
#   fuzz      each libFuzzer target for FUZZ_SECONDS (default 10)
#   static    cppcheck, clang-format, and a table entry with a wrong UAPI type must not build;
#             the VM launch configurations checked by xl's and libvirt's parsers
#   vm        the driver VM (QEMU/TCG, Debian kernel, virtio-vga-gl + vgem):
#             appliance smoke test, then the DRM suite natively in the VM and
#             forwarded from the host, compared (tests/vm/drm.sh); isolation
#             between two guests (tests/vm/isolation.sh); the kernel-module
#             frontend VM to VM (tests/vm/kmod.sh) and its DKMS packaging
#             (tests/vm/kmod-dkms.sh); the bootable appliance
#             (tests/vm/appliance.sh: make appliance, disk/qcow2/kernel/UEFI boots,
#             supervisor, config drive); drm and isolation again under ASan;
#             xl itself on the Xen driver-domain configurations (tests/vm/xen-xl.sh);
#             the benchmark suite in its --quick form (tests/vm/bench-suite.sh)
# Ends with one line: "N passed, N failed, N skipped" over every tier.
# VDRI_TIERS="release asan" limits the tiers.
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc)}
tiers=${VDRI_TIERS:-release asan valgrind fuzz static vm}
P=0 F=0 S=0

add() { # add "N passed, N failed, N skipped" from the last line of $1
	local line
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -n1)
	if [ -z "$line" ]; then F=$((F + 1)); return; fi
	P=$((P + $(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')))
	F=$((F + $(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
	S=$((S + $(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p' | grep . || echo 0)))
}

one() { # name, command...
	local name=$1 log
	shift
	log=$(mktemp)
	echo "==== tier: $name"
	"$@" 2>&1 | tee "$log" | grep -E '^(FAIL|SKIP|==|[0-9]+ passed)|error' || true
	add "$log"
	rm -f "$log"
}

for t in $tiers; do
	case $t in
	release)
		make -s -j"$JOBS" VARIANT=release all >/dev/null || { echo "release build failed"; F=$((F + 1)); continue; }
		one release tests/run-tests.sh build/release ;;
	asan)
		make -s -j"$JOBS" VARIANT=asan all >/dev/null || { echo "asan build failed"; F=$((F + 1)); continue; }
		VDRI_ASAN_PRELOAD=$(gcc -print-file-name=libasan.so) \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			one asan tests/run-tests.sh build/asan ;;
	valgrind)
		if ! command -v valgrind >/dev/null; then echo "valgrind missing"; S=$((S + 1)); continue; fi
		make -s -j"$JOBS" VARIANT=release all >/dev/null || { F=$((F + 1)); continue; }
		VDRI_TEST_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --trace-children=no" \
			one valgrind-unit tests/run-tests.sh build/release unit
		VDRI_BACKD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=no" \
			one valgrind-backd build/release/tests/integration/test_faults
		# the shm rings with the daemon's spinning and sleeping under memcheck
		VDRI_BACKD_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=no" \
			one valgrind-backd-shm build/release/tests/integration/test_shm ;;
	fuzz)
		if ! command -v clang >/dev/null; then echo "clang missing: fuzz tier skipped"; S=$((S + 1)); continue; fi
		one fuzz tests/fuzz/run.sh "${FUZZ_SECONDS:-10}" ;;
	static)
		if make -s cppcheck; then P=$((P + 1)); echo "PASS cppcheck"; else F=$((F + 1)); echo "FAIL cppcheck"; fi
		if ! command -v clang-format >/dev/null; then echo "SKIP clang-format missing"; S=$((S + 1));
		elif make -s format-check >/dev/null 2>&1; then P=$((P + 1)); echo "PASS format-check";
		else F=$((F + 1)); echo "FAIL format-check (make format-check)"; fi
		one table-check tests/static/table-check.sh
		# the driver VM's launch configurations (vdri-gpus, xen.sh, libvirt.sh): no VM
		one launchers tests/vm/launchers.sh build/release ;;
	vm)
		make -s -j"$JOBS" VARIANT=release all >/dev/null || { F=$((F + 1)); continue; }
		one vm-smoke tests/vm/smoke.sh
		one vm-drm tests/vm/drm.sh build/release
		one vm-isolation tests/vm/isolation.sh build/release
		# the kernel-module frontend in a guest VM against the driver VM (make kmod)
		one vm-kmod tests/vm/kmod.sh build/release
		one vm-kmod-dkms tests/vm/kmod-dkms.sh
		one vm-appliance tests/vm/appliance.sh
		# the real `xl -N create` on appliance/xen.sh files, in a Xen dom0 under TCG
		one vm-xen-xl tests/vm/xen-xl.sh
		# the benchmark suite, short: every table, plot and mode has real numbers
		one vm-bench-suite tests/vm/bench-suite.sh build/release
		# the same with the backend (in the VM) and the frontend built with ASan+UBSan
		if make -s -j"$JOBS" VARIANT=asan all >/dev/null; then
			VDRI_ASAN_PRELOAD=$(gcc -print-file-name=libasan.so) \
			ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
				one vm-drm-asan tests/vm/drm.sh build/asan
			VDRI_ASAN_PRELOAD=$(gcc -print-file-name=libasan.so) \
			ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1 \
				one vm-isolation-asan tests/vm/isolation.sh build/asan
		else
			F=$((F + 1))
		fi ;;
	*) echo "unknown tier $t"; F=$((F + 1)) ;;
	esac
done
echo "$P passed, $F failed, $S skipped"
[ "$F" -eq 0 ]
