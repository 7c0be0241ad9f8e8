"""Version identifiers recorded on every run: the data's content hash, the code's git revisions, the spec's hash."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from modelfleet import paths


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=True, timeout=10).stdout.strip()


def code_revision(root: Path | None = None) -> str:
    """git HEAD of the monorepo, with `-dirty` when tracked files differ from it; `unknown` outside git.

    Not cached: a long-lived process (a test session, a worker) may see
    several commits, and two git calls cost milliseconds against a training.
    """
    root = root or paths.repo_root()
    try:
        head = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}-dirty" if dirty else head


def folder_revision(folder: Path) -> str:
    """The last commit that touched `folder` (a tenant's), so a team sees its own change; `unknown` outside git."""
    try:
        return _git(folder, "log", "-1", "--format=%H", "--", ".") or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def spec_files(tenants_dir: Path, tenant_id: str, model_name: str) -> list[Path]:
    """The files a pipeline's spec is read from: the model's YAML and its tenant's `tenant.yaml`."""
    tenant_dir = tenants_dir / tenant_id
    return [tenant_dir / "models" / f"{model_name}.yaml", tenant_dir / "tenant.yaml"]


def spec_sha256(tenants_dir: Path, tenant_id: str, model_name: str) -> str:
    """One hash over the spec's files (names and bytes): equal hashes mean the same spec text."""
    digest = hashlib.sha256()
    for path in spec_files(tenants_dir, tenant_id, model_name):
        digest.update(str(path.relative_to(tenants_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()
