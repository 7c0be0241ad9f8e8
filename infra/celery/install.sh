#!/usr/bin/env bash
# Install what the celery mode runs, when missing: Debian's PostgreSQL and Redis.
# Idempotent and quiet: with both present it does nothing (no apt at all).
#   bash infra/celery/install.sh            install what is missing (root, or passwordless sudo)
#   bash infra/celery/install.sh --check    only say what is missing (exit 1 if anything is)
# Debian's postgresql package would start a cluster of its own on 5432; scripts/apt-install.sh keeps package
# scripts from starting services, and the platform runs its own cluster.
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "${1:-}" == "--check" ]]; then
  echo "celery mode: not installed: ${missing[*]} (install: bash infra/celery/install.sh)" >&2
  exit 1
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/apt-install.sh" "celery mode" "${missing[@]}"
