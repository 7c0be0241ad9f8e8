"""Platform-wide policy for every pipeline task: retries, backoff, timeouts, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from modelfleet.notifiers.dead_letter import DeadLetterNotifier
from modelfleet.notifiers.tenant_alert import TenantAlertNotifier, TenantResolveNotifier
from modelfleet.specs.tenant import PRIORITY_WEIGHTS, TenantSpec

if TYPE_CHECKING:
    from airflow.sdk import DAG

START_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
RETRY_DELAY = timedelta(seconds=20)
BACKOFF_MULTIPLIER = 2.0
MAX_RETRY_DELAY = timedelta(minutes=30)
TASK_TIMEOUT = timedelta(minutes=30)


def tenant_tags(tenant: TenantSpec) -> list[str]:
    return [f"tenant:{tenant.id}", f"tier:{tenant.priority_tier}"]


def task_args(tenant: TenantSpec, owners: list[str], retries: int, priority_tier: str | None = None) -> dict[str, Any]:
    """Arguments every task of a tenant's pipeline starts from, callbacks aside (see `attach_callbacks`).

    The priority tier (the model's own, else its team's) becomes an absolute
    `priority_weight`: strict within a pool, not summed over downstream tasks.
    """
    return {
        "owner": ",".join(owners),
        "retries": retries,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": BACKOFF_MULTIPLIER,
        "max_retry_delay": MAX_RETRY_DELAY,
        "execution_timeout": TASK_TIMEOUT,
        "priority_weight": PRIORITY_WEIGHTS[priority_tier or tenant.priority_tier],
        "weight_rule": "absolute",
        "queue": "cpu",
    }


def task_callbacks(tenant: TenantSpec, priority_tier: str | None = None) -> dict[str, list[Any]]:
    """The dead-letter record and the team's alert when a task fails for good, and the alert's resolve when it succeeds."""
    return {
        "on_failure_callback": [
            DeadLetterNotifier(tenant_id=tenant.id),  # first: the durable record, before any alert is sent
            TenantAlertNotifier.for_tenant(tenant, priority_tier)
        ],
        "on_success_callback": [TenantResolveNotifier.for_tenant(tenant, priority_tier)],
    }


def default_args(tenant: TenantSpec, owners: list[str], retries: int, priority_tier: str | None = None) -> dict[str, Any]:
    """`task_args` and `task_callbacks` as one DAG's default_args, for a DAG written by hand."""
    return {**task_args(tenant, owners, retries, priority_tier), **task_callbacks(tenant, priority_tier)}


def attach_callbacks(dag: DAG, tenant: TenantSpec, priority_tier: str | None = None) -> DAG:
    """Give every task of `dag` the `task_callbacks`; returns `dag`.

    The DAG factory sets them on the tasks rather than in default_args: Airflow serializes a
    DAG's default_args on every parse, and for each callable in them reads and tokenizes its
    source (inspect.getsource), about 1 ms per callback per DAG, while a task's callbacks
    serialize as a flag.
    """
    callbacks = task_callbacks(tenant, priority_tier)
    for task in dag.tasks:
        task.on_failure_callback = callbacks["on_failure_callback"]
        task.on_success_callback = callbacks["on_success_callback"]
    return dag
