"""`modelfleet gpus audit`: prove from the lease history that no two jobs ever held the same device at once.

Two checks per device:
- leases against each other: the intervals [acquired, ended) of its leases never overlap;
- leases against task instances: a lease that expired while its task still
  ran (a stalled heartbeat) leaves the device in use until the task ended,
  so that task's end, not the lease's, bounds its use; that longer interval
  must not overlap the next lease either.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from modelfleet import state_db
from modelfleet.state_db import gpu_leases

TaskKey = tuple[str, str, str, int, int]
"""(dag_id, run_id, task_id, map_index, try_number)"""
TaskEnds = Callable[[Iterable[TaskKey]], dict[TaskKey, float | None]]


@dataclass(frozen=True)
class Use:
    """One lease of one device, and how long its holder may have used it."""

    lease_id: int
    device: str
    holder: str
    start: float
    end: float
    why_end: str


@dataclass(frozen=True)
class Conflict:
    device: str
    first: Use
    second: Use

    @property
    def overlap(self) -> float:
        return min(self.first.end, self.second.end) - self.second.start

    def __str__(self) -> str:
        return (f"{self.device}: {self.first.holder} (until {_iso(self.first.end)}, {self.first.why_end}) and "
                f"{self.second.holder} (from {_iso(self.second.start)}) overlap by {self.overlap:.3f}s")


@dataclass
class AuditReport:
    leases: int = 0
    devices: int = 0
    tasks_checked: int = 0
    expired: int = 0
    conflicts: list[Conflict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.conflicts


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="milliseconds")


def uses(rows: Iterable[Any], task_ends: dict[TaskKey, float | None], now: float) -> list[Use]:
    """Each lease row as the interval its holder may have used the device."""
    found = []
    for row in rows:
        end, why = (row.released_at, row.end_reason or "released") if row.released_at is not None else (now, "still held")
        key = (row.dag_id, row.run_id, row.task_id, row.map_index, row.try_number)
        task_end = task_ends.get(key)
        if row.end_reason == "expired":
            # The holder lost its lease; its task may have run on until it ended (or until now, if it still runs).
            later = now if task_end is None and key in task_ends else task_end
            if later is not None and later > end:
                end, why = later, "expired, task ran on"
        holder = f"{row.dag_id}.{row.task_id}" + (f"[{row.map_index}]" if row.map_index >= 0 else "") + f" try {row.try_number}"
        found.append(Use(row.id, f"{row.gpu_class}:{row.host}:{row.device}", holder, row.acquired_at, end, why))
    return found


def conflicts(all_uses: list[Use]) -> list[Conflict]:
    """Every pair of uses of one device that overlap in time (touching ends do not overlap)."""
    by_device: dict[str, list[Use]] = defaultdict(list)
    for use in all_uses:
        by_device[use.device].append(use)
    found = []
    for device, items in sorted(by_device.items()):
        items.sort(key=lambda u: (u.start, u.lease_id))
        latest: Use | None = None
        for use in items:
            if latest is not None and use.start < latest.end:
                found.append(Conflict(device, latest, use))
            if latest is None or use.end > latest.end:
                latest = use
    return found


def audit(engine: Engine | None = None, task_ends: TaskEnds | None = None, now: float | None = None) -> AuditReport:
    """Check the whole lease history; `task_ends` maps holders to their task's end (None: still running)."""
    engine = engine or state_db.engine()
    now = time.time() if now is None else now
    with engine.connect() as conn:
        rows = list(conn.execute(select(gpu_leases)))
    keys = {(r.dag_id, r.run_id, r.task_id, r.map_index, r.try_number) for r in rows if r.end_reason == "expired"}
    ends = task_ends(keys) if task_ends and keys else {}
    all_uses = uses(rows, ends, now)
    return AuditReport(leases=len({r.lease_group for r in rows}), devices=len({u.device for u in all_uses}),
                       tasks_checked=len(ends), expired=sum(r.end_reason == "expired" for r in rows),
                       conflicts=conflicts(all_uses))


def airflow_task_ends(keys: Iterable[TaskKey]) -> dict[TaskKey, float | None]:
    """End of each holder's task try from Airflow's metadata DB (current try or history); None while it runs."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session

    wanted = set(keys)
    found: dict[TaskKey, float | None] = {}
    models: tuple[Any, ...] = (TaskInstance, TaskInstanceHistory)
    with create_session() as session:
        for model in models:
            for dag_id in {k[0] for k in wanted}:
                for ti in session.scalars(select(model).where(model.dag_id == dag_id)):
                    key = (ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)
                    if key in wanted and key not in found:
                        found[key] = ti.end_date.timestamp() if ti.end_date else None
    return found
