"""The platform's own database (not Airflow's): GPU device leases, quota events and the dead-letter queue.

SQLite in the state folder on the embedded default; any SQLAlchemy URL (e.g.
PostgreSQL in the distributed modes) through MODELFLEET_DB_URL. On SQLite
every transaction takes the write lock when it begins (`BEGIN IMMEDIATE`), so
a lease is chosen and written atomically by one process at a time; on
PostgreSQL the lease transaction locks its class's device rows instead.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, UniqueConstraint, create_engine, event
from sqlalchemy.engine import Engine

from modelfleet import paths

metadata = MetaData()

gpu_devices = Table(
    "gpu_devices", metadata,
    Column("gpu_class", String(40), primary_key=True),
    Column("host", String(64), primary_key=True),
    Column("device", Integer, primary_key=True),
)
"""The declared inventory (from infra/capacity.yaml); lease transactions lock these rows on PostgreSQL."""

gpu_leases = Table(
    "gpu_leases", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lease_group", String(64), nullable=False, index=True),
    Column("gpu_class", String(40), nullable=False),
    Column("host", String(64), nullable=False),
    Column("device", Integer, nullable=False),
    Column("tenant", String(40), nullable=False),
    Column("dag_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("task_id", String(250), nullable=False),
    Column("map_index", Integer, nullable=False, default=-1),
    Column("try_number", Integer, nullable=False, default=0),
    Column("holder_pid", Integer, nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("released_at", Float, nullable=True, index=True),
    Column("end_reason", String(20), nullable=True),
)
"""Every lease ever taken: one row per device. Open while released_at is null. Times are UNIX seconds."""

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tenant", String(40), nullable=False, index=True),
    Column("dag_id", String(250), nullable=False),
    Column("task_id", String(250), nullable=False),
    Column("map_index", Integer, nullable=False, default=-1),
    Column("run_id", String(250), nullable=False),
    Column("try_number", Integer, nullable=False),
    Column("logical_date", String(40), nullable=True),
    Column("error_class", String(20), nullable=False),
    Column("error_type", String(120), nullable=False),
    Column("message", Text, nullable=False),
    Column("failed_at", Float, nullable=False),
    Column("state", String(20), nullable=False, index=True),
    Column("state_changed_at", Float, nullable=True),
    Column("note", Text, nullable=True),
    UniqueConstraint("dag_id", "run_id", "task_id", "map_index", "try_number", name="uq_dead_letter_try"),
)
"""Task instances that failed for good (modelfleet.dead_letters): `open`, then `replayed` or `discarded`.
At most one open row per task instance of a run (modelfleet.dead_letters.record); the unique try keeps a
failure callback that runs twice from recording it twice."""

quota_events = Table(
    "quota_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("gpu_class", String(40), nullable=False),
    Column("tenant", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("gpus", Integer, nullable=False),
    Column("seconds", Float, nullable=True),
    UniqueConstraint("at", "gpu_class", "tenant", "kind", name="uq_quota_event"),
)
"""What the quota controller did: `lend`, `borrow`, `reclaim_start`, `reclaim_done` (with the seconds it took)."""

alert_incidents = Table(
    "alert_incidents", metadata,
    Column("dedup_key", String(255), primary_key=True),
    Column("tenant", String(40), nullable=False),
    Column("dag_id", String(250), nullable=False),
    Column("task_id", String(250), nullable=False),
    Column("run_id", String(250), nullable=False),
    Column("map_index", Integer, nullable=False, default=-1),
    Column("severity", String(20), nullable=False),
    Column("channels", String(100), nullable=False, default=""),
    Column("status", String(20), nullable=False, index=True),
    Column("failures", Integer, nullable=False, default=1),
    Column("opened_at", Float, nullable=False),
    Column("resolved_at", Float, nullable=True),
)
"""One row per failing task instance (notifiers/incidents.py): `open` until a later try or a replay succeeds.
`channels` lists where the alert went (`pagerduty,slack,email`), so the resolve goes to the same places."""


def database_url() -> str:
    """MODELFLEET_DB_URL; else, while the state folder's platform is up in celery mode, its PostgreSQL database
    (so `modelfleet gpus audit` needs no variable); else the SQLite file in the state folder."""
    if url := os.environ.get("MODELFLEET_DB_URL"):
        return url
    from modelfleet.runtime.config import recorded_mode

    if recorded_mode(paths.state_dir()) == "celery":
        from modelfleet.runtime.config import EmbeddedConfig

        if url := EmbeddedConfig.from_env(mode="celery").state_db_url:
            return url
    return f"sqlite:///{paths.state_dir() / 'modelfleet.db'}"


def engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: database_url()), with the schema created on first use."""
    return _engine(url or database_url())


@functools.lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        made = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(made, "connect")
        def _connect(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy's begin() below issue BEGIN itself
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(made, "begin")
        def _begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        made = create_engine(url, pool_pre_ping=True)
    metadata.create_all(made)
    return made
