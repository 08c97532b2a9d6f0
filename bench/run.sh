#!/usr/bin/env bash
# Micro-benchmarks, native vs forwarded, in one run (make bench).
#   bench/run.sh [BUILD_DIR]
# null ioctl: TIOCGPTN on /dev/ptmx natively, then through vdri-backd over
# unix and tcp, with 1 and 4 concurrent client processes.  Writes
# bench/results/null_ioctl.{csv,md} and refreshes the README's results table.
set -eu
cd "$(dirname "$0")/.."
B=${1:-build/release}
ITER=${ITER:-20000}
OUT=bench/results
mkdir -p "$OUT"
tmp=$(mktemp -d /tmp/vdri-bench-XXXXXX)
trap 'kill $(cat "$tmp"/pid 2>/dev/null) 2>/dev/null || true; rm -rf "$tmp"' EXIT

cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
env_line="$(date -u +%Y-%m-%d), $(nproc) cores ($cpu), kernel $(uname -r), no VM (host device files)"

start_backd() { # uri
	rm -f "$tmp/ready"
	"$B/bin/vdri-backd" -l "$1" -e /dev/ptmx --ready-file "$tmp/ready" 2>"$tmp/log" &
	echo $! >"$tmp/pid"
	for _ in $(seq 200); do [ -e "$tmp/ready" ] && return 0; sleep 0.05; done
	echo "vdri-backd did not start" >&2; cat "$tmp/log" >&2; exit 1
}
stop_backd() { kill "$(cat "$tmp/pid")"; wait "$(cat "$tmp/pid")" 2>/dev/null || true; }

run() { # label clients [uri|-p]
	local r
	if [ "${3:-}" = -p ]; then
		r=$("$B/bench/null_ioctl" -n "$ITER" -c "$2" -p)
	elif [ -n "${3:-}" ]; then
		r=$(LD_PRELOAD="$PWD/$B/lib/libvdri-front.so" VDRI_ADDR="$3" VDRI_PATHS=/dev/ptmx \
			"$B/bench/null_ioctl" -n "$ITER" -c "$2")
	else
		r=$("$B/bench/null_ioctl" -n "$ITER" -c "$2")
	fi
	echo "$1,$2,$r" | tr ' ' ',' >>"$OUT/null_ioctl.csv"
	echo "  $1 x$2: median/p99/mean us, ops/s: $r" >&2
}

echo "transport,clients,median_us,p99_us,mean_us,ops_per_s" >"$OUT/null_ioctl.csv"
echo "null ioctl (TIOCGPTN), $ITER calls per client" >&2
for c in 1 4; do run native "$c"; done
for c in 1 4; do run unix-pingpong-floor "$c" -p; done
port=$((30000 + $$ % 20000))
for uri in "unix:$tmp/sock" "tcp:127.0.0.1:$port"; do
	start_backd "$uri"
	for c in 1 4; do run "${uri%%:*}" "$c" "$uri"; done
	stop_backd
done

# Markdown table with ratios against native at the same client count.
awk -F, -v env="$env_line" 'NR == 1 { next }
	{ key = $2; if ($1 == "native") { nat[key] = $3; natp[key] = $4 } rows[NR] = $0 }
	END {
		print "Null ioctl (`TIOCGPTN` on `/dev/ptmx`), " env ".\n"
		print "| transport | clients | median µs | p99 µs | median vs native | added µs (median) | ops/s total |"
		print "|---|---|---|---|---|---|---|"
		for (i = 2; i <= NR; i++) { split(rows[i], f, ",")
			printf "| %s | %s | %.2f | %.2f | %.1fx | %+.2f | %d |\n", f[1], f[2], f[3], f[4],
				f[3] / nat[f[2]], f[3] - nat[f[2]], f[6] }
	}' "$OUT/null_ioctl.csv" >"$OUT/null_ioctl.md"
cat "$OUT/null_ioctl.md"

# Refresh the README section between the markers.
if grep -q '<!-- bench:null_ioctl:begin -->' README.md; then
	awk -v f="$OUT/null_ioctl.md" '
		/<!-- bench:null_ioctl:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- bench:null_ioctl:end -->/ { skip = 0 }
		!skip' README.md >"$tmp/readme" && cp "$tmp/readme" README.md
	echo "README.md results section updated" >&2
fi
