#!/usr/bin/env bash
# Install the Debian packages in scripts/deps.txt that are missing.
# Needs root (or sudo).  Used by `make demo` and `make bench`.
#   scripts/install-deps.sh [bench]   bench: also scripts/deps-bench.txt
#                                     (big packages only the benchmark suite
#                                     uses, e.g. OpenArena's ~450 MB of data)
set -eu
cd "$(dirname "$0")"
lists=(deps.txt)
case "${1:-}" in
'') ;;
bench) lists+=(deps-bench.txt) ;;
*) echo "usage: scripts/install-deps.sh [bench]" >&2; exit 2 ;;
esac
missing=()
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done < <(cat "${lists[@]}")
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
