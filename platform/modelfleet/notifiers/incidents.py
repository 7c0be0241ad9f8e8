"""Durable memory of which task instances have an open alert, in the platform's database.

A failure opens an incident once per task instance (its dedup key); a
replay that fails again while it is open only counts the failure, so the
team gets one page, not a storm. A later success resolves it, and only an
open incident is resolved, so the hundreds of tasks that succeed every day
send nothing. The state lives in state_db (not in memory, not in Airflow's
DB): the failure and the success that resolves it run in different
processes, often on different days.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from modelfleet import state_db
from modelfleet.notifiers.alert import Alert

OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True)
class Incident:
    dedup_key: str
    status: str
    channels: tuple[str, ...]
    failures: int


def open_incident(alert: Alert, url: str | None = None) -> bool:
    """Record a failure of the alert's task instance; True if that opened an incident (alert now),
    False if one was already open (this failure is counted, nothing is sent)."""
    table = state_db.alert_incidents
    key = table.c.dedup_key == alert.dedup_key
    try:
        with state_db.engine(url).begin() as conn:
            row = conn.execute(select(table.c.status).where(key)).first()
            if row is not None and row.status == OPEN:
                conn.execute(update(table).where(key).values(failures=table.c.failures + 1))
                return False
            values = dict(tenant=alert.tenant, dag_id=alert.dag_id, task_id=alert.task_id, run_id=alert.run_id,
                          map_index=alert.map_index, severity=alert.severity, channels="", status=OPEN,
                          failures=1, opened_at=time.time(), resolved_at=None)
            if row is None:
                conn.execute(table.insert().values(dedup_key=alert.dedup_key, **values))
            else:
                conn.execute(update(table).where(key).values(**values))
            return True
    except IntegrityError:
        return False  # another process opened it between our read and our insert (PostgreSQL)


def set_channels(dedup_key: str, channels: Sequence[str], url: str | None = None) -> None:
    """Where the opening alert was delivered: the resolve goes to the same channels."""
    table = state_db.alert_incidents
    with state_db.engine(url).begin() as conn:
        conn.execute(update(table).where(table.c.dedup_key == dedup_key).values(channels=",".join(channels)))


def resolve_incident(dedup_key: str, url: str | None = None) -> Incident | None:
    """Close the open incident of this task instance; None when there is none (nothing to tell anyone)."""
    table = state_db.alert_incidents
    key = table.c.dedup_key == dedup_key
    with state_db.engine(url).begin() as conn:
        row = conn.execute(select(table).where(key, table.c.status == OPEN)).first()
        if row is None:
            return None
        conn.execute(update(table).where(key).values(status=RESOLVED, resolved_at=time.time()))
    return Incident(dedup_key, RESOLVED, tuple(c for c in row.channels.split(",") if c), row.failures)


def incident(dedup_key: str, url: str | None = None) -> Incident | None:
    """The incident of a task instance, whatever its status (for `modelfleet status` and tests)."""
    table = state_db.alert_incidents
    with state_db.engine(url).connect() as conn:
        row = conn.execute(select(table).where(table.c.dedup_key == dedup_key)).first()
    if row is None:
        return None
    return Incident(row.dedup_key, row.status, tuple(c for c in row.channels.split(",") if c), row.failures)
