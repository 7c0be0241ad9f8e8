"""One team's broken spec: its pipeline becomes a marked placeholder; every other DAG, same team included, still loads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def broken_fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    tenants = tmp_path / "tenants"
    shutil.copytree(REPO / "tenants", tenants, ignore=shutil.ignore_patterns("__pycache__", "tests", "BUILD"))
    victim = sorted((tenants / "payments" / "models").glob("*.yaml"))[0]
    spec = yaml.safe_load(victim.read_text())
    spec["training"]["resources"]["gpus"] = -2
    victim.write_text(yaml.safe_dump(spec))
    monkeypatch.setenv("MODELFLEET_TENANTS_DIR", str(tenants))
    return tenants, f"payments__{victim.stem}"


def test_broken_spec_costs_only_its_own_pipeline(broken_fleet: tuple[Path, str]) -> None:
    from airflow.dag_processing.dagbag import DagBag

    from modelfleet.specs.loader import load_fleet

    tenants, broken_id = broken_fleet
    fleet = load_fleet(tenants)
    bag = DagBag(dag_folder=str(REPO / "dags"))
    assert bag.import_errors == {}
    valid_ids = {p.dag_id for p in fleet.pipelines}
    assert broken_id not in valid_ids and len(valid_ids) >= 20
    scoring_ids = {f"{p.dag_id}__scoring" for p in fleet.pipelines if p.model.deployment.target == "batch"}
    feature_ids = {f"{t}__features" for t in fleet.tenants}
    assert valid_ids | scoring_ids | feature_ids | {broken_id, "modelfleet_monitoring"} == set(bag.dag_ids)  # a broken spec gets no scoring DAG
    assert any(d.startswith("payments__") for d in valid_ids)  # the same team's other pipelines survive

    placeholder = bag.dags[broken_id]
    assert "broken-spec" in placeholder.tags
    assert [t.task_id for t in placeholder.tasks] == ["spec_error"]
    assert "training.resources.gpus" in placeholder.doc_md and "Fix:" in placeholder.doc_md
    assert placeholder.description.startswith("BROKEN SPEC: tenants/payments/models/")


def test_placeholder_task_fails_with_the_message(broken_fleet: tuple[Path, str]) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from modelfleet.dag_factory import build_fleet_dags

    tenants, broken_id = broken_fleet
    task = build_fleet_dags(tenants)[broken_id].get_task("spec_error")
    with pytest.raises(AirflowFailException, match="training.resources.gpus"):
        task.execute({})
