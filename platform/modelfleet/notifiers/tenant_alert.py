"""Route a failed task to the owning team: task log always, webhook when configured."""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


class TenantAlertNotifier(BaseNotifier):
    """Minimal failure alert for a tenant's pipelines.

    Always writes the alert to the task log (the on-call's first look); when
    the tenant declares a Slack webhook connection, posts the same text there.
    A missing or unreachable webhook is logged, never raised: an alert path
    must not turn one failure into two.
    """

    template_fields = ("message",)

    def __init__(
        self,
        *,
        tenant_id: str,
        webhook_conn_id: str | None = None,
        message: str = (
            "[{{ dag.dag_id }}] task {{ ti.task_id }} failed (try {{ ti.try_number }}) "
            "for {{ ds }}: {{ exception | default('', true) | string | truncate(300) }}"
        ),
    ) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.webhook_conn_id = webhook_conn_id
        self.message = message

    def notify(self, context: Any) -> None:
        payload = {"text": self.message, "tenant": self.tenant_id}
        log.error("ALERT tenant=%s %s", self.tenant_id, self.message)
        if not self.webhook_conn_id:
            return
        from modelfleet.hooks.alert_webhook import AlertWebhookHook

        try:
            AlertWebhookHook(webhook_conn_id=self.webhook_conn_id).post(payload)
        except Exception as exc:  # noqa: BLE001 - the alert is already in the log
            log.warning("alert webhook %s not reached: %s", self.webhook_conn_id, exc)
