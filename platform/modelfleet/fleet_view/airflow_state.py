"""What Airflow's metadata database knows of the fleet: its pipeline DAGs, their last run and 7-day success.

Read in the caller's process with Airflow's own ORM: in the API server (the
plugin, whose routes share Airflow's session) or on the operator's machine
(`modelfleet report`). A handful of grouped queries, whatever the fleet's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from modelfleet.dag_tags import BROKEN_TAG, FEATURES_TAG, SCORING_TAG
from modelfleet.monitoring.checks import success_rates, tenant_of
from modelfleet.monitoring.records import WINDOWS, RunRow, Snapshot, run_rows

TENANT_TAG_PREFIX = "tenant:"
NOT_PIPELINES = frozenset({SCORING_TAG, FEATURES_TAG})
"""Tags of the tenants' DAGs that are not model pipelines."""
SUCCESS_WINDOW = "7d"
"""The success rate the page shows: one of monitoring.records.WINDOWS."""
SUCCESS_SINCE = WINDOWS[SUCCESS_WINDOW]


@dataclass(frozen=True)
class PipelineDag:
    dag_id: str
    tenant: str
    paused: bool
    broken: bool


def pipeline_dags(session: Any, allowed: set[str] | None = None) -> list[PipelineDag]:
    """The tenants' pipeline DAGs Airflow has (not stale), limited to `allowed` dag ids when given."""
    from airflow.models.dag import DagModel, DagTag
    from sqlalchemy import select

    tags: dict[str, set[str]] = {}
    for dag_id, name in session.execute(select(DagTag.dag_id, DagTag.name)):
        tags.setdefault(dag_id, set()).add(name)
    found = []
    for dag_id, paused in session.execute(select(DagModel.dag_id, DagModel.is_paused).where(DagModel.is_stale.is_(False))):
        names = tags.get(dag_id, set())
        tenant = next((t.removeprefix(TENANT_TAG_PREFIX) for t in names if t.startswith(TENANT_TAG_PREFIX)), None)
        if tenant is None or names & NOT_PIPELINES or (allowed is not None and dag_id not in allowed):
            continue
        found.append(PipelineDag(dag_id, tenant, bool(paused), BROKEN_TAG in names))
    return sorted(found, key=lambda d: (d.tenant, d.dag_id))


def last_runs(session: Any, dag_ids: set[str]) -> dict[str, RunRow]:
    """Each DAG's newest run (the last one created), whatever its state."""
    from airflow.models.dagrun import DagRun
    from sqlalchemy import func, select

    newest = select(func.max(DagRun.id)).group_by(DagRun.dag_id).scalar_subquery()
    return {run.dag_id: run for run in run_rows(session, DagRun.id.in_(newest)) if run.dag_id in dag_ids}


def success_counts(runs: list[RunRow], now: datetime) -> dict[str, tuple[int, int]]:
    """dag_id -> (succeeded, failed) over the last 7 days: `modelfleet status`'s own success rates."""
    return {rate.name: (rate.succeeded, rate.failed) for rate in success_rates(Snapshot(now, runs))
            if rate.scope == "pipeline" and rate.window == SUCCESS_WINDOW}


def run_url(base_url: str, dag_id: str, run_id: str) -> str:
    """A run in the Airflow 3 UI."""
    return f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def dag_url(base_url: str, dag_id: str) -> str:
    return f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}"


def model_of(dag_id: str) -> str:
    """`<team>__<model>` -> model."""
    return dag_id.split("__", 1)[1] if tenant_of(dag_id) else dag_id
