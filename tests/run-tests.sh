#!/usr/bin/env bash
# Run every unit and integration test binary of one build directory.
#   tests/run-tests.sh BUILD_DIR [TIER...]      (tiers: unit integration; default both)
# Each binary prints PASS/FAIL/SKIP lines and its own summary; this script
# adds them up and ends with "N passed, N failed, N skipped".
# VDRI_TEST_WRAPPER (e.g. "valgrind -q --error-exitcode=99") prefixes each binary.
set -u
B=${1:?build dir}
shift
tiers=${*:-unit integration}
pass=0 fail=0 skip=0
for tier in $tiers; do
	for t in "$B"/tests/"$tier"/*; do
		[ -x "$t" ] || continue
		echo "== $tier/$(basename "$t")"
		out=$(${VDRI_TEST_WRAPPER:-} "$t" 2>&1)
		rc=$?
		printf '%s\n' "$out" | grep -Ev '^[0-9]+ passed, [0-9]+ failed' 
		line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n1)
		if [ -z "$line" ]; then
			echo "FAIL $(basename "$t"): no summary (exit $rc)"
			fail=$((fail + 1))
			continue
		fi
		p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
		f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
		s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s:-0}))
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "FAIL $(basename "$t"): exit $rc"
			fail=$((fail + 1))
		fi
	done
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
