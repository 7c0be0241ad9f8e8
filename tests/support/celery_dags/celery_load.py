"""Small DAGs for the celery-mode tests.

- `celery__cheap`: a one-second step on the `cpu` queue, then one on `gpu`; many runs at once.
- `celery__slow`: one `cpu` step that sleeps long enough to kill its worker under it; retried.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from airflow.sdk import DAG, task

common = {"schedule": None, "start_date": datetime(2026, 1, 1, tzinfo=timezone.utc), "catchup": False, "tags": ["celery-test"]}


@task(queue="cpu")
def cpu_step() -> str:
    time.sleep(1)
    return "cpu"


@task(queue="gpu")
def gpu_step(previous: str) -> str:
    time.sleep(1)
    return previous + "+gpu"


@task(queue="cpu", retries=2, retry_delay=timedelta(seconds=3))
def long_step(seconds: float = 25) -> float:
    time.sleep(seconds)
    return seconds


with DAG(dag_id="celery__cheap", max_active_runs=100, **common) as cheap:
    gpu_step(cpu_step())

with DAG(dag_id="celery__slow", max_active_runs=5, **common) as slow:
    long_step()
