"""A small fleet as the Fleet page reads it (tests of modelfleet.fleet_view): Airflow's metadata database with
pipeline DAGs and runs, a real MLflow server with registered versions, and the platform's tables with drift, a dead
letter and GPU leases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
TRACE = "0af7651916cd43dd8448eb211c80319c"

DAGS = {  # dag_id -> tags
    "payments__fv_fraud": ["tenant:payments", "tier:critical", "framework:xgboost"],
    "payments__fv_fraud__scoring": ["tenant:payments", "tier:critical", "scoring"],
    "payments__fv_features": ["tenant:payments", "tier:critical", "features"],
    "lending__fv_default": ["tenant:lending", "tier:high", "framework:xgboost"],
    "retention__fv_broken": ["tenant:retention", "broken-spec"],
    "supplychain__fv_idle": ["tenant:supplychain", "tier:medium", "framework:torch"],
    "fv_platform_dag": ["platform"],
}


@dataclass
class SmallFleet:
    mlflow_url: str


HELD_RUN = "broke"
"""The run whose GPU task holds a lease while a test needs one (`held_lease`)."""


@contextmanager
def held_lease() -> Iterator[Any]:
    """An a10g lease of payments__fv_fraud.train_mlp_challenger, held for the block only: the platform database is
    the session's, and other tests count the open leases."""
    from modelfleet.scheduling import leases
    from modelfleet.scheduling.capacity import load_capacity

    lease = leases.try_acquire(load_capacity(), leases.Holder("payments", "payments__fv_fraud", HELD_RUN, "train_mlp_challenger"),
                               "a10g", 1)
    assert lease is not None, "no a10g free for the Fleet page's tests"
    try:
        yield lease
    finally:
        leases.release(lease)


def _run(session, dag_id: str, run_id: str, state: str, ended: datetime | None, minutes: float = 5.0) -> None:
    from airflow.models.dagrun import DagRun

    start = (ended or NOW) - timedelta(minutes=minutes)
    run = DagRun(dag_id=dag_id, run_id=run_id, run_type="manual", logical_date=start, run_after=start, state=state,
                 start_date=start, data_interval=(start, start))
    run.end_date = ended
    session.add(run)
    session.flush()


def populate(mlflow_url: str) -> SmallFleet:
    """Runs, versions, drift, a dead letter and leases as a day of the fleet leaves them.

    payments__fv_fraud: 3 successful runs and, last, a failed one in 7 days; 2 versions, champion v2; drift on
    `amount`; a dead letter; a released a10g lease (a held one: `held_lease`). lending__fv_default: a success 10 days ago
    and a run still running; a registered model without versions. retention__fv_broken: a broken spec.
    supplychain__fv_idle: no runs. The scoring, features and monitoring DAGs are not pipelines.
    """
    from airflow.models.dag import DagModel, DagTag
    from airflow.models.dagbundle import DagBundleModel
    from airflow.models.pool import Pool
    from airflow.utils.db import upgradedb
    from airflow.utils.session import create_session
    from mlflow import MlflowClient

    from modelfleet import dead_letters
    from modelfleet.lineage import tags
    from modelfleet.monitoring import store
    from modelfleet.scheduling import leases
    from modelfleet.scheduling.capacity import load_capacity

    upgradedb()
    with create_session() as session:
        if session.get(DagBundleModel, "dags-folder") is None:
            session.add(DagBundleModel(name="dags-folder"))
            session.flush()
        for dag_id, names in DAGS.items():  # the session's database is shared with other tests: merge, do not insert
            session.merge(DagModel(dag_id=dag_id, bundle_name="dags-folder", is_stale=False, is_paused=False))
            session.flush()
            for name in names:
                session.merge(DagTag(dag_id=dag_id, name=name))
        for day in (1, 2, 3):
            _run(session, "payments__fv_fraud", f"ok_{day}", "success", NOW - timedelta(days=day))
        _run(session, "payments__fv_fraud", "broke", "failed", NOW - timedelta(hours=2), minutes=12)
        _run(session, "lending__fv_default", "old", "success", NOW - timedelta(days=10))
        _run(session, "lending__fv_default", "now", "running", None)
        Pool.create_or_update_pool("payments__gpu_a10g", slots=1, description="", include_deferred=False, session=session)

    client = MlflowClient(tracking_uri=mlflow_url, registry_uri=mlflow_url)
    client.create_registered_model("payments__fv_fraud", tags={"tenant": "payments", "dag_id": "payments__fv_fraud"})
    experiment = client.create_experiment("payments__fv_fraud")
    for day, value in (("2026-11-24", 0.88), ("2026-11-25", 0.91)):
        run = client.create_run(experiment)
        client.create_model_version("payments__fv_fraud", f"runs:/{run.info.run_id}/model", run_id=run.info.run_id,
                                    tags={"logical_date": day, tags.METRIC: "auc", tags.HOLDOUT_METRIC: repr(value),
                                          tags.TRACE_ID: TRACE})
    client.set_registered_model_alias("payments__fv_fraud", "champion", "2")
    client.create_registered_model("lending__fv_default",
                                   tags={"tenant": "lending", "dag_id": "lending__fv_default"})

    store.save_drift([{"dag_id": "payments__fv_fraud", "model_name": "payments__fv_fraud", "champion_version": "2",
                       "data_date": "2026-11-26", "column": column, "psi": psi, "ks_pvalue": None, "drifted": psi > 0.2}
                      for column, psi in (("amount", 0.31), ("merchant_age", 0.05))])
    dead_letters.record(dead_letters.Failure("payments", "payments__fv_fraud", "train", "broke", 2, message="boom"))
    done = leases.try_acquire(load_capacity(), leases.Holder("payments", "payments__fv_fraud", "ok_1", "train"), "a10g", 1)
    leases.release(done)
    return SmallFleet(mlflow_url)
