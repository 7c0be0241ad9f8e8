# Shared by scripts/pants and build-support/pants/*.sh (sourced, not run).
# Pants 2.17.1 runs on CPython 3.9; the machine image has it under pyenv.

PANTS_PEX_VERSION="2.1.137"

# Print the path of a CPython 3.9 interpreter, or nothing.
find_python39() {
  local candidate
  for candidate in "${MODELFLEET_PANTS_PYTHON:-}" \
                   "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.9.*/bin/python3.9 \
                   "$(command -v python3.9 2>/dev/null || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]] &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

# The pex tool's expected "sha256 size", read from pants.toml [pex-cli].known_versions.
pex_known_version() {
  local root="$1"
  sed -n -E "s/.*\"v${PANTS_PEX_VERSION//./\\.}\\|linux_x86_64\\|([0-9a-f]{64})\\|([0-9]+)\".*/\\1 \\2/p" \
    "$root/pants.toml" | head -n 1
}
