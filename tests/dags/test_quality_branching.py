"""A real Airflow run (dag.test) of a pipeline down each quality path: which tasks run or are skipped, and the run's state.

Training-side tasks are marked success without running (mark_success_pattern):
the stage tests cover what they do; here Airflow's branching and trigger rules
are under test, on data from the tenant's own generator.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from support.tenant_copy import REPO, use_tenant_copy

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


def run_pipeline(day: date, bad_rows: float, events_of: date | None = None, landed: datetime | None = None) -> tuple[str, dict[str, str]]:
    """Land `day`'s file (with the events of `events_of`, default `day`; modified at `landed`, default now) and run it."""
    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.data_interval import start_of_day
    from modelfleet.io import rendered_data_path
    from modelfleet.specs.loader import load_pipeline
    from payments.datagen import card_transactions

    pipeline = load_pipeline("payments", "card_fraud")
    target = Path(rendered_data_path(pipeline, day.isoformat()))
    target.parent.mkdir(parents=True, exist_ok=True)
    card_transactions(events_of or day, rows=1000, bad_rows=bad_rows).to_parquet(target, index=False)
    if landed is not None:
        os.utime(target, (landed.timestamp(), landed.timestamp()))
    run = build_pipeline_dag(pipeline).test(
        logical_date=start_of_day(day), mark_success_pattern=MARKED_SUCCESS
    )
    return str(run.state), {ti.task_id: str(ti.state) for ti in run.get_task_instances()}


PATHS = [
    pytest.param(
        date(2026, 11, 19), 0.0, "full", "success",
        {"allow_deploy": "success", "deploy": "success", "summarize": "success", "quality_alert": "skipped"},
        id="clean-full",
    ),
    pytest.param(
        date(2026, 11, 20), 0.002, "reduced", "success",
        {"allow_deploy": "skipped", "deploy": "skipped", "register": "success", "summarize": "success", "quality_alert": "skipped"},
        id="two-bad-rows-reduced",
    ),
    pytest.param(
        date(2026, 11, 18), 0.2, "alert", "failed",
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


def outcome_of(state: Path, day: date) -> dict:
    return json.loads((state / "runs" / "payments__card_fraud" / day.isoformat() / "outcome.json").read_text())


def test_backfill_weeks_later_over_data_landed_for_its_date_deploys(metadata_db, fleet_copy):
    """Freshness is judged at the run's data interval end: a date's clean data, landed the day after it,
    takes the full path and deploys whenever the backfill runs (this date is weeks before the suite was written)."""
    day = date(2026, 10, 1)
    state, tasks = run_pipeline(day, 0.0, landed=datetime(2026, 10, 2, 1, 30, tzinfo=timezone.utc))
    assert state == "success"
    assert {k: tasks[k] for k in ("wait_for_data", "validate_data", "allow_deploy", "deploy")} == dict.fromkeys(
        ("wait_for_data", "validate_data", "allow_deploy", "deploy"), "success")
    assert outcome_of(fleet_copy, day)["quality_path"] == "full"


def test_data_stale_for_its_own_date_takes_the_reduced_path(metadata_db, fleet_copy):
    """The file for the date holds events five days older than the date (max_staleness 36 h): reduced, nothing deployed."""
    day = date(2026, 10, 8)
    state, tasks = run_pipeline(day, 0.0, events_of=day - timedelta(days=5))
    assert state == "success"
    assert {k: tasks[k] for k in ("allow_deploy", "deploy", "register")} == {
        "allow_deploy": "skipped", "deploy": "skipped", "register": "success"}
    outcome = outcome_of(fleet_copy, day)
    assert outcome["quality_path"] == "reduced" and outcome["quality_score"] < 0.98
    report = json.loads((fleet_copy / "runs" / "payments__card_fraud" / day.isoformat() / "validation_report.json").read_text())
    assert [v["check"] for v in report["violations"]] == ["newest event_timestamp within 1 day, 12:00:00 of the data interval end"]
    assert report["judged_at"] == "2026-10-08T00:00:00+00:00"
