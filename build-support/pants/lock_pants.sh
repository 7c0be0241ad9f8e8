#!/usr/bin/env bash
# Regenerate 3rdparty/pants/requirements.lock, the hash-locked install of
# Pants itself (run on pyenv's CPython 3.9 by scripts/pants). Run on purpose
# only, after changing 3rdparty/pants/requirements.in. Needs uv: the one that
# scripts/install.sh puts into .venv (or set UV=/path/to/uv).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
uv="${UV:-$root/.venv/bin/uv}"
"$uv" pip compile --quiet \
  --python-version 3.9 --python-platform x86_64-unknown-linux-gnu \
  --generate-hashes --no-header --annotation-style line \
  --custom-compile-command build-support/pants/lock_pants.sh \
  3rdparty/pants/requirements.in -o 3rdparty/pants/requirements.lock
echo "lock_pants: wrote 3rdparty/pants/requirements.lock"
