"""A fleet of N pipelines as the Fleet page reads it, for tests/benchmarks/fleet_view_endpoints.py.

`python -m tests.benchmarks.fleet_view_populate N`, run with the platform's environment (`config.environment()`:
Airflow reads its database configuration once per process), writes Airflow's metadata database and the platform's
tables: N pipeline DAGs over the five tenants (DagModel and DagTag rows as the DAG processor writes them), 7 runs
each over the last 7 days (one failed), drift checks, dead letters and GPU leases. `register_models` fills a running
MLflow server over its REST API: per pipeline one registered model, 3 versions, alias `champion` on v3.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx

TENANTS = ("payments", "lending", "discovery", "retention", "supplychain")
RUNS_PER_DAG = 7
FAILED_DAY = 3
"""Of the 7 daily runs, the one `FAILED_DAY` days ago failed."""
VERSIONS = 3


def dag_ids(n: int) -> list[str]:
    """N pipeline DAG ids, `<tenant>__model_<i>`, spread evenly over the tenants."""
    return [f"{TENANTS[i % len(TENANTS)]}__model_{i:04d}" for i in range(n)]


def populate_airflow(ids: list[str], now: datetime) -> None:
    """DagModel/DagTag rows (bundle `dags-folder`, not stale) and RUNS_PER_DAG runs per DAG, oldest first."""
    from airflow.configuration import conf
    from airflow.models.dag import DagModel, DagTag
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session

    folder = conf.get("core", "dags_folder")
    with create_session() as session:
        session.add(DagBundleModel(name="dags-folder"))
        session.flush()
        for dag_id in ids:
            session.add(DagModel(dag_id=dag_id, bundle_name="dags-folder", is_stale=False, is_paused=False,
                                 fileloc=f"{folder}/{dag_id}.py", relative_fileloc=f"{dag_id}.py", owners="modelfleet",
                                 last_parsed_time=now, timetable_summary=None, max_active_tasks=16,
                                 max_consecutive_failed_dag_runs=0, has_task_concurrency_limits=False))
        session.flush()
        for dag_id in ids:
            session.add_all([DagTag(dag_id=dag_id, name=f"tenant:{dag_id.split('__')[0]}"),
                             DagTag(dag_id=dag_id, name="framework:xgboost")])
        session.flush()
        for day in range(RUNS_PER_DAG, 0, -1):
            for dag_id in ids:
                start = now - timedelta(days=day, minutes=10)
                run = DagRun(dag_id=dag_id, run_id=f"scheduled__{start:%Y-%m-%dT%H%M}", run_type="scheduled",
                             logical_date=start, run_after=start, state="failed" if day == FAILED_DAY else "success",
                             start_date=start, data_interval=(start, start))
                run.end_date = start + timedelta(minutes=5)
                session.add(run)
            session.flush()


def populate_platform(ids: list[str]) -> None:
    """Drift checks for every 5th model (every other one drifted), a dead letter per 50 pipelines, GPU leases."""
    from modelfleet import dead_letters
    from modelfleet.monitoring import store
    from modelfleet.scheduling import leases
    from modelfleet.scheduling.capacity import load_capacity

    store.save_drift([{"dag_id": dag_id, "model_name": dag_id, "champion_version": str(VERSIONS), "data_date": "2026-11-26",
                       "column": column, "psi": psi, "ks_pvalue": None, "drifted": psi > 0.2}
                      for i, dag_id in enumerate(ids[::5])
                      for column, psi in (("amount", 0.31 if i % 2 else 0.05), ("age", 0.04))])
    for dag_id in ids[::50]:
        dead_letters.record(dead_letters.Failure(dag_id.split("__")[0], dag_id, "train", "broke", 2, message="boom"))
    capacity = load_capacity()
    for i, dag_id in enumerate(ids[:4]):
        holder = leases.Holder(dag_id.split("__")[0], dag_id, f"run_{i}", "train")
        lease = leases.try_acquire(capacity, holder, "a10g" if i % 2 else "a100", 1, ttl=86400)
        if lease is not None and i < 2:
            leases.release(lease)


def _register(client: httpx.Client, dag_id: str) -> None:
    def post(path: str, body: dict) -> None:
        response = client.post(f"/api/2.0/mlflow/{path}", json=body)
        response.raise_for_status()

    post("registered-models/create", {"name": dag_id, "tags": [{"key": "dag_id", "value": dag_id},
                                                               {"key": "tenant", "value": dag_id.split("__")[0]}]})
    for version in range(1, VERSIONS + 1):
        tags = {"logical_date": f"2026-11-{20 + version}", "metric": "auc", "holdout_metric": repr(0.8 + version / 100),
                "lineage.trace_id": f"{version:032x}"}
        post("model-versions/create", {"name": dag_id, "source": f"s3://bench/{dag_id}/v{version}",
                                       "tags": [{"key": k, "value": v} for k, v in tags.items()]})
    post("registered-models/alias", {"name": dag_id, "alias": "champion", "version": str(VERSIONS)})


def register_models(mlflow_url: str, ids: list[str], threads: int = 4) -> None:
    """Per pipeline a registered model (tag dag_id) with VERSIONS versions and `champion` on the last, over REST."""
    with httpx.Client(base_url=mlflow_url, timeout=60) as client, ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda dag_id: _register(client, dag_id), ids))


if __name__ == "__main__":
    names = dag_ids(int(sys.argv[1]))
    populate_airflow(names, datetime.now(timezone.utc))
    populate_platform(names)
