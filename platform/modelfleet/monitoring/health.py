"""Fleet health: everything the checks found, assembled once for the monitoring DAG and for `modelfleet status`."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from modelfleet.monitoring import checks, store
from modelfleet.monitoring.records import Snapshot

log = logging.getLogger(__name__)


@dataclass
class FleetHealth:
    snapshot: Snapshot
    rates: list[checks.Rate]
    misses: list[store.DeadlineMiss]
    open_dead_letters: dict[str, int] | None
    """Open entries per team; None when the dead-letter queue cannot be read."""
    drift: list[dict[str, Any]]
    findings: list[checks.Finding] = field(default_factory=list)


def assess(snapshot: Snapshot, misses: list[store.DeadlineMiss], dead_letters: list[Any] | None,
           drift: list[dict[str, Any]]) -> FleetHealth:
    """Run every check on what was read (pure: the tests feed it rows)."""
    rates = checks.success_rates(snapshot)
    findings = [*checks.rate_findings(rates), *checks.stuck_findings(snapshot), *checks.pool_findings(snapshot),
                *checks.miss_findings(misses), *checks.drift_findings(drift)]
    if dead_letters is not None:
        findings += checks.dead_letter_findings(dead_letters, snapshot.now.timestamp())
    open_counts = None if dead_letters is None else dict(Counter(e.tenant for e in dead_letters))
    return FleetHealth(snapshot, rates, misses, open_counts, drift, findings)


def open_dead_letters() -> list[Any] | None:
    """The dead-letter queue's open entries (modelfleet.dead_letters), or None if it cannot be read."""
    try:
        from modelfleet.dead_letters import OPEN, entries

        return entries(state=OPEN)
    except Exception as exc:  # noqa: BLE001 - health without the DLQ beats no health
        log.warning("dead-letter queue not read: %s", exc)
        return None


def platform_state(snapshot: Snapshot) -> tuple[list[store.DeadlineMiss], list[Any] | None, list[dict[str, Any]]]:
    """What the platform database holds for the checks: recent deadline misses, open dead letters, latest drift."""
    since = snapshot.now.timestamp() - checks.MISSES_WINDOW.total_seconds()
    return store.misses_since(since), open_dead_letters(), store.latest_drift()


def fleet_health(snapshot: Snapshot) -> FleetHealth:
    return assess(snapshot, *platform_state(snapshot))


ALERTED_ELSEWHERE = frozenset({"deadline_missed"})
"""Checks whose events alert when they happen (the Deadline Alert callback): shown, not alerted again."""


def route_findings(findings: list[checks.Finding], now: float | None = None) -> dict[str, int]:
    """Alert new findings (and again after store.REPEAT_AFTER), resolve the ones gone; returns the counts."""
    from modelfleet.monitoring.route import alert_tenant

    now = time.time() if now is None else now
    current = {f.key: f for f in findings if f.check not in ALERTED_ELSEWHERE}
    known = store.open_alerts()
    sent = resolved = 0
    for key, finding in sorted(current.items()):
        previous = known.get(key)
        if previous is not None and now - previous["last_sent"] < store.REPEAT_AFTER:
            continue
        text = f"[{finding.tenant or 'platform'}] {finding.check}: {finding.message}. See docs/oncall.md#{finding.check.replace('_', '-')}"
        if finding.tenant:
            alert_tenant(finding.tenant, text)
        else:
            log.error("ALERT platform %s", text)
        store.mark_sent(key, finding.tenant, finding.message, now)
        sent += 1
    for key, previous in sorted(known.items()):
        if key not in current:
            text = f"[{previous['tenant'] or 'platform'}] resolved: {previous['message']}"
            if previous["tenant"]:
                alert_tenant(previous["tenant"], text)
            store.mark_resolved(key)
            resolved += 1
    return {"findings": len(findings), "sent": sent, "resolved": resolved}
