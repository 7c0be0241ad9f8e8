#!/usr/bin/env bash
# Install Debian packages for one purpose of the platform, as root or with passwordless sudo.
#   bash scripts/apt-install.sh "<purpose>" <package>...
# Package scripts may not start services (policy-rc.d exit 101, as in Debian's container images; an existing policy
# is left alone): the platform runs its own PostgreSQL and Redis instead of the packages' services.
# Tries the package lists at hand first, then `apt-get update`. Log: /tmp/modelfleet-apt.log.
set -euo pipefail

purpose="$1"; shift
if [[ "$(id -u)" -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "$purpose: $* missing and not root: run \`sudo apt-get install -y $*\`" >&2
  exit 1
fi
echo "$purpose: installing $* (apt-get)"
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
log=/tmp/modelfleet-apt.log
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1; then
  "${sudo[@]}" apt-get update -qq >>"$log" 2>&1
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1 \
    || { echo "$purpose: apt-get failed, see $log" >&2; exit 1; }
fi
echo "$purpose: installed $*"
