#!/usr/bin/env bash
# Regenerate tests/fuzz/seeds/<target>/: each target writes valid inputs of
# its own (requests, replies, frames built by the real encoders) when run
# with VDRI_FUZZ_SEEDS=dir, then exits.  Run after a wire or table change.
set -eu
cd "$(dirname "$0")/../.."
make -s fuzz-build
for src in tests/fuzz/*.c; do
	n=$(basename "$src" .c)
	rm -rf "tests/fuzz/seeds/$n"
	mkdir -p "tests/fuzz/seeds/$n"
	VDRI_FUZZ_SEEDS="tests/fuzz/seeds/$n" "build/fuzz/$n"
	echo "$n: $(ls "tests/fuzz/seeds/$n" | wc -l) seeds"
done
