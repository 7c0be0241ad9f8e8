"""DVC snapshots of training data: add files to a workspace's DVC cache, push them, fetch them back by hash.

A workspace (in the platform, a DAG run's run folder) becomes a DVC repository
without git: `.dvc/` (config, cache, DVC's tmp and index), `.dvcignore`, and
one `<file>.dvc` next to each snapshotted file. Everything DVC writes stays in
the workspace: the cache, and the "site cache" (state and index databases)
DVC otherwise keeps under /var/tmp/dvc. Only the remote is shared.

DVC runs one command at a time per repository (it takes `.dvc/tmp/lock`
and fails, rather than waits, when it is held), so every DVC command on a
workspace runs under `.dvc/tmp/snapshot.lock`, a file lock that waits:
two tasks of one run may snapshot into the same run folder. Pipelines with
their own workspaces push to the one remote at the same time; the remote is
content-addressed (`files/md5/<2>/<30>`), so they cannot clash.

`fetch` needs nothing but the hash and the remote: it writes a one-line
`.dvc` file into a scratch repository next to the destination and pulls it,
with the remote's `verify` on so DVC re-hashes what it downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet.hooks.dvc import DvcHook, DvcRemote

if TYPE_CHECKING:
    from dvc.repo import Repo

REMOTE_NAME = "modelfleet"
"""The remote's name inside each workspace's (in-memory) DVC configuration."""
LOCK_TIMEOUT_S = 30 * 60
LOCK_FILE = ("tmp", "snapshot.lock")
"""Under `.dvc/`: beside DVC's own `tmp/lock`, which fails instead of waiting."""

_MD5 = re.compile(r"[0-9a-f]{32}")


class SnapshotError(RuntimeError):
    """A snapshot could not be taken, pushed or fetched."""


class SnapshotNotFound(FileNotFoundError):
    """The remote holds no object with that hash."""

    def __init__(self, md5: str, remote: str, remote_path: str) -> None:
        super().__init__(f"no object with DVC hash {md5} in the DVC remote {remote} (looked for {remote_path})")
        self.md5 = md5
        self.remote = remote
        self.remote_path = remote_path


@dataclass(frozen=True)
class Snapshot:
    """One file as DVC stored it: its hash, size, and where the object lives in the remote."""

    name: str
    """Path of the file relative to the workspace (its file name when at the top, e.g. `training_set.parquet`)."""
    md5: str
    """DVC's hash of the file (`md5` in its `.dvc` file): the key to `fetch` it by."""
    size: int
    remote: str
    """The remote's URL as configured (an absolute folder or `s3://bucket/prefix`)."""
    remote_path: str
    """The object's own URL in that remote: `<remote>/files/md5/<first 2 hex>/<other 30>`."""

    def as_tags(self, prefix: str) -> dict[str, str]:
        """MLflow tags (`<prefix>.name`, `.md5`, `.size`, `.remote`, `.remote_path`): enough to fetch it back."""
        return {
            f"{prefix}.name": self.name,
            f"{prefix}.md5": self.md5,
            f"{prefix}.size": str(self.size),
            f"{prefix}.remote": self.remote,
            f"{prefix}.remote_path": self.remote_path,
        }


def snapshot(workspace: Path, files: Sequence[Path | str], remote: DvcRemote | None = None) -> list[Snapshot]:
    """Add `files` to `workspace`'s DVC cache and push them to `remote` (default: `DvcHook().remote`).

    `files` must lie inside `workspace` (relative ones are taken relative to
    it). The workspace becomes a DVC repository on first use; calling again,
    with the same or changed content, updates each `.dvc` file and gives the
    current hash. Returns one `Snapshot` per file, in the order given, each
    already present in the remote.
    """
    remote = remote or DvcHook().remote
    root = Path(workspace).resolve()
    targets = _targets(root, files)
    if not targets:
        return []
    from dvc.exceptions import DvcException

    with _locked(root):
        with _open_repo(root, remote) as repo:
            try:
                stages = repo.add([str(target) for target in targets])
                repo.push(targets=[stage.path for stage in stages], remote=REMOTE_NAME)
            except DvcException as exc:
                raise SnapshotError(f"DVC could not snapshot {[str(t) for t in targets]} of {root} "
                                    f"to the remote {remote.url}: {exc}") from exc
            outs = {Path(out.fs_path): out for stage in stages for out in stage.outs}
            odb = repo.cloud.get_remote_odb(REMOTE_NAME)
            snapshots = []
            for target in targets:
                out = outs[target]
                md5 = out.hash_info.value
                remote_path = odb.fs.unstrip_protocol(odb.oid_to_path(md5))
                if not odb.exists(md5):  # the contract is "fetchable from the remote": check, it is one stat
                    raise SnapshotError(f"DVC reported {target} pushed, but the remote {remote.url} "
                                        f"has no {remote_path}")
                snapshots.append(Snapshot(target.relative_to(root).as_posix(), md5, int(out.meta.size),
                                          remote.url, remote_path))
    return snapshots


