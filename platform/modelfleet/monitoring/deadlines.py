"""Deadline Alerts on every pipeline DAG: finished within the spec's `monitoring.deadline` of being queued.

`pipeline_deadline` runs at parse time (Airflow SDK objects only). When a run
misses its deadline, the scheduler queues `deadline_missed` and the triggerer
awaits it: it records the miss in the platform database (where the monitoring
DAG and `modelfleet status` count it) and alerts the owning team. Its blocking
work (a database write, an HTTP post) runs in a worker thread, so the
triggerer's event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import timedelta
from typing import Any

from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

log = logging.getLogger(__name__)

CALLBACK_PATH = "modelfleet.monitoring.deadlines.deadline_missed"


def pipeline_deadline(tenant_id: str, dag_id: str, deadline: timedelta) -> DeadlineAlert:
    """The Deadline Alert of one pipeline: its run must end `deadline` after it was queued."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=deadline,
        callback=AsyncCallback(CALLBACK_PATH, kwargs={"tenant_id": tenant_id, "dag_id": dag_id,
                                                      "interval_seconds": deadline.total_seconds()}),
        name="modelfleet-deadline",
    )


def miss_text(tenant_id: str, dag_id: str, run: dict[str, Any], deadline_time: str, interval_seconds: float) -> str:
    state = run.get("state") or "unknown"
    return (f"[{tenant_id}] deadline missed: {dag_id} run {run.get('dag_run_id', '?')} is {state}, "
            f"not finished {timedelta(seconds=int(interval_seconds))} after it was queued "
            f"({run.get('queued_at') or '?'}; deadline {deadline_time}). "
            f"See docs/oncall.md#deadline-missed; `modelfleet status` for the fleet.")


def handle_miss(tenant_id: str, dag_id: str, interval_seconds: float, context: dict[str, Any]) -> bool:
    """Record the miss once, then alert; returns whether the alert went out (False also for a repeated delivery)."""
    from modelfleet.monitoring import store
    from modelfleet.monitoring.route import alert_tenant

    run = context.get("dag_run") or {}
    deadline = context.get("deadline") or {}
    deadline_time = str(deadline.get("deadline_time", ""))
    miss = store.DeadlineMiss(
        deadline_id=str(deadline.get("id") or f"{dag_id}/{run.get('dag_run_id')}"), tenant=tenant_id, dag_id=dag_id,
        run_id=str(run.get("dag_run_id", "")), deadline_time=deadline_time, interval_seconds=interval_seconds,
        run_state=run.get("state"), recorded_at=time.time(), alerted=False,
    )
    if not store.record_miss(miss):
        log.info("deadline %s already recorded; not alerting twice", miss.deadline_id)
        return False
    sent = alert_tenant(tenant_id, miss_text(tenant_id, dag_id, run, deadline_time, interval_seconds))
    if sent:
        store.mark_miss_alerted(miss.deadline_id)
    return sent


async def deadline_missed(tenant_id: str, dag_id: str, interval_seconds: float, context: dict[str, Any] | None = None) -> str:
    """Airflow's AsyncCallback for a missed pipeline deadline (runs in the triggerer)."""
    sent = await asyncio.to_thread(handle_miss, tenant_id, dag_id, interval_seconds, context or {})
    return "alerted" if sent else "recorded"
