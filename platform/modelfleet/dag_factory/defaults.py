"""Platform-wide policy for every pipeline task: retries, backoff, timeouts, alerts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from modelfleet.notifiers.dead_letter import DeadLetterNotifier
from modelfleet.notifiers.tenant_alert import TenantAlertNotifier, TenantResolveNotifier
from modelfleet.specs.tenant import PRIORITY_WEIGHTS, TenantSpec

START_DATE = datetime(2026, 1, 1, tzinfo=timezone.utc)
RETRY_DELAY = timedelta(seconds=20)
BACKOFF_MULTIPLIER = 2.0
MAX_RETRY_DELAY = timedelta(minutes=30)
TASK_TIMEOUT = timedelta(minutes=30)


def tenant_tags(tenant: TenantSpec) -> list[str]:
    return [f"tenant:{tenant.id}", f"tier:{tenant.priority_tier}"]


def default_args(tenant: TenantSpec, owners: list[str], retries: int, priority_tier: str | None = None) -> dict[str, Any]:
    """Arguments every task of a tenant's pipeline starts from.

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
        "on_failure_callback": [
            DeadLetterNotifier(tenant_id=tenant.id),  # first: the durable record, before any alert is sent
            TenantAlertNotifier.for_tenant(tenant, priority_tier)
        ],
        "on_success_callback": [TenantResolveNotifier.for_tenant(tenant, priority_tier)],
    }
