#!/usr/bin/env bash
# Regenerate the hash-locked requirements from 3rdparty/python/requirements.in,
# then the constraints Pants resolves with. Run on purpose, review the diff, and
# regenerate the Pants lockfile too: `scripts/pants generate-lockfiles`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/install.sh >/dev/null
links="${PIP_FIND_LINKS:-$(.venv/bin/python -m pip config get global.find-links 2>/dev/null || true)}"
.venv/bin/uv pip compile 3rdparty/python/requirements.in --python-version 3.11 --generate-hashes \
  ${links:+--find-links "$links"} --no-emit-find-links -o 3rdparty/python/requirements.lock
bash build-support/pants/derive_constraints.sh
echo "lock: updated; now run scripts/pants generate-lockfiles and bash scripts/install.sh"
