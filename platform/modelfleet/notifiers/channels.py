"""One alert, shaped for each channel and handed to that channel's Airflow provider notifier.

The provider notifiers do the sending (Slack incoming webhook, PagerDuty
Events API v2, SMTP); this module only fills their arguments. Their
`notify()` is called directly, not through `__call__`: the text here is
already final, and `__call__` would render it as a Jinja template, which a
log line holding `{{` would break.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from modelfleet.notifiers.alert import Alert
from modelfleet.notifiers.severity import pages

Channel = Literal["pagerduty", "slack", "email"]

SLACK_SECTION = 2900
"""Slack rejects a section block over 3000 characters."""
PAGERDUTY_SUMMARY = 1024


@dataclass(frozen=True)
class Routes:
    """A team's alert routes (tenant.yaml `alerts:`): connection ids and addresses, never secrets."""

    slack_conn_id: str | None = None
    pagerduty_conn_id: str | None = None
    email: tuple[str, ...] = ()

    def channels(self, tier: str) -> list[Channel]:
        """Where a failure of this tier goes: PagerDuty only for paged tiers, Slack and e-mail for all.
        In sending order: the page first, it is the one that wakes a person."""
        chosen: list[Channel] = []
        if self.pagerduty_conn_id and pages(tier):
            chosen.append("pagerduty")
        if self.slack_conn_id:
            chosen.append("slack")
        if self.email:
            chosen.append("email")
        return chosen


# --- Slack -------------------------------------------------------------------------------------------

def _mrkdwn(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_blocks(alert: Alert, resolved: bool) -> list[dict[str, Any]]:
    link = f"<{alert.log_url}|task log (try {alert.try_number})>"
    if resolved:
        return [{"type": "section", "text": {"type": "mrkdwn", "text": f":white_check_mark: *{_mrkdwn(alert.title(True))}*\n{link}"}}]
    facts = (f"*tenant* {alert.tenant} · *tier* {alert.tier} · *severity* {alert.severity}\n"
             f"*DAG* `{alert.dag_id}` · *task* `{alert.task}` · *run* `{alert.run_id}` · *try* {alert.try_number}\n"
             f"*error class* {alert.error_class} · {link}\n*error* {_mrkdwn(alert.error)}")
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(f":rotating_light: *{_mrkdwn(alert.title())}*\n{facts}", SLACK_SECTION)}},
    ]
    if alert.last_lines:
        body = _mrkdwn("\n".join(alert.last_lines)).replace("```", "'''")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(
            f"last lines of the {alert.last_lines_from}:\n```{body[-(SLACK_SECTION - 60):]}```", SLACK_SECTION)}})
    if alert.validation:
        report = alert.validation
        lines = "\n".join(f"• {_mrkdwn(v)}" for v in report["first_violations"])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(
            f"*validation report* quality score {report['quality_score']}, {report['violations']} violation(s), "
            f"{report['rows']} rows: `{report['path']}`\n{lines}", SLACK_SECTION)}})
    return blocks


def send_slack(alert: Alert, routes: Routes, context: Any, resolved: bool) -> None:
    from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

    SlackWebhookNotifier(slack_webhook_conn_id=routes.slack_conn_id, text=alert.title(resolved),
                         blocks=slack_blocks(alert, resolved), unfurl_links=False, timeout=10).notify(context)


# --- PagerDuty ---------------------------------------------------------------------------------------

def send_pagerduty(alert: Alert, routes: Routes, context: Any, resolved: bool) -> None:
    from modelfleet.notifiers.pagerduty import PagerdutyEventsNotifier

    details: dict[str, Any] = {**alert.fields(), "last_lines": alert.last_lines,
                               "last_lines_from": alert.last_lines_from}
    if alert.validation:
        details["validation_report"] = alert.validation
    PagerdutyEventsNotifier(
        pagerduty_events_conn_id=routes.pagerduty_conn_id, action="resolve" if resolved else "trigger",
        dedup_key=alert.dedup_key, summary=_clip(alert.title(resolved), PAGERDUTY_SUMMARY),
        severity=alert.severity, source="modelfleet", group=alert.tenant, component=f"{alert.dag_id}.{alert.task}",
        class_type=alert.error_class, custom_details=details,
        links=[{"href": alert.log_url, "text": f"task log (try {alert.try_number})"}],
    ).notify(context)


# --- e-mail ------------------------------------------------------------------------------------------

def email_html(alert: Alert, resolved: bool) -> str:
    link = f'<a href="{html.escape(alert.log_url)}">task log (try {alert.try_number})</a>'
    if resolved:
        return f"<p><b>{html.escape(alert.title(True))}</b></p><p>{link}</p>"
    rows = "".join(f"<tr><th align='left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in alert.fields().items() if k != "log_url")
    parts = [f"<p><b>{html.escape(alert.title())}</b></p>", f"<table>{rows}</table>", f"<p>{link}</p>"]
    if alert.last_lines:
        parts.append(f"<p>last lines of the {alert.last_lines_from}:</p><pre>{html.escape(chr(10).join(alert.last_lines))}</pre>")
    if alert.validation:
        parts.append(f"<p>validation report:</p><pre>{html.escape(json.dumps(alert.validation, indent=2))}</pre>")
    return "\n".join(parts)


def send_email(alert: Alert, routes: Routes, context: Any, resolved: bool) -> None:
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    # The SMTP connection is the platform's ([email] email_conn_id, default smtp_default); the sender
    # is its extra `from_email`.
    SmtpNotifier(to=list(routes.email), subject=alert.title(resolved), html_content=email_html(alert, resolved),
                 custom_headers={"X-Modelfleet-Dedup-Key": alert.dedup_key}).notify(context)


SENDERS: dict[Channel, Callable[[Alert, Routes, Any, bool], None]] = {
    "pagerduty": send_pagerduty, "slack": send_slack, "email": send_email,
}


def send(channels: Sequence[Channel], alert: Alert, routes: Routes, context: Any, resolved: bool,
         on_error: Callable[[Channel, Exception], None]) -> list[Channel]:
    """Send to each channel in turn; a channel that fails is reported to `on_error` and the rest still go.

    Returns the channels that accepted the alert.
    """
    delivered: list[Channel] = []
    for channel in channels:
        try:
            SENDERS[channel](alert, routes, context, resolved)
        except Exception as exc:  # noqa: BLE001 - one unreachable channel must not silence the others
            on_error(channel, exc)
        else:
            delivered.append(channel)
    return delivered
