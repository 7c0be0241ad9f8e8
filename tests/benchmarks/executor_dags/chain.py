"""The executor benchmark's DAG (tests/benchmarks/executor_latency.py): three sequential trivial tasks on the
`cpu` queue, run N times at once on the embedded LocalExecutor and on Celery. (Parsed in the DAG processor's
safe mode, which reads files mentioning both airflow and dag.)"""

from __future__ import annotations

from datetime import datetime, timezone

from airflow.sdk import DAG, task


@task(queue="cpu")
def step(previous: int = 0) -> int:
    return previous + sum(range(1000))  # trivial work: the figures are the executor's, not the task's


with DAG(dag_id="bench__chain", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False,
         max_active_runs=200, max_active_tasks=16, tags=["benchmark"]) as chain:
    step.override(task_id="third")(step.override(task_id="second")(step.override(task_id="first")()))
