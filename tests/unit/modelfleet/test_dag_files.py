"""The teams' DAG files: written from the tenant folders, and touched only when their own team's specs change."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from modelfleet import dag_files
from modelfleet.runtime.spec_watcher import SpecWatcher

REPO = Path(__file__).resolve().parents[3]
LONG_AGO = 1_700_000_000.0


@pytest.fixture
def layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two teams' folders (copies of real ones), the platform files and an empty DAG folder; the platform points at them."""
    tenants, dags, infra = tmp_path / "tenants", tmp_path / "dags", tmp_path / "infra"
    for team in ("lending", "payments"):
        shutil.copytree(REPO / "tenants" / team, tenants / team, ignore=shutil.ignore_patterns("__pycache__", "tests", "BUILD"))
    dags.mkdir()
    infra.mkdir()
    for name, variable in (("capacity.yaml", "MODELFLEET_CAPACITY_FILE"), ("data_grants.yaml", "MODELFLEET_DATA_GRANTS_FILE")):
        shutil.copy(REPO / "infra" / name, infra / name)
        monkeypatch.setenv(variable, str(infra / name))
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", str(tenants))
    monkeypatch.setenv("MODELFLEET_DAGS_FOLDER", str(dags))
    return tenants, dags


def _age_everything(*folders: Path) -> None:
    """Every file and folder gets one old time, so a later change is the only thing newer."""
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            os.utime(path, (LONG_AGO, LONG_AGO))


def _mtimes(dags: Path) -> dict[str, float]:
    return {p.stem: p.stat().st_mtime for p in dag_files.generated_files(dags)}


def test_sync_writes_a_file_per_team_and_removes_only_generated_files_of_teams_that_are_gone(layout: tuple[Path, Path]) -> None:
    tenants, dags = layout
    changes = dag_files.plan()
    assert sorted(p.name for p in changes.write) == ["lending.py", "payments.py"] and changes.remove == []
    dag_files.apply(changes)
    assert not dag_files.plan()  # applied: nothing left to do
    assert 'build_tenant_dags("payments")' in (dags / "tenants" / "payments.py").read_text()

    (dags / "tenants" / "lending.py").write_text("# edited by hand\n")
    hand_written = dags / "tenants" / "helpers.py"
    hand_written.write_text("# not generated\n")
    shutil.rmtree(tenants / "payments")
    changes = dag_files.plan()
    assert [p.name for p in changes.write] == ["lending.py"]  # put back as generated
    assert [p.name for p in changes.remove] == ["payments.py"]  # the team is gone
    assert changes.describe(dags.parent) == ["write dags/tenants/lending.py", "remove dags/tenants/payments.py (no tenants/payments/)"]
    dag_files.apply(changes)
    assert sorted(p.name for p in (dags / "tenants").iterdir()) == ["helpers.py", "lending.py"]


@pytest.mark.parametrize("change", ["edit a spec", "add a spec", "remove a spec", "edit tenant.yaml"])
def test_a_change_to_one_team_touches_that_team_s_file_only(layout: tuple[Path, Path], change: str) -> None:
    tenants, dags = layout
    dag_files.apply(dag_files.plan())
    _age_everything(tenants, dags, tenants.parent / "infra")
    assert dag_files.touch_changed() == []

    models = tenants / "payments" / "models"
    spec = sorted(models.glob("*.yaml"))[0]
    if change == "edit a spec":
        spec.write_text(spec.read_text() + "\n")
    elif change == "add a spec":
        shutil.copy(spec, models / "copy_of_a_spec.yaml")
    elif change == "remove a spec":
        spec.unlink()
    else:
        (tenants / "payments" / "tenant.yaml").write_text((tenants / "payments" / "tenant.yaml").read_text() + "\n")

    assert dag_files.touch_changed() == ["payments"]
    after = _mtimes(dags)
    assert after["payments"] > LONG_AGO and after["lending"] == LONG_AGO
    assert dag_files.touch_changed() == []  # touched: newer than its specs now


def test_a_platform_file_change_touches_every_team(layout: tuple[Path, Path], tmp_path: Path) -> None:
    tenants, dags = layout
    dag_files.apply(dag_files.plan())
    _age_everything(tenants, dags, tmp_path / "infra")
    capacity = tmp_path / "infra" / "capacity.yaml"
    capacity.write_text(capacity.read_text() + "\n")
    assert dag_files.touch_changed() == ["lending", "payments"]


def test_the_watcher_touches_a_changed_team_again_once_a_parse_under_way_has_ended(layout: tuple[Path, Path]) -> None:
    tenants, dags = layout
    dag_files.apply(dag_files.plan())
    _age_everything(tenants, dags, tenants.parent / "infra")
    watcher = SpecWatcher(settle=30.0)
    spec = sorted((tenants / "lending" / "models").glob("*.yaml"))[0]
    spec.write_text(spec.read_text() + "\n")
    os.utime(spec, (LONG_AGO + 100, LONG_AGO + 100))

    assert watcher.step(now=100.0) == ["lending"]
    marked = LONG_AGO + 200  # newer than the spec: only the watcher's second touch changes it
    os.utime(dags / "tenants" / "lending.py", (marked, marked))
    assert watcher.step(now=110.0) == []  # not yet
    assert watcher.step(now=130.0) == ["lending"]  # the second touch
    assert _mtimes(dags)["lending"] > marked and _mtimes(dags)["payments"] == LONG_AGO
    assert watcher.step(now=200.0) == []


def test_the_watcher_writes_dag_files_only_when_told_to(layout: tuple[Path, Path]) -> None:
    _, dags = layout
    SpecWatcher(write_files=False).step(now=0.0)
    assert dag_files.generated_files(dags) == []
    SpecWatcher(write_files=True).step(now=0.0)
    assert [p.stem for p in dag_files.generated_files(dags)] == ["lending", "payments"]


def test_only_the_repository_s_own_layout_may_be_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODELFLEET_DAGS_FOLDER", raising=False)
    monkeypatch.delenv("MODELFLEET_TENANTS_DIR", raising=False)
    assert dag_files.owns_repository_layout()
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", "/elsewhere")
    assert not dag_files.owns_repository_layout()
