"""What the platform's own tables hold for the Fleet page: drift, open dead letters, GPU leases and the pools' use."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

TIMELINE_WINDOW = timedelta(hours=24)


def drift_by_model() -> dict[str, dict[str, Any]]:
    """Registered model -> its latest drift check: {status, columns, data_date}."""
    from modelfleet.monitoring.store import latest_drift

    found: dict[str, dict[str, Any]] = {}
    for row in latest_drift():
        entry = found.setdefault(row["model_name"], {"status": "ok", "columns": [], "data_date": row["data_date"]})
        if row["drifted"]:
            entry["status"] = "drifted"
            entry["columns"].append(row["column"])
    return found


def open_dead_letters() -> dict[str, int]:
    """dag_id -> open dead-letter entries."""
    from modelfleet.dead_letters import OPEN, entries

    return dict(Counter(entry.dag_id for entry in entries(state=OPEN)))


def lease_history(since: float) -> list[Any]:
    """Every lease held at some time since then (released or not), oldest first."""
    from sqlalchemy import or_, select

    from modelfleet import state_db
    from modelfleet.state_db import gpu_leases

    with state_db.engine().connect() as conn:
        return list(conn.execute(select(gpu_leases).where(or_(gpu_leases.c.released_at.is_(None), gpu_leases.c.released_at >= since))
                                 .order_by(gpu_leases.c.acquired_at)))


def lease_end(lease: Any, now: float) -> float | None:
    """When a lease ended: released, or expired without a release (its holder died); None while held."""
    if lease.released_at is not None:
        return float(lease.released_at)
    return float(lease.expires_at) if lease.expires_at < now else None


def team_pools(session: Any) -> list[Any]:
    """Per class and team, the pools as the scheduler sees them (scheduling.pools.read_states), from the tenant files only."""
    from airflow.models.pool import Pool
    from sqlalchemy import select

    from modelfleet.scheduling.pools import PoolLayout, read_states
    from modelfleet.specs.loader import load_tenants

    tenants = load_tenants()
    layout = PoolLayout.from_pool_names(list(session.scalars(select(Pool.pool))), tenants)
    return [(gpu_class, state) for gpu_class, states in sorted(read_states(tenants, layout, session).items()) for state in states]
