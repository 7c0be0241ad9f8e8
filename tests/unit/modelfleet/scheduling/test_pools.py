"""`modelfleet pools sync` against a real Airflow metadata database: pools generated per team, class and task size."""

from __future__ import annotations

import io

import pytest
import yaml
from rich.console import Console

from modelfleet.cli import gpus as gpu_commands
from modelfleet.scheduling.pools import gpu_pool_name, parse_pool_name

pytestmark = pytest.mark.airflow_db


@pytest.fixture(scope="module")
def metadata_db() -> None:
    from airflow.utils.db import upgradedb

    upgradedb()


@pytest.fixture
def fleet(fleet_dir, data_root, monkeypatch, metadata_db):
    """The small fleet with GPUs: acme trains `fraud` on 2 a10g, globex on 1; acme may borrow 1."""
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", str(fleet_dir))
    monkeypatch.setenv("MODELFLEET_DATA_ROOT", str(data_root))
    _edit(fleet_dir / "acme/tenant.yaml", gpu_quota={"a10g": {"nominal": 1, "borrowing_limit": 1}, "a100": {"nominal": 1}})
    _edit(fleet_dir / "globex/tenant.yaml", gpu_quota={"a10g": {"nominal": 2}})
    _edit(fleet_dir / "acme/models/fraud.yaml", training={"resources": {"device": "gpu", "gpus": 2, "gpu_class": "a10g"}})
    _edit(fleet_dir / "globex/models/fraud.yaml", training={"resources": {"device": "gpu", "gpus": 1, "gpu_class": "a10g"}})
    yield fleet_dir
    from airflow.models.pool import Pool
    from airflow.utils.session import create_session

    with create_session() as session:
        for pool in session.scalars(__import__("sqlalchemy").select(Pool)):
            if parse_pool_name(pool.pool):
                session.delete(pool)


def _edit(path, **changes):
    data = yaml.safe_load(path.read_text())
    data.update(changes)
    path.write_text(yaml.safe_dump(data))


def pool_sizes() -> dict[str, int]:
    from airflow.models.pool import Pool

    return {name: int(stats["total"]) for name, stats in Pool.slots_stats().items() if parse_pool_name(name)}


def sync() -> tuple[int, str]:
    out = io.StringIO()
    code = gpu_commands.pools_sync(Console(file=out, width=200, color_system=None))
    return code, out.getvalue()


def test_sync_creates_each_teams_pools_at_its_guarantee_and_is_idempotent(fleet):
    code, out = sync()
    assert code == 0, out
    # idle: a team's guarantee waits in its 1-GPU pool; the 2-GPU pool gets GPUs when a 2-GPU task waits
    assert pool_sizes() == {"acme__gpu_a10g": 1, "acme__gpu_a10g_x2": 0, "acme__gpu_a100": 1, "globex__gpu_a10g": 2}
    assert "a100 1/1, a10g 3/4" in out
    code, again = sync()
    assert code == 0 and "(0 changed)" in again


def test_sync_refuses_an_over_committed_config_and_changes_nothing(fleet):
    assert sync()[0] == 0
    before = pool_sizes()
    _edit(fleet / "globex/tenant.yaml", gpu_quota={"a10g": {"nominal": 4}})
    code, out = sync()
    assert code == 1
    assert "refused" in out and "no pool was changed" in out
    assert "the teams' guaranteed a10g GPUs add up to 5 (acme 1, globex 4) but the fleet has 4" in " ".join(out.split())
    assert pool_sizes() == before


def test_sync_refuses_a_malformed_tenant_file(fleet):
    assert sync()[0] == 0
    before = pool_sizes()
    (fleet / "globex/tenant.yaml").write_text((fleet / "globex/tenant.yaml").read_text() + "gpu_quota: {a10g: {nominl: 2}}\n")
    code, out = sync()
    assert code == 1 and "tenants/globex/tenant.yaml" in out
    assert pool_sizes() == before


def test_pool_names_round_trip():
    assert gpu_pool_name("acme", "a10g") == "acme__gpu_a10g" and gpu_pool_name("acme", "a10g", 4) == "acme__gpu_a10g_x4"
    assert parse_pool_name("acme__gpu_a10g_x4") == ("acme", "a10g", 4) and parse_pool_name("default_pool") is None
