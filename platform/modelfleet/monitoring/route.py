"""The one place monitoring hands an alert to a team: its Slack route from tenant.yaml, through the Slack provider.

Task failures go through notifiers/tenant_alert.py (per task instance, with
incidents and PagerDuty by tier); a monitoring finding or a deadline miss is
not a task instance, so it posts its text on the team's Slack route, the same
connection the team's task alerts use. A team without a Slack route gets the
finding in the log (and in `modelfleet status`) only.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def alert_tenant(tenant_id: str, text: str) -> bool:
    """Post `text` to the team's Slack route; False (logged, never raised) when it was not delivered.

    An alert path must not fail the check or callback that found the problem.
    """
    from modelfleet.specs.loader import load_fleet

    log.error("ALERT tenant=%s %s", tenant_id, text)
    tenant = load_fleet(only_tenant=tenant_id).tenants.get(tenant_id)
    conn_id = tenant.alerts.slack_conn_id if tenant else None
    if not conn_id:
        log.warning("tenant %s has no Slack route (tenant.yaml alerts.slack_conn_id): alert logged only", tenant_id)
        return False
    try:
        from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

        SlackWebhookNotifier(slack_webhook_conn_id=conn_id, text=text, unfurl_links=False, timeout=10).notify({})
    except Exception as exc:  # noqa: BLE001 - the finding is recorded and logged already
        log.warning("alert for tenant %s not delivered on %s: %s", tenant_id, conn_id, exc)
        return False
    return True
