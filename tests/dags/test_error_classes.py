"""Error classes in a real Airflow run (dag.test) of a pipeline: permanent fails on try 1, transient goes up for retry.

Both failures are real: data below `min_rows` fails validation; the MLflow
registry is down (nothing listens on its port) when `train` starts. Each
final failure lands in the dead-letter queue through the DAG's own failure
callback, with its class. Tasks the case does not exercise are marked success.
"""

from __future__ import annotations

import socket
from datetime import date, timedelta
from pathlib import Path

import pytest
from support.tenant_copy import REPO, use_tenant_copy

pytestmark = pytest.mark.airflow_db

DAY = date(2026, 11, 19)


@pytest.fixture(scope="module")
def metadata_db() -> None:
    from airflow.utils.db import upgradedb

    upgradedb()


@pytest.fixture
def fleet_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _, state = use_tenant_copy(tmp_path, monkeypatch, tenant="lending")
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'modelfleet.db'}")
    return state


def land(rows: int) -> tuple[object, Path]:
    from modelfleet.io import rendered_data_path
    from modelfleet.runtime.landing import land as land_day
    from modelfleet.specs.loader import load_pipeline
    from modelfleet.training.base import import_string

    pipeline = load_pipeline("lending", "application_default")
    target = Path(rendered_data_path(pipeline, DAY.isoformat()))
    target.parent.mkdir(parents=True, exist_ok=True)
    if rows:
        import_string(pipeline.model.data.generator)(DAY, rows=rows).to_parquet(target, index=False)
    else:
        land_day([pipeline], DAY)
    return pipeline, target


def run(dag, marked: str) -> dict[str, list[tuple[int, str, object, object]]]:
    """dag.test for DAY; per task, its tries as (try_number, state, start, end): history first, then the final one.

    A try that was retried is archived in TaskInstanceHistory (with state failed) when the next one is scheduled.
    """
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    from modelfleet.data_interval import start_of_day

    dag_run = dag.test(logical_date=start_of_day(DAY), mark_success_pattern=marked)
    tries: dict[str, list[tuple[int, str, object, object]]] = {}
    with create_session() as session:
        for h in session.scalars(select(TaskInstanceHistory).where(TaskInstanceHistory.run_id == dag_run.run_id)
                                 .order_by(TaskInstanceHistory.try_number)):
            tries.setdefault(h.task_id, []).append((h.try_number, str(h.state), h.start_date, h.end_date))
    for ti in dag_run.get_task_instances():
        tries.setdefault(ti.task_id, []).append((ti.try_number, str(ti.state), ti.start_date, ti.end_date))
    return tries


def test_bad_data_fails_validation_on_the_first_try_and_is_dead_lettered(metadata_db, fleet_copy):
    from modelfleet import dead_letters
    from modelfleet.dag_factory.pipeline import build_pipeline_dag

    pipeline, _ = land(rows=20)  # min_rows is 500
    dag = build_pipeline_dag(pipeline)
    assert dag.task_dict["validate_data"].retries == 4
    tries = run(dag, r"^(?!wait_for_data$|validate_data$).*")
    assert [t[:2] for t in tries["validate_data"]] == [(1, "failed")]  # 4 retries allowed, none taken
    [entry] = dead_letters.entries()
    assert (entry.tenant, entry.dag_id, entry.task_id, entry.try_number, entry.error_class, entry.state) == (
        "lending", "lending__application_default", "validate_data", 1, "permanent", "open")
    assert entry.logical_date.startswith(DAY.isoformat()) and "at least 500 rows" in entry.message


def test_registry_down_sends_train_up_for_retry_and_the_last_failure_is_dead_lettered(metadata_db, fleet_copy, monkeypatch):
    from modelfleet import dead_letters
    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.io import read_frame

    with socket.socket() as sock:  # a port nothing listens on: the registry is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    pipeline, path = land(rows=0)
    spec = pipeline.model
    run_dir = fleet_copy / "runs" / pipeline.dag_id / DAY.isoformat()  # build_features' output, as train reads it
    run_dir.mkdir(parents=True, exist_ok=True)
    frame = read_frame(str(path), spec.data.format)
    frame[[c.name for c in spec.validation.columns if c.name in frame.columns]].to_parquet(run_dir / "training_set.parquet")
    dag = build_pipeline_dag(pipeline)
    train = dag.task_dict["train"]
    train.retries, train.retry_delay = 1, timedelta(seconds=1)  # one retry, soon: the test waits for it
    tries = run(dag, r"^(?!wait_for_data$|train$).*")
    first, second = tries["train"]
    assert (first[0], second[:2]) == (1, (2, "failed"))  # try 1 was retried (up_for_retry), try 2 had no retry left
    assert (second[2] - first[3]).total_seconds() >= 1  # not before its retry delay: Airflow's backoff, not a re-run
    [entry] = dead_letters.entries()
    assert (entry.task_id, entry.try_number, entry.error_class) == ("train", 2, "transient")
