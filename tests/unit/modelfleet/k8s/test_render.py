"""`modelfleet k8s render` as an operator runs it, and the pools `modelfleet pools sync` writes from the same files."""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from rich.console import Console
from support.k8s_render import FleetRender, queue_guarantees

from modelfleet.cli import k8s as k8s_commands
from modelfleet.k8s import names


def run_render(out: Path) -> tuple[int, str]:
    console = io.StringIO()
    code = k8s_commands.render(Console(file=console, width=200, color_system=None), out)
    return code, console.getvalue()


def test_render_writes_every_checked_manifest(tmp_path: Path, real: FleetRender) -> None:
    out = tmp_path / "k8s"
    code, printed = run_render(out)
    assert code == 0, printed
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.yaml"))
    assert files == sorted([*real.rendered.files, "helm-values.generated.yaml"])
    kueue = list(yaml.safe_load_all((out / "kueue.yaml").read_text()))
    assert kueue == real.rendered.files["kueue.yaml"]
    template = yaml.safe_load((out / "pod-templates" / "gpu-a10g.yaml").read_text())
    configmap = yaml.safe_load((out / "pod-templates.yaml").read_text())
    assert yaml.safe_load(configmap["data"]["gpu-a10g.yaml"]) == template  # the plain copy is the ConfigMap's content
    assert yaml.safe_load((out / "helm-values.generated.yaml").read_text()) == real.rendered.values
    for quota in real.rendered.quotas:  # the table: one row per team and class
        assert any(quota.tenant in line and f"gpu-{quota.gpu_class}" in line and f" {quota.nominal} " in line
                   for line in printed.splitlines()), quota
    assert "checked against Kubernetes 1.35.0 schemas and Kueue's rules" in printed


@pytest.fixture(scope="module")
def metadata_db() -> None:
    from airflow.utils.db import upgradedb

    upgradedb()


@pytest.mark.airflow_db
def test_the_pools_pools_sync_writes_are_the_cluster_queue_quotas(metadata_db: None, real: FleetRender) -> None:
    """One quota file drives both: the Airflow pools written to a database and the rendered ClusterQueues."""
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from modelfleet.cli import gpus as gpu_commands
    from modelfleet.scheduling.pools import parse_pool_name

    out = io.StringIO()
    try:
        assert gpu_commands.pools_sync(Console(file=out, width=200)) == 0, out.getvalue()
        slots: dict[tuple[str, str], int] = defaultdict(int)
        for name, stats in Pool.slots_stats().items():
            if parsed := parse_pool_name(name):
                slots[(parsed[0], parsed[1])] += int(stats["total"])
        assert dict(slots) == queue_guarantees(real)
        for gpu_class in real.capacity.classes_with_devices():
            cohort = real.one("Cohort", names.COHORT)
            shared = sum(int(r["nominalQuota"]) for g in cohort["spec"].get("resourceGroups", []) for f in g["flavors"]
                         if f["name"] == names.flavor(gpu_class) for r in f["resources"] if r["name"] == names.GPU_RESOURCE)
            assert sum(n for (_, cls), n in slots.items() if cls == gpu_class) + shared == real.capacity.total(gpu_class)
    finally:
        with create_session() as session:
            for pool in session.scalars(select(Pool)):
                if parse_pool_name(pool.pool):
                    session.delete(pool)


def test_values_without_git_sync_render_nothing(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("defaultAirflowTag: '3.3.2'\ndags: {gitSync: {enabled: false}}\n")
    console = io.StringIO()
    assert k8s_commands.render(Console(file=console, width=200), tmp_path / "k8s", values) == 1
    assert "dags.gitSync.enabled must be true" in console.getvalue()
    assert not (tmp_path / "k8s").exists()
