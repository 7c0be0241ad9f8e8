"""Version identifiers recorded on every run: the data's content hash and the code's git revision."""

from __future__ import annotations

import hashlib
import subprocess
from functools import lru_cache

from modelfleet import paths


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=1)
def code_revision() -> str:
    """git HEAD of the monorepo, with `-dirty` when the work tree differs; `unknown` outside git."""
    root = str(paths.repo_root())
    try:
        head = subprocess.run(["git", "-C", root, "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head
