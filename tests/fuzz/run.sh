#!/usr/bin/env bash
# Build the libFuzzer targets (clang, libclang-rt) and run each one briefly.
#   tests/fuzz/run.sh [SECONDS]     (default 10; a longer run: 600)
# Crashes are kept in build/fuzz/crashes/<target>/.  Prints PASS/FAIL per
# target and "N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
secs=${1:-10}
make -s fuzz-build >/dev/null || { echo "FAIL fuzz build"; echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
for src in tests/fuzz/*.c; do
	n=$(basename "$src" .c)
	bin=build/fuzz/$n
	mkdir -p "build/fuzz/corpus/$n" "build/fuzz/crashes/$n"
	seeds=""
	[ -d "tests/fuzz/seeds/$n" ] && seeds="tests/fuzz/seeds/$n"
	if "$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$n/" \
		"build/fuzz/corpus/$n" $seeds >"build/fuzz/$n.log" 2>&1; then
		runs=$(grep -E '^stat::number_of_executed_units' "build/fuzz/$n.log" | awk '{print $2}')
		echo "PASS fuzz $n (${runs:-?} inputs in ${secs}s)"
		pass=$((pass + 1))
	else
		echo "FAIL fuzz $n: see build/fuzz/$n.log"
		tail -n 30 "build/fuzz/$n.log"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
