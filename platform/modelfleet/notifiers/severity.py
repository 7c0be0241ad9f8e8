"""Severity by priority tier: how loudly a failed task of each tier alerts.

The tier (the model's own, else its team's) already orders the fleet's work
(priority_weight); it orders alerts the same way. Only critical and high
tiers page a person (PagerDuty); every tier reaches the team's Slack channel
and e-mail, where the severity is shown. The values are PagerDuty Events
API v2 severities, so one word means the same in every channel.
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["critical", "error", "warning", "info"]

SEVERITY_BY_TIER: dict[str, Severity] = {
    "critical": "critical",
    "high": "error",
    "standard": "warning",
    "batch": "info",
}

PAGED_TIERS = frozenset({"critical", "high"})
"""Tiers whose failures page the team's PagerDuty service; the others wait for working hours."""


def severity_of(tier: str) -> Severity:
    """The alert severity of a tier; an unknown tier alerts as `warning` rather than not at all."""
    return SEVERITY_BY_TIER.get(tier, "warning")


def pages(tier: str) -> bool:
    return tier in PAGED_TIERS
