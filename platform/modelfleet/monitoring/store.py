"""What monitoring remembers between runs, in the platform's own database (beside state_db's tables).

- `deadline_misses`: one row per missed Deadline Alert, written by the callback in the triggerer.
- `drift_results`: one row per (pipeline, champion version, data date, column), so drift is computed once per new data or champion.
- `monitoring_alerts`: one row per open finding, so a finding alerts once (and again after REPEAT_AFTER), and resolves once.

The tables live in their own MetaData: state_db.py belongs to the platform's
lease and dead-letter code, and `create_all` here is idempotent.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text, UniqueConstraint, delete, insert, select, update
from sqlalchemy.engine import Engine

from modelfleet import state_db

metadata = MetaData()

deadline_misses = Table(
    "deadline_misses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deadline_id", String(64), nullable=False, unique=True),
    Column("tenant", String(40), nullable=False, index=True),
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("deadline_time", String(40), nullable=False),
    Column("interval_seconds", Float, nullable=False),
    Column("run_state", String(20), nullable=True),
    Column("recorded_at", Float, nullable=False, index=True),
    Column("alerted", Boolean, nullable=False),
)
"""Times are UNIX seconds except deadline_time (ISO 8601, as Airflow hands it to the callback)."""

drift_results = Table(
    "drift_results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dag_id", String(250), nullable=False, index=True),
    Column("model_name", String(250), nullable=False),
    Column("champion_version", String(20), nullable=False),
    Column("data_date", String(10), nullable=False),
    Column("column", String(250), nullable=False),
    Column("psi", Float, nullable=False),
    Column("ks_pvalue", Float, nullable=True),
    Column("drifted", Boolean, nullable=False),
    Column("checked_at", Float, nullable=False),
    UniqueConstraint("model_name", "champion_version", "data_date", "column", name="uq_drift_result"),
)
"""`column` is a feature name, or PREDICTIONS for the champion's output."""

monitoring_alerts = Table(
    "monitoring_alerts", metadata,
    Column("key", String(400), primary_key=True),
    Column("tenant", String(40), nullable=True),
    Column("first_seen", Float, nullable=False),
    Column("last_sent", Float, nullable=False),
    Column("message", Text, nullable=False),
)

REPEAT_AFTER = 4 * 3600.0
"""An unresolved finding alerts again after this many seconds: a reminder, not a storm."""


@functools.lru_cache(maxsize=4)
def _created(url: str) -> Engine:
    made = state_db.engine(url)
    metadata.create_all(made)
    return made


def engine(url: str | None = None) -> Engine:
    """The platform database with monitoring's tables created."""
    return _created(url or state_db.database_url())


@dataclass(frozen=True)
class DeadlineMiss:
    deadline_id: str
    tenant: str
    dag_id: str
    run_id: str
    deadline_time: str
    interval_seconds: float
    run_state: str | None
    recorded_at: float
    alerted: bool


def record_miss(miss: DeadlineMiss, url: str | None = None) -> bool:
    """Store a miss once per Airflow deadline (a re-delivered callback is ignored); True when new."""
    with engine(url).begin() as conn:
        if conn.execute(select(deadline_misses.c.id).where(deadline_misses.c.deadline_id == miss.deadline_id)).first():
            return False
        conn.execute(insert(deadline_misses).values(**miss.__dict__))
    return True


def mark_miss_alerted(deadline_id: str, url: str | None = None) -> None:
    with engine(url).begin() as conn:
        conn.execute(update(deadline_misses).where(deadline_misses.c.deadline_id == deadline_id).values(alerted=True))


def misses_since(since: float, url: str | None = None) -> list[DeadlineMiss]:
    with engine(url).connect() as conn:
        rows = conn.execute(select(deadline_misses).where(deadline_misses.c.recorded_at >= since)
                            .order_by(deadline_misses.c.recorded_at)).mappings()
        return [DeadlineMiss(**{k: v for k, v in row.items() if k != "id"}) for row in rows]


def drift_checked(model_name: str, champion_version: str, data_date: str, url: str | None = None) -> bool:
    with engine(url).connect() as conn:
        return conn.execute(select(drift_results.c.id).where(
            drift_results.c.model_name == model_name, drift_results.c.champion_version == champion_version,
            drift_results.c.data_date == data_date).limit(1)).first() is not None


def save_drift(rows: list[dict[str, Any]], url: str | None = None) -> None:
    """One check's per-column results (replacing an earlier check of the same champion and date)."""
    if not rows:
        return
    first = rows[0]
    with engine(url).begin() as conn:
        conn.execute(delete(drift_results).where(
            drift_results.c.model_name == first["model_name"], drift_results.c.champion_version == first["champion_version"],
            drift_results.c.data_date == first["data_date"]))
        conn.execute(insert(drift_results), [{**r, "checked_at": r.get("checked_at", time.time())} for r in rows])


def latest_drift(url: str | None = None) -> list[dict[str, Any]]:
    """Per registered model, the columns of its most recent check (newest data date, then newest check)."""
    with engine(url).connect() as conn:
        rows = [dict(r) for r in conn.execute(select(drift_results).order_by(
            drift_results.c.data_date.desc(), drift_results.c.checked_at.desc())).mappings()]
    newest: dict[str, tuple[str, str]] = {}
    for row in rows:
        newest.setdefault(row["model_name"], (row["champion_version"], row["data_date"]))
    return [r for r in rows if newest[r["model_name"]] == (r["champion_version"], r["data_date"])]


def open_alerts(url: str | None = None) -> dict[str, dict[str, Any]]:
    with engine(url).connect() as conn:
        return {r["key"]: dict(r) for r in conn.execute(select(monitoring_alerts)).mappings()}


def mark_sent(key: str, tenant: str | None, message: str, now: float, url: str | None = None) -> None:
    with engine(url).begin() as conn:
        if conn.execute(select(monitoring_alerts.c.key).where(monitoring_alerts.c.key == key)).first():
            conn.execute(update(monitoring_alerts).where(monitoring_alerts.c.key == key).values(last_sent=now, message=message))
        else:
            conn.execute(insert(monitoring_alerts).values(key=key, tenant=tenant, first_seen=now, last_sent=now, message=message))


def mark_resolved(key: str, url: str | None = None) -> None:
    with engine(url).begin() as conn:
        conn.execute(delete(monitoring_alerts).where(monitoring_alerts.c.key == key))
