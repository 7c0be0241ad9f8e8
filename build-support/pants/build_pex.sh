#!/usr/bin/env bash
# Build the pex tool Pants runs ([pex-cli] in pants.toml). Pants 2.17.1 would
# download it from GitHub, which these machines cannot reach; we build it from
# the package registry the way pex releases it, which is byte-for-byte
# reproducible, and check it against the sha256/size pinned in pants.toml.
#
#   build-support/pants/build_pex.sh [OUTPUT]   # default build-support/pants/pex-<version>.pex
#
# The builder pex is installed, hash-checked from 3rdparty/pants/requirements.lock,
# into a throwaway venv. --no-strip-pex-env matters: without it the tool ignores
# Pants' cache and writes ~1 GB into the home directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=common.sh
source "$root/build-support/pants/common.sh"
out="${1:-$root/build-support/pants/pex-$PANTS_PEX_VERSION.pex}"

python="$(find_python39)" || {
  echo "build_pex: CPython 3.9 not found (pyenv's 3.9 is expected; set MODELFLEET_PANTS_PYTHON)." >&2
  exit 1
}
tmp="$(mktemp -d "${TMPDIR:-/tmp}/modelfleet-pex-build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# The pex requirement with its hashes, cut from the Pants lock.
awk -v want="pex==$PANTS_PEX_VERSION" \
  '$1 == want {p = 1} p {print} p && !/\\$/ {exit}' \
  "$root/3rdparty/pants/requirements.lock" > "$tmp/requirements.txt"
grep -q "^pex==$PANTS_PEX_VERSION" "$tmp/requirements.txt" || {
  echo "build_pex: pex==$PANTS_PEX_VERSION is not in 3rdparty/pants/requirements.lock" >&2
  exit 1
}

"$python" -m venv "$tmp/venv"
"$tmp/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-deps --require-hashes -r "$tmp/requirements.txt" 2>&1 | { grep -v ' is ignored: ' || true; } >&2

mkdir -p "$(dirname "$out")"
"$tmp/venv/bin/pex" "pex==$PANTS_PEX_VERSION" -c pex -o "$tmp/pex.pex" \
  --no-strip-pex-env --include-tools --python-shebang '/usr/bin/env python' \
  --no-compile --no-use-system-time --disable-cache

sha="$(sha256sum "$tmp/pex.pex" | cut -d' ' -f1)"
size="$(stat -c %s "$tmp/pex.pex")"
want="$(pex_known_version "$root")"
if [[ -n "$want" && "$sha $size" != "$want" ]]; then
  echo "build_pex: built $sha $size, but pants.toml pins $want" >&2
  exit 1
fi
mv -f "$tmp/pex.pex" "$out"
echo "build_pex: $out sha256=$sha size=$size"
