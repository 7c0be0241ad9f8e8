"""The platform's monitoring DAG: every few minutes, drift of the champions, then fleet checks and their alerts.

Parse-cheap: the tasks import the checks (pandas, scipy, MLflow) when they run.
Tasks may not open Airflow's database (Airflow 3), so the checks read it
through the REST API of the embedded platform.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, task

MONITORING_DAG_ID = "modelfleet_monitoring"
"""No `__`: it belongs to no team (fleet DAG ids are `<team>__...`)."""
SCHEDULE = "*/5 * * * *"

log = logging.getLogger(__name__)


@task(task_id="check_drift", retries=1, retry_delay=timedelta(minutes=1), execution_timeout=timedelta(minutes=15))
def check_drift() -> dict[str, int]:
    """Each champion against its pipeline's newest input, once per (champion, data date)."""
    from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
    from modelfleet.monitoring.reference import check_pipeline
    from modelfleet.specs.loader import load_fleet

    registry = MlflowRegistryHook()
    registry.activate()
    checked = drifted = 0
    for pipeline in load_fleet().pipelines:
        rows = check_pipeline(pipeline, registry, pipeline.model.monitoring_under(pipeline.tenant).drift)
        checked += len(rows)
        drifted += sum(r["drifted"] for r in rows)
    return {"columns_checked": checked, "columns_drifted": drifted}


@task(task_id="check_fleet", retries=1, retry_delay=timedelta(minutes=1), execution_timeout=timedelta(minutes=5),
      trigger_rule="all_done")
def check_fleet() -> dict[str, Any]:
    """Success rates, stuck tasks, GPU pools, deadline misses, dead letters and drift; alert what is new."""
    from modelfleet.monitoring.health import fleet_health, route_findings
    from modelfleet.monitoring.records import from_api
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    health = fleet_health(from_api(AirflowApi(EmbeddedConfig.from_env()), datetime.now(timezone.utc)))
    for finding in health.findings:
        log.warning("%s [%s] %s", finding.check, finding.tenant or "platform", finding.message)
    return route_findings(health.findings)


def build_monitoring_dag() -> DAG:
    with DAG(
        dag_id=MONITORING_DAG_ID,
        schedule=SCHEDULE,
        start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
        catchup=False,
        max_active_runs=1,
        tags=["platform", "monitoring"],
        default_args={"owner": "platform"},
        description="Fleet health for on-call: success rates, stuck tasks, GPU pools, deadline misses, dead letters, drift",
        doc_md=__doc__,
    ) as dag:
        check_drift() >> check_fleet()
    return dag
