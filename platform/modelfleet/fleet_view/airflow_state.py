"""What Airflow's metadata database knows of the fleet: its pipeline DAGs, their last run and 7-day success.

Read in the caller's process with Airflow's own ORM: in the API server (the
plugin, whose routes share Airflow's session) or on the operator's machine
(`modelfleet report`). A handful of grouped queries, whatever the fleet's size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from modelfleet.monitoring.checks import tenant_of

TENANT_TAG_PREFIX = "tenant:"
NOT_PIPELINES = frozenset({"scoring", "features"})
"""Tags of the tenants' other DAGs (dag_factory.scoring.SCORING_TAG, dag_factory.features.FEATURES)."""
BROKEN_TAG = "broken-spec"
"""dag_factory.placeholder.BROKEN_TAG: the placeholder of a spec that does not validate."""
SUCCESS_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class PipelineDag:
    dag_id: str
    tenant: str
    paused: bool
    broken: bool


@dataclass(frozen=True)
class RunRow:
    dag_id: str
    run_id: str
    state: str
    logical_date: datetime | None
    start: datetime | None
    end: datetime | None

    @property
    def duration_s(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.start and self.end else None


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
    rows = session.execute(select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.logical_date, DagRun.start_date,
                                  DagRun.end_date).where(DagRun.id.in_(newest)))
    return {r[0]: RunRow(*r) for r in rows if r[0] in dag_ids}


def finished_runs(session: Any, since: datetime) -> list[RunRow]:
    """Runs that ended (success or failed) since then: the success rates and the report's durations."""
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    rows = session.execute(select(DagRun.dag_id, DagRun.run_id, DagRun.state, DagRun.logical_date, DagRun.start_date,
                                  DagRun.end_date)
                           .where(DagRun.end_date >= since, DagRun.state.in_(("success", "failed"))))
    return [RunRow(*r) for r in rows]


def success_counts(runs: list[RunRow]) -> dict[str, tuple[int, int]]:
    """dag_id -> (succeeded, failed)."""
    counts: dict[str, list[int]] = {}
    for run in runs:
        pair = counts.setdefault(run.dag_id, [0, 0])
        pair[0 if run.state == "success" else 1] += 1
    return {dag_id: (ok, failed) for dag_id, (ok, failed) in counts.items()}


def run_url(base_url: str, dag_id: str, run_id: str) -> str:
    """A run in the Airflow 3 UI."""
    return f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def dag_url(base_url: str, dag_id: str) -> str:
    return f"{base_url.rstrip('/')}/dags/{quote(dag_id, safe='')}"


def model_of(dag_id: str) -> str:
    """`<team>__<model>` -> model."""
    return dag_id.split("__", 1)[1] if tenant_of(dag_id) else dag_id