def fetch(md5: str, remote: str | DvcRemote, dest: Path) -> Path:
    """Write the object with DVC hash `md5` from `remote` to the file `dest`; returns `dest`.

    Needs no workspace: a scratch repository beside `dest` pulls it, DVC
    checks the downloaded bytes against the hash, and the file is moved into
    place (replacing `dest`) only once complete. A `str` remote is resolved by
    `DvcHook().remote_for` (the configured remote's endpoint and keys when it
    is that remote). Raises `SnapshotNotFound` when the remote lacks it.
    """
    if not isinstance(md5, str) or not _MD5.fullmatch(md5):
        raise ValueError(f"{md5!r} is not a DVC file hash (32 lowercase hex digits)")
    from dvc.exceptions import DvcException

    if not isinstance(remote, DvcRemote):
        remote = DvcHook().remote_for(remote)
    dest = Path(dest).absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.dvc-fetch-", dir=dest.parent))
    try:
        (scratch / "object.dvc").write_text(f"outs:\n- md5: {md5}\n  hash: md5\n  path: object\n", encoding="utf-8")
        with _open_repo(scratch, remote, verify=True) as repo:
            odb = repo.cloud.get_remote_odb(REMOTE_NAME)
            if not odb.exists(md5):
                raise SnapshotNotFound(md5, remote.url, odb.fs.unstrip_protocol(odb.oid_to_path(md5)))
            try:
                repo.pull(targets=[str(scratch / "object.dvc")], remote=REMOTE_NAME)
            except DvcException as exc:
                raise SnapshotError(f"DVC could not fetch {md5} from the remote {remote.url}: the object is there but "
                                    f"did not download intact (or its bytes do not hash to {md5}): {exc}") from exc
        os.replace(scratch / "object", dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return dest


def _targets(root: Path, files: Sequence[Path | str]) -> list[Path]:
    """Absolute, de-duplicated paths of existing files inside `root` and outside its `.dvc/`."""
    targets: list[Path] = []
    for given in files:
        path = Path(given)
        path = (path if path.is_absolute() else root / path).resolve()
        if not path.is_relative_to(root) or path.relative_to(root).parts[:1] == (".dvc",):
            raise ValueError(f"{given} is not inside the workspace {root}: DVC snapshots only the workspace's files")
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file to snapshot")
        if path not in targets:
            targets.append(path)
    return targets


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """The workspace's snapshot lock: one DVC command at a time per workspace, across threads and processes."""
    from filelock import FileLock, Timeout  # pants: no-infer-dep (see BUILD: comes with dvc)

    lock_path = root.joinpath(".dvc", *LOCK_FILE)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=LOCK_TIMEOUT_S):
            yield
    except Timeout:
        raise SnapshotError(f"waited {LOCK_TIMEOUT_S} s for {lock_path}: another DVC command "
                            "holds the workspace") from None


@contextmanager
def _open_repo(root: Path, remote: DvcRemote, *, verify: bool = False) -> Iterator[Repo]:
    """`root` as a DVC repository (made one if it is not), configured to keep to itself and use `remote`."""
    from dvc.repo import Repo

    _init(root)
    with Repo(str(root), config=_config(root, remote, verify=verify)) as repo:
        yield repo


def _init(root: Path) -> None:
    """Make `root` a DVC repository without git, unless it is one (idempotent; callers hold the lock).

    Not `Repo.init`: it opens the new repository with DVC's default site
    cache (a folder per repository under /var/tmp/dvc) before any setting
    can move it, and with `force` it deletes an existing `.dvc/`. This writes
    the same files: `.dvc/config` (`no_scm`, analytics and update checks off,
    for anyone running the `dvc` CLI in the folder) and `.dvcignore`.
    """
    from dvc.config import Config
    from dvc.ignore import init as init_dvcignore

    dvc_dir = root / ".dvc"
    if not (dvc_dir / Config.CONFIG).exists():
        dvc_dir.mkdir(parents=True, exist_ok=True)
        with Config.init(str(dvc_dir)).edit("repo") as conf:
            conf["core"].update({"no_scm": True, "analytics": False, "check_update": False})
    init_dvcignore(str(root))


def _config(root: Path, remote: DvcRemote, *, verify: bool) -> dict[str, Any]:
    """DVC configuration merged over the config files, in memory only (it holds the remote's secrets).

    It overrides what a system or user-level DVC config could set: git, the
    cache's place and link type (copies: a hard-linked training set rewritten
    by a rerun would corrupt the cache), the site cache, the remote.
    """
    dvc_dir = root / ".dvc"
    return {
        "core": {
            "no_scm": True,
            "analytics": False,
            "check_update": False,
            "autostage": False,
            "site_cache_dir": str(dvc_dir / "tmp" / "site"),
            "remote": REMOTE_NAME,
        },
        "cache": {"dir": str(dvc_dir / "cache"), "type": "reflink,copy"},
        "remote": {REMOTE_NAME: {**remote.dvc_config(), "verify": verify}},
    }
