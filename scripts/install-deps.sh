#!/usr/bin/env bash
# Install the Debian packages in scripts/deps.txt that are missing.
# Needs root (or sudo).  Used by .ci/run and `make demo`.
set -eu
cd "$(dirname "$0")"
missing=()
while read -r p; do
	case $p in ''|'#'*) continue ;; esac
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done <deps.txt
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
