#!/usr/bin/env bash
# Create or update .venv from the committed hash-locked requirements.
#
# Idempotent: a stamp holding the sha256 of the lock and of pyproject.toml
# makes a second run a no-op (well under a second). Works on a fresh machine
# with only CPython 3.11 on PATH: uv is bootstrapped into the venv at the
# version the lock pins, then syncs the venv to the lock exactly.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="$root/.venv"
lock="3rdparty/python/requirements.lock"
stamp="$venv/.modelfleet-install-stamp"

python_bin="${MODELFLEET_PYTHON:-}"
if [[ -z "$python_bin" ]]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      python_bin="$(command -v "$candidate")"; break
    fi
  done
fi
if [[ -z "$python_bin" ]]; then
  echo "install: Python 3.11 is required (python3.11 not found on PATH; set MODELFLEET_PYTHON)." >&2
  exit 1
fi

# The celery mode's PostgreSQL and Redis (Debian packages): no apt at all when both are present.
# Without root or sudo it only warns; the celery-mode tests then say what to install.
bash infra/celery/install.sh || echo "install: celery mode unavailable until PostgreSQL and Redis are installed" >&2
# The browser tests' Chromium (Debian package), likewise.
bash scripts/install-browser.sh || echo "install: browser tests unavailable until chromium is installed" >&2

want="$(cat "$lock" pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/modelfleet" ]]; then
  echo "install: .venv is up to date with $lock"
  exit 0
fi

# Byte-compile at install: the environment sets PYTHONDONTWRITEBYTECODE, so
# without this every process start would compile Airflow from source.
export UV_COMPILE_BYTECODE=1
export UV_LINK_MODE=copy

if [[ ! -x "$venv/bin/python" ]]; then
  echo "install: creating .venv with $python_bin"
  "$python_bin" -m venv "$venv"
fi
uv_pin="$(sed -n 's/^uv==\([^ ]*\).*/\1/p' "$lock")"
if [[ "$("$venv/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$uv_pin" ]]; then
  echo "install: bootstrapping uv $uv_pin"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "uv==$uv_pin"
fi

# torch's CPU build lies in pip's find-links on these machines; uv does not
# read pip's configuration, so pass it on explicitly.
find_links=()
links_dir="${PIP_FIND_LINKS:-$("$venv/bin/python" -m pip config get global.find-links 2>/dev/null || true)}"
[[ -n "$links_dir" ]] && find_links=(--find-links "$links_dir")

echo "install: syncing .venv to $lock"
VIRTUAL_ENV="$venv" "$venv/bin/uv" pip sync --python "$venv/bin/python" \
  --require-hashes "${find_links[@]}" "$lock"
echo "install: installing modelfleet (editable, no dependencies)"
VIRTUAL_ENV="$venv" "$venv/bin/uv" pip install --python "$venv/bin/python" \
  --no-deps --editable .
echo "$want" > "$stamp"
echo "install: done"
