#!/usr/bin/env bash
# Install what the browser tests drive: Debian's Chromium (Playwright, a Python package in the lock, drives it;
# its own browser download cannot run on these machines). Idempotent: nothing happens when it is present.
#   bash scripts/install-browser.sh            install when missing (root, or passwordless sudo)
#   bash scripts/install-browser.sh --check    only say whether it is missing (exit 1 if it is)
set -euo pipefail

[[ -x /usr/bin/chromium ]] && exit 0
if [[ "${1:-}" == "--check" ]]; then
  echo "browser tests: /usr/bin/chromium missing (install: bash scripts/install-browser.sh)" >&2
  exit 1
fi
exec bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" "browser tests" chromium fonts-dejavu-core
