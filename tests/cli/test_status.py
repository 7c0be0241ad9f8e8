"""`modelfleet status` on a fleet with one injected failure: real Airflow runs (dag.test) in the session's metadata DB."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from support.tenant_copy import REPO, use_tenant_copy

pytestmark = pytest.mark.airflow_db

MARKED_SUCCESS = r"^(build_features|train.*|evaluate|register|deploy)$"
"""Training-side tasks are marked success (the stage tests cover them); the quality gate decides for real."""


def run_card_fraud(day: date, bad_rows: float) -> str:
    from payments.datagen import card_transactions

    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.data_interval import start_of_day
    from modelfleet.io import rendered_data_path
    from modelfleet.specs.loader import load_pipeline

    pipeline = load_pipeline("payments", "card_fraud")
    target = Path(rendered_data_path(pipeline, day.isoformat()))
    target.parent.mkdir(parents=True, exist_ok=True)
    card_transactions(day, rows=1000, bad_rows=bad_rows).to_parquet(target, index=False)
    return str(build_pipeline_dag(pipeline).test(logical_date=start_of_day(day), mark_success_pattern=MARKED_SUCCESS).state)


def test_status_shows_the_injected_failure_on_one_screen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.utils.db import upgradedb

    upgradedb()
    _, state = use_tenant_copy(tmp_path, monkeypatch)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
    assert run_card_fraud(date(2026, 11, 19), 0.0) == "success"
    assert run_card_fraud(date(2026, 11, 18), 0.2) == "failed"  # the injected failure: bad data, quality_alert fails the run

    result = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", "status"], capture_output=True, text=True, timeout=120,
                            cwd=REPO, env={**os.environ, "COLUMNS": "120"})
    print(result.stdout)  # the screen, for the closing note
    screen = " ".join(result.stdout.split())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "components: trace-receiver stopped mlflow stopped" in screen  # no embedded platform in this test
    assert "│ payments │ 50.0% (1/2) │ 50.0% (1/2) │" in screen
    assert "pipelines below target (1d) (1): payments__card_fraud: 50.0% (1/2)" in screen
    assert "failing tasks (1d) (1): payments__card_fraud.quality_alert run manual__" in screen
    assert "stuck in queued: none" in screen
    assert "fleet: 4 finding(s): 4 success_rate" in screen  # team and pipeline, 1d and 7d
