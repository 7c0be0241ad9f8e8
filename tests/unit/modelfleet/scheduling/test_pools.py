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


def test_a_controller_killed_between_shrink_and_grow_leaves_safe_pools_and_the_next_pass_converges(fleet, monkeypatch):
    """Shrinks are committed before any pool grows: a crash in between never over-commits, and a rerun finishes the job."""
    from airflow.utils.session import create_session

    from modelfleet.scheduling import pools as pool_module
    from modelfleet.scheduling.controller import gpu_inputs

    assert sync()[0] == 0
    # globex gives one guaranteed GPU to acme: acme's pools must grow, globex's shrink
    _edit(fleet / "acme/tenant.yaml", gpu_quota={"a10g": {"nominal": 2, "borrowing_limit": 1}, "a100": {"nominal": 1}})
    _edit(fleet / "globex/tenant.yaml", gpu_quota={"a10g": {"nominal": 1}})
    fleet_spec, capacity, layout = gpu_inputs()
    commits = []

    class Killed(Exception):
        pass

    def commit_then_die(session):
        real = session.commit

        def commit():
            commits.append(1)
            if len(commits) == 2:
                raise Killed("controller killed before its grow step committed")
            real()
        return commit

    with create_session() as session:
        plans = pool_module.plan(fleet_spec, capacity, layout, session, lend=False)
        monkeypatch.setattr(session, "commit", commit_then_die(session))
        with pytest.raises(Killed):
            pool_module.write_sizes(plans, session)
        session.rollback()
    after_crash = pool_sizes()
    assert after_crash["globex__gpu_a10g"] == 1  # the shrink was committed
    a10g = sum(size for name, size in after_crash.items() if "a10g" in name)
    assert a10g <= 4, after_crash
    assert sync()[0] == 0
    assert pool_sizes() == {"acme__gpu_a10g": 2, "acme__gpu_a10g_x2": 0, "acme__gpu_a100": 1, "globex__gpu_a10g": 1}
