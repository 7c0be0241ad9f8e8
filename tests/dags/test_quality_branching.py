"""A real Airflow run (dag.test) of a pipeline down each quality path: which tasks run or are skipped, and the run's state.

Training-side tasks are marked success without running (mark_success_pattern):
the stage tests cover what they do; here Airflow's branching and trigger rules
are under test, on data from the tenant's own generator.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.tenant_copy import REPO, use_tenant_copy

TODAY = datetime.now(timezone.utc).date()
MARKED_SUCCESS = r"^(build_features|train.*|evaluate|register|deploy)$"

pytestmark = pytest.mark.airflow_db


@pytest.fixture(scope="module")
def metadata_db() -> None:
    """The session's own SQLite metadata DB (the root conftest points AIRFLOW_HOME at a temporary folder)."""
    from airflow.utils.db import upgradedb

    upgradedb()


@pytest.fixture
def fleet_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _, state = use_tenant_copy(tmp_path, monkeypatch)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
    return state


def run_pipeline(day: date, bad_rows: float) -> tuple[str, dict[str, str]]:
    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.io import rendered_data_path
    from modelfleet.specs.loader import load_pipeline
    from payments.datagen import card_transactions

    pipeline = load_pipeline("payments", "card_fraud")
    target = Path(rendered_data_path(pipeline, day.isoformat()))
    target.parent.mkdir(parents=True, exist_ok=True)
    card_transactions(day, rows=1000, bad_rows=bad_rows).to_parquet(target, index=False)
    run = build_pipeline_dag(pipeline).test(
        logical_date=datetime(day.year, day.month, day.day, tzinfo=timezone.utc), mark_success_pattern=MARKED_SUCCESS
    )
    return str(run.state), {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


PATHS = [
    pytest.param(
        TODAY - timedelta(days=1), 0.0, "full", "success",
        {"allow_deploy": "success", "deploy": "success", "summarize": "success", "quality_alert": "skipped"},
        id="clean-full",
    ),
    pytest.param(
        TODAY, 0.002, "reduced", "success",
        {"allow_deploy": "skipped", "deploy": "skipped", "register": "success", "summarize": "success", "quality_alert": "skipped"},
        id="two-bad-rows-reduced",
    ),
    pytest.param(
        TODAY - timedelta(days=2), 0.2, "alert", "failed",
        {"allow_deploy": "skipped", "build_features": "skipped", "train": "skipped", "train_mlp_challenger": "skipped",
         "evaluate": "skipped", "register": "skipped", "deploy": "skipped", "summarize": "skipped", "quality_alert": "failed"},
        id="bad-data-alert",
    ),
]


@pytest.mark.parametrize(("day", "bad_rows", "path", "run_state", "expected"), PATHS)
def test_each_quality_path_runs_and_skips_the_right_tasks(metadata_db, fleet_copy, day, bad_rows, path, run_state, expected):
    state, tasks = run_pipeline(day, bad_rows)
    assert {k: tasks[k] for k in ("wait_for_data", "validate_data", "quality_gate")} == dict.fromkeys(
        ("wait_for_data", "validate_data", "quality_gate"), "success"
    )
    assert {k: tasks[k] for k in expected} == expected
    assert state == run_state
    outcome = fleet_copy / "runs" / "payments__card_fraud" / day.isoformat() / "outcome.json"
    if path == "alert":
        assert not outcome.exists()
    else:
        assert json.loads(outcome.read_text())["quality_path"] == path
