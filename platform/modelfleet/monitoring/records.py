"""What the checks read from Airflow, as small rows, from either side of Airflow 3's wall.

A task may not open the metadata database in Airflow 3, so the monitoring
DAG reads through the REST API (`from_api`); `modelfleet status` runs on the
operator's machine and reads the database directly (`from_session`), so it
still answers when the API server is down. Both give the same `Snapshot`,
and every check is a pure function of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WINDOWS = {"1d": timedelta(days=1), "7d": timedelta(days=7)}
"""The success-rate windows; the longest bounds what is read."""
FAILED_TASKS_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class RunRow:
    dag_id: str
    state: str
    end: datetime | None
    """None while the run has not ended."""
    run_id: str = ""
    logical_date: datetime | None = None
    start: datetime | None = None

    @property
    def duration_s(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.start and self.end else None


@dataclass(frozen=True)
class TaskRow:
    dag_id: str
    task_id: str
    run_id: str
    map_index: int
    state: str
    since: datetime | None
    """Queued tasks: when they were queued; failed tasks: when they ended."""
    try_number: int


@dataclass(frozen=True)
class PoolRow:
    name: str
    slots: int
    """-1: unlimited."""
    occupied: int
    waiting: int
    """Tasks scheduled into the pool that found no open slot yet."""


@dataclass
class Snapshot:
    now: datetime
    runs: list[RunRow] = field(default_factory=list)
    queued: list[TaskRow] = field(default_factory=list)
    failed: list[TaskRow] = field(default_factory=list)
    pools: list[PoolRow] = field(default_factory=list)


def _since(now: datetime) -> datetime:
    return now - max(WINDOWS.values())


def run_rows(session: Any, *where: Any) -> list[RunRow]:
    """DAG runs from the metadata database that match `where` (SQLAlchemy conditions on DagRun)."""
    from airflow.models.dagrun import DagRun
    from sqlalchemy import select

    return [RunRow(*row) for row in session.execute(
        select(DagRun.dag_id, DagRun.state, DagRun.end_date, DagRun.run_id, DagRun.logical_date, DagRun.start_date).where(*where))]


def finished_runs(session: Any, since: datetime) -> list[RunRow]:
    """Runs that ended (success or failed) since then: what success rates count."""
    from airflow.models.dagrun import DagRun

    return run_rows(session, DagRun.end_date >= since, DagRun.state.in_(("success", "failed")))


def from_session(session: Any, now: datetime) -> Snapshot:
    """Read the metadata database in the caller's process (operator commands only, never a task)."""
    from airflow.models.pool import Pool
    from airflow.models.taskinstance import TaskInstance as TI
    from sqlalchemy import select

    runs = finished_runs(session, _since(now))
    columns = (TI.dag_id, TI.task_id, TI.run_id, TI.map_index, TI.state, TI.try_number)
    queued = [TaskRow(d, t, r, m, s, q, n) for d, t, r, m, s, n, q in session.execute(
        select(*columns, TI.queued_dttm).where(TI.state == "queued"))]
    failed = [TaskRow(d, t, r, m, s, e, n) for d, t, r, m, s, n, e in session.execute(
        select(*columns, TI.end_date).where(TI.state.in_(("failed", "up_for_retry")), TI.end_date >= now - FAILED_TASKS_WINDOW))]
    pools = [PoolRow(name, -1 if stat["total"] == float("inf") else int(stat["total"]),
                     int(stat["running"]) + int(stat["queued"]), int(stat["scheduled"]))
             for name, stat in Pool.slots_stats(session=session).items()]
    return Snapshot(now, runs, queued, failed, pools)


def _pages(api: Any, path: str, key: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = api.request("GET", path, params={**params, "limit": 100, "offset": offset})
        yield from page[key]
        offset += len(page[key])
        if not page[key] or offset >= page["total_entries"]:
            return


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def from_api(api: Any, now: datetime) -> Snapshot:
    """Read through Airflow's REST API (`api.request(method, path, params=...)`, e.g. runtime.api_client.AirflowApi)."""
    runs = [RunRow(r["dag_id"], r["state"], _time(r["end_date"]))  # type: ignore[arg-type]
            for r in _pages(api, "/dags/~/dagRuns", "dag_runs",
                            {"end_date_gte": _since(now).isoformat(), "state": ["success", "failed"]})]

    def tasks(params: dict[str, Any], when: str) -> list[TaskRow]:
        return [TaskRow(t["dag_id"], t["task_id"], t["dag_run_id"], t["map_index"], t["state"], _time(t[when]), t["try_number"])
                for t in _pages(api, "/dags/~/dagRuns/~/taskInstances", "task_instances", params)]

    queued = tasks({"state": ["queued"]}, "queued_when")
    failed = tasks({"state": ["failed", "up_for_retry"], "end_date_gte": (now - FAILED_TASKS_WINDOW).isoformat()}, "end_date")
    pools = [PoolRow(p["name"], int(p["slots"]), int(p["running_slots"]) + int(p["queued_slots"]), int(p["scheduled_slots"]))
             for p in _pages(api, "/pools", "pools", {})]
    return Snapshot(now, runs, queued, failed, pools)
