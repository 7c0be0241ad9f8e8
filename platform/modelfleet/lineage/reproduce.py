"""Rebuild a past model version from its lineage alone and compare its metric with the original's.

1. the training set is fetched by its DVC hash from the recorded remote
   (nothing local is needed: the run folder may be long gone);
2. the recorded code revision is checked out of git into a scratch folder,
   and the spec found there must hash to the recorded spec hash;
3. the checkout's own `modelfleet.lineage.retrain` fits the recorded
   candidate with the spec's seed, on CPU, in a fresh process;
4. the hold-out metric is compared with the original run's within a tolerance.

Determinism: xgboost's `hist` trees with one thread and a seed, and the torch
MLP on CPU with a seeded generator and one thread, give bit-identical metrics
on the same library versions, so the default tolerance is 1e-9. A model
trained on a GPU is reproduced on CPU; its metric may differ in the last
digits (pass a looser --tolerance).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modelfleet import paths
from modelfleet.lineage import tags
from modelfleet.lineage.record import LineageError, ModelLineage
from modelfleet.lineage.versions import spec_sha256

DEFAULT_TOLERANCE = 1e-9


class ReproductionError(RuntimeError):
    """A step of the reproduction could not be done; the message says which and why."""


@dataclass
class Reproduction:
    lineage: ModelLineage
    workdir: Path
    revision: str
    data_md5: str
    metric_name: str
    original: float
    reproduced: float
    tolerance: float
    code: str
    """The folder the retraining imported modelfleet from (inside the checkout)."""

    @property
    def difference(self) -> float:
        return abs(self.reproduced - self.original)

    @property
    def matches(self) -> bool:
        return self.difference <= self.tolerance


def checkout(revision: str, dest: Path, repo: Path | None = None) -> Path:
    """Write the tree of `revision` into `dest` with `git archive`: no worktree, no index, nothing of the live clone touched."""
    repo = repo or paths.repo_root()
    clean = revision.removesuffix("-dirty")
    if clean in ("", "unknown"):
        raise ReproductionError(f"no code revision was recorded (tag {tags.CODE_REVISION}): the model was not trained from a git checkout")
    try:
        archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", clean],
                                 capture_output=True, check=True, timeout=120).stdout
    except subprocess.CalledProcessError as exc:
        raise ReproductionError(f"git cannot check out revision {clean} in {repo}: {exc.stderr.decode().strip()} "
                                "(fetch it, e.g. `git fetch origin`, or set MODELFLEET_REPO to a clone that has it)") from exc
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def retrain(src: Path, home: Path, lineage: ModelLineage, training_set: Path) -> dict:
    """Run the checkout's retrain entry point in a fresh interpreter whose `modelfleet` is the checkout's."""
    dag_id = lineage.tag(tags.DAG_ID)
    tenant = lineage.ref.tenant
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELFLEET_", "AIRFLOW__"))}
    env.update({"PYTHONPATH": str(src / "platform"), "MODELFLEET_REPO": str(src), "MODELFLEET_TENANTS_DIR": str(src / "tenants"),
                "MODELFLEET_HOME": str(home), "PYTHONHASHSEED": "0"})
    argv = [sys.executable, "-m", "modelfleet.lineage.retrain", "--tenant", tenant, "--model", dag_id.removeprefix(f"{tenant}__"),
            "--candidate", lineage.tag(tags.CANDIDATE, "main"), "--training-set", str(training_set)]
    if lineage.tag(tags.PARTITION):
        argv += ["--partition", lineage.tag(tags.PARTITION)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=str(home), timeout=3600)
    if done.returncode != 0:
        raise ReproductionError(f"retraining at the recorded revision failed (exit {done.returncode}):\n{done.stderr.strip()[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def reproduce(lineage: ModelLineage, workdir: Path | None = None, tolerance: float = DEFAULT_TOLERANCE,
              allow_dirty: bool = False) -> Reproduction:
    from modelfleet.lineage.snapshots import fetch

    snap = lineage.snapshot(tags.TRAINING_SET)
    if not snap or not snap.get("md5") or not snap.get("remote"):
        raise LineageError(f"{lineage.ref}: no DVC snapshot of the training set is recorded")
    if lineage.metric is None:
        raise LineageError(f"{lineage.ref}: run {lineage.run_id} has no hold-out metric to compare with")
    revision = lineage.tag(tags.CODE_REVISION)
    if revision.endswith("-dirty") and not allow_dirty:
        raise ReproductionError(f"{lineage.ref} was trained from uncommitted changes on top of {revision.removesuffix('-dirty')}: "
                                "that code is not in git. Pass --allow-dirty to retrain with the committed revision "
                                "(the spec hash is still checked)")
    workdir = workdir or Path(tempfile.mkdtemp(prefix="modelfleet-reproduce-"))
    data = fetch(snap["md5"], snap["remote"], workdir / "data" / "training_set.parquet")
    src = checkout(revision, workdir / "src")
    spec_file = lineage.tag(tags.SPEC_FILE)
    tenants_dir = src / Path(spec_file).parts[0] if spec_file else src / "tenants"
    model_name = lineage.tag(tags.DAG_ID).removeprefix(f"{lineage.ref.tenant}__")
    try:
        found = spec_sha256(tenants_dir, lineage.ref.tenant, model_name)
    except FileNotFoundError as exc:
        raise ReproductionError(f"revision {revision} has no spec {spec_file}: {exc}") from exc
    if found != lineage.tag(tags.SPEC_SHA256):
        raise ReproductionError(f"the spec at revision {revision} ({spec_file}, sha256 {found[:16]}) is not the one the model "
                                f"was trained with (sha256 {lineage.tag(tags.SPEC_SHA256)[:16]}): it was changed without a commit")
    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    result = retrain(src, home, lineage, data)
    return Reproduction(lineage=lineage, workdir=workdir, revision=revision, data_md5=snap["md5"],
                        metric_name=result["metric_name"], original=float(lineage.metric), reproduced=float(result["metric"]),
                        tolerance=tolerance, code=result["code"])
