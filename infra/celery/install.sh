#!/usr/bin/env bash
# Install what the celery mode runs, when missing: Debian's PostgreSQL and Redis.
# Idempotent and quiet: with both present it does nothing (no apt at all).
#   bash infra/celery/install.sh            install what is missing (root, or passwordless sudo)
#   bash infra/celery/install.sh --check    only say what is missing (exit 1 if anything is)
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "${1:-}" == "--check" ]]; then
  echo "celery mode: not installed: ${missing[*]} (install: bash infra/celery/install.sh)" >&2
  exit 1
fi
if [[ "$(id -u)" -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "celery mode: ${missing[*]} missing and not root: run \`sudo apt-get install -y ${missing[*]}\`" >&2
  exit 1
fi
echo "celery mode: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
# Debian's postgresql package starts a cluster of its own on 5432 through the service manager;
# the platform runs its own cluster instead, so package scripts may not start services
# (policy-rc.d exit 101, as in Debian's container images; an existing policy is left alone).
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod +x "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/modelfleet-apt.log 2>&1; then
  "${sudo[@]}" apt-get update -qq >>/tmp/modelfleet-apt.log 2>&1
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/modelfleet-apt.log 2>&1 \
    || { echo "celery mode: apt-get failed, see /tmp/modelfleet-apt.log" >&2; exit 1; }
fi
echo "celery mode: installed ${missing[*]}"
