"""DVC snapshots: pushed to a local folder or S3 (a real moto server), fetched back by hash from the remote alone,
rerun in the same workspace, and taken by many threads at once into shared and separate workspaces."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from modelfleet.hooks.dvc import DvcRemote
from modelfleet.lineage.snapshots import Snapshot, SnapshotError, SnapshotNotFound, fetch, snapshot

pytestmark = pytest.mark.usefixtures("no_dvc_settings")


@pytest.fixture
def remote(tmp_path) -> DvcRemote:
    return DvcRemote(str(tmp_path / "remote"))


def write(path: Path, data: bytes) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def dvc_file_md5(path: Path) -> str:
    (out,) = yaml.safe_load(path.with_name(path.name + ".dvc").read_text())["outs"]
    return out["md5"]


def test_snapshot_then_fetch_by_hash_after_workspace_and_data_are_gone(tmp_path, remote):
    workspace = tmp_path / "runs" / "payments__fraud" / "2026-11-19"
    training = write(workspace / "training_set.parquet", os.urandom(200_000))
    report = write(workspace / "validation_report.json", json.dumps({"passed": True}).encode())

    snaps = snapshot(workspace, [workspace / "training_set.parquet", Path("validation_report.json")], remote)

    md5 = hashlib.md5(training).hexdigest()
    assert snaps[0] == Snapshot("training_set.parquet", md5, len(training), remote.url,
                                f"{remote.url}/files/md5/{md5[:2]}/{md5[2:]}")
    assert snaps[0].md5 == dvc_file_md5(workspace / "training_set.parquet")  # DVC's own record of the file
    assert (snaps[1].name, snaps[1].md5) == ("validation_report.json", hashlib.md5(report).hexdigest())
    assert Path(snaps[0].remote_path).read_bytes() == training
    assert snaps[0].as_tags("lineage.data.training_set") == {
        "lineage.data.training_set.name": "training_set.parquet",
        "lineage.data.training_set.md5": md5,
        "lineage.data.training_set.size": "200000",
        "lineage.data.training_set.remote": remote.url,
        "lineage.data.training_set.remote_path": snaps[0].remote_path,
    }
    # DVC's metadata stays in the workspace, without git, its site cache (state, index) included.
    config = (workspace / ".dvc" / "config").read_text()
    assert "no_scm = True" in config and "analytics = False" in config
    assert (workspace / ".dvc" / "tmp" / "site" / "repo").is_dir() and (workspace / ".dvc" / "cache").is_dir()
    assert not any((workspace / name).exists() for name in (".git", ".gitignore", "dvc.yaml", "dvc.lock"))

    shutil.rmtree(tmp_path / "runs")
    got = fetch(md5, remote.url, tmp_path / "fetched" / "training_set.parquet")

    assert got == tmp_path / "fetched" / "training_set.parquet" and got.read_bytes() == training
    assert os.listdir(got.parent) == ["training_set.parquet"]  # the scratch repository is gone
    assert fetch(snaps[1].md5, remote, got).read_bytes() == report  # replaces an existing file


def test_rerun_in_the_same_workspace_gives_the_new_hash(tmp_path, remote):
    workspace = tmp_path / "run"
    first = write(workspace / "training_set.parquet", os.urandom(10_000))
    (old,) = snapshot(workspace, ["training_set.parquet"], remote)
    (same,) = snapshot(workspace, ["training_set.parquet"], remote)
    second = write(workspace / "training_set.parquet", os.urandom(10_000))  # same size, new content

    (new,) = snapshot(workspace, ["training_set.parquet"], remote)

    assert same == old
    assert new.md5 == hashlib.md5(second).hexdigest() == dvc_file_md5(workspace / "training_set.parquet") != old.md5
    assert fetch(old.md5, remote, tmp_path / "old").read_bytes() == first  # both stay in the remote
    assert fetch(new.md5, remote, tmp_path / "new").read_bytes() == second


def test_files_must_be_in_the_workspace_and_exist(tmp_path, remote):
    workspace = tmp_path / "run"
    write(tmp_path / "elsewhere.parquet", b"x")
    with pytest.raises(ValueError, match="is not inside the workspace"):
        snapshot(workspace, [tmp_path / "elsewhere.parquet"], remote)
    with pytest.raises(FileNotFoundError, match="missing.parquet: no such file"):
        snapshot(workspace, ["missing.parquet"], remote)
    assert snapshot(workspace, [], remote) == []


def test_unknown_hash_names_the_hash_and_the_remote(tmp_path, remote):
    write(tmp_path / "run" / "a.bin", b"some bytes")
    snapshot(tmp_path / "run", ["a.bin"], remote)  # the remote exists and holds something else
    unknown = "0123456789abcdef0123456789abcdef"

    with pytest.raises(SnapshotNotFound) as raised:
        fetch(unknown, remote, tmp_path / "out" / "a.bin")

    assert str(raised.value) == (f"no object with DVC hash {unknown} in the DVC remote {remote.url} "
                                 f"(looked for {remote.url}/files/md5/01/23456789abcdef0123456789abcdef)")
    assert (raised.value.md5, raised.value.remote) == (unknown, remote.url)
    assert os.listdir(tmp_path / "out") == []
    with pytest.raises(ValueError, match="'not-a-hash' is not a DVC file hash"):
        fetch("not-a-hash", remote, tmp_path / "out" / "a.bin")


def test_corrupted_object_in_the_remote_is_not_written(tmp_path, remote):
    write(tmp_path / "run" / "a.bin", os.urandom(1000))
    (snap,) = snapshot(tmp_path / "run", ["a.bin"], remote)
    os.chmod(snap.remote_path, 0o644)  # DVC makes a local remote's objects read-only
    Path(snap.remote_path).write_bytes(b"tampered")

    with pytest.raises(SnapshotError, match=f"could not fetch {snap.md5}"):
        fetch(snap.md5, remote, tmp_path / "out" / "a.bin")
    assert os.listdir(tmp_path / "out") == []


def test_s3_remote_snapshot_and_fetch_from_the_connection(tmp_path, monkeypatch, s3_bucket, moto_endpoint):
    client, bucket = s3_bucket
    monkeypatch.setenv("AIRFLOW_CONN_DVC_DEFAULT", json.dumps({
        "conn_type": "generic", "login": "AKIAMODELFLEET", "password": "dvc-secret-not-on-disk",
        "extra": {"url": f"s3://{bucket}/dvc", "endpoint_url": moto_endpoint, "region_name": "us-east-1"},
    }))
    workspace = tmp_path / "run"
    data = write(workspace / "training_set.parquet", os.urandom(300_000))

    (snap,) = snapshot(workspace, ["training_set.parquet"])  # the remote from the connection

    md5 = hashlib.md5(data).hexdigest()
    assert (snap.md5, snap.remote, snap.remote_path) == (md5, f"s3://{bucket}/dvc",
                                                         f"s3://{bucket}/dvc/files/md5/{md5[:2]}/{md5[2:]}")
    stored = client.get_object(Bucket=bucket, Key=f"dvc/files/md5/{md5[:2]}/{md5[2:]}")["Body"].read()
    assert stored == data
    assert not [f for f in workspace.rglob("*") if f.is_file() and b"dvc-secret-not-on-disk" in f.read_bytes()]

    shutil.rmtree(workspace)
    assert fetch(snap.md5, snap.remote, tmp_path / "back.parquet").read_bytes() == data
    with pytest.raises(SnapshotNotFound, match=f"in the DVC remote s3://{bucket}/dvc "):
        fetch("f" * 32, snap.remote, tmp_path / "nothing")


def test_many_threads_snapshot_into_shared_and_separate_workspaces_at_once(tmp_path, remote, monkeypatch):
    """8 at once: 4 into one run folder (two tasks of a run), 4 into their own, all to one remote; two
    contents are shared across workspaces so the same object is pushed concurrently. DVC commands on
    one workspace never overlap (DVC itself only retries its lock for a few seconds, then fails)."""
    from dvc.repo import Repo

    running: dict[str, int] = {}
    most: dict[str, int] = {}
    guard = threading.Lock()

    def watched(method):
        def run(repo, *args, **kwargs):
            with guard:
                running[repo.root_dir] = running.get(repo.root_dir, 0) + 1
                most[repo.root_dir] = max(most.get(repo.root_dir, 0), running[repo.root_dir])
            try:
                time.sleep(0.05)  # widen the window an unlocked workspace would be entered twice in
                return method(repo, *args, **kwargs)
            finally:
                with guard:
                    running[repo.root_dir] -= 1
        return run

    monkeypatch.setattr(Repo, "add", watched(Repo.add))
    monkeypatch.setattr(Repo, "push", watched(Repo.push))
    jobs = []
    for i in range(8):
        workspace = tmp_path / ("shared" if i < 4 else f"own-{i}")
        content = b"common content %d" % (i % 2) * 1000 if i in (0, 1, 4, 5) else os.urandom(50_000)
        jobs.append((workspace, write(workspace / f"part-{i}.bin", content), f"part-{i}.bin"))
    start = threading.Barrier(len(jobs))

    def take(job):
        workspace, _, name = job
        start.wait()
        return snapshot(workspace, [name], remote)

    with ThreadPoolExecutor(len(jobs)) as pool:
        results = list(pool.map(take, jobs))

    assert most == {str(workspace): 1 for workspace, _, _ in jobs}
    shutil.rmtree(tmp_path / "shared")
    for (_, content, name), (snap,) in zip(jobs, results):
        assert (snap.name, snap.md5) == (name, hashlib.md5(content).hexdigest())
        assert fetch(snap.md5, remote.url, tmp_path / "back" / name).read_bytes() == content
    assert len({snap.md5 for (snap,) in results}) == 6
