#!/usr/bin/env bash
# Micro-benchmarks, native vs forwarded, in one run (make bench).
#   bench/run.sh [BUILD_DIR]
# null ioctl: TIOCGPTN on /dev/ptmx natively, then through vdri-backd over
# unix, tcp and shm (shared-memory rings), with 1 and 4 concurrent client
# processes; the floors (a bare round trip over a unix socketpair and over
# shm rings); and the CPU an idle connected client costs.  Writes
# bench/results/null_ioctl.{csv,md} (and null_ioctl_idle.csv) and refreshes
# the README's results table.
set -eu
cd "$(dirname "$0")/.."
B=$(cd "${1:-build/release}" && pwd)
ITER=${ITER:-20000}
OUT=${VDRI_RESULTS:-bench/results}
. bench/lib.sh
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

run() { # label clients [uri|-p|-P]
	local r
	if [ "${3:-}" = -p ] || [ "${3:-}" = -P ]; then
		r=$("$B/bench/null_ioctl" -n "$ITER" -c "$2" "$3")
	elif [ -n "${3:-}" ]; then
		r=$(LD_PRELOAD="$B/lib/libvdri-front.so" VDRI_ADDR="$3" VDRI_PATHS=/dev/ptmx \
			"$B/bench/null_ioctl" -n "$ITER" -c "$2")
	else
		r=$("$B/bench/null_ioctl" -n "$ITER" -c "$2")
	fi
	echo "$1,$2,$r" | tr ' ' ',' >>"$OUT/null_ioctl.csv"
	echo "  $1 x$2: median/p99/mean us, ops/s: $r" >&2
}

# CPU time (ns) of every thread of the daemon and its workers.
backd_cpu_ns() {
	local p=$(cat "$tmp/pid") t sum=0
	for t in /proc/$p/task/*/schedstat $(for c in $(cat /proc/$p/task/*/children 2>/dev/null); do
		echo /proc/$c/task/*/schedstat; done); do
		# a thread may end between the glob and the read: skip it
		local ns=""
		read -r ns _ <"$t" 2>/dev/null || continue
		case "$ns" in '' | *[!0-9]*) continue ;; esac
		sum=$((sum + ns))
	done
	echo $sum
}

# A client that did 2000 calls and now idles, connected with the file open:
# the backend's CPU over 2 s, and the client's own over its 3 s of idling.
idle() { # label uri
	local c0 c1 cpid
	start_backd "$2"
	LD_PRELOAD="$B/lib/libvdri-front.so" VDRI_ADDR="$2" VDRI_PATHS=/dev/ptmx \
		"$B/bench/null_ioctl" -n 2000 -I 3 >"$tmp/idle" 2>"$tmp/idle.err" &
	cpid=$!
	for _ in $(seq 100); do grep -q '^idle' "$tmp/idle.err" 2>/dev/null && break; sleep 0.05; done
	sleep 0.5
	c0=$(backd_cpu_ns); sleep 2; c1=$(backd_cpu_ns)
	wait $cpid
	echo "$1,$(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.3f", (b - a) / 2e6 }'),$(awk '/^idle_cpu_ms/ { printf "%.3f", $2 / 3 }' "$tmp/idle")" >>"$OUT/null_ioctl_idle.csv"
	echo "  $1 idle: backend/client CPU ms per s: $(tail -n1 "$OUT/null_ioctl_idle.csv" | cut -d, -f2-)" >&2
	stop_backd
}

echo "transport,clients,median_us,p99_us,mean_us,ops_per_s" >"$OUT/null_ioctl.csv"
echo "transport,backend_cpu_ms_per_s,client_cpu_ms_per_s" >"$OUT/null_ioctl_idle.csv"
echo "null ioctl (TIOCGPTN), $ITER calls per client" >&2
for c in 1 4; do run native "$c"; done
for c in 1 4; do run unix-pingpong-floor "$c" -p; done
for c in 1 4; do run shm-pingpong-floor "$c" -P; done
port=$((30000 + $$ % 20000))
for uri in "unix:$tmp/sock" "tcp:127.0.0.1:$port" "shm:$tmp/sock"; do
	start_backd "$uri"
	for c in 1 4; do run "${uri%%:*}" "$c" "$uri"; done
	stop_backd
done
for uri in "unix:$tmp/sock" "shm:$tmp/sock"; do idle "${uri%%:*}" "$uri"; done

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
awk -F, 'NR == 1 {
		print "\nCPU while a connected client idles (2000 calls, then nothing; ms of CPU per second):\n"
		print "| transport | backend (daemon + worker) | client |"
		print "|---|---|---|"
		next
	}
	{ printf "| %s | %.3f | %.3f |\n", $1, $2, $3 }' "$OUT/null_ioctl_idle.csv" >>"$OUT/null_ioctl.md"
cat "$OUT/null_ioctl.md"

# Refresh the README section between the markers.
if [ "${VDRI_NO_README:-0}" != 1 ] && readme_section null_ioctl "$OUT/null_ioctl.md" README.md; then
	echo "README.md results section updated" >&2
fi
