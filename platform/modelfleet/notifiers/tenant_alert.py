"""Route a pipeline's failures, and their resolution, to the owning team through Airflow's provider notifiers.

`TenantAlertNotifier` is an `on_failure_callback`: Airflow calls it only
when a task has finally failed (a try that will be retried calls
`on_retry_callback` instead), so one task instance alerts once however many
retries it burnt. `TenantResolveNotifier` is an `on_success_callback`: when
a later try or a replay of a task instance with an open incident succeeds,
it resolves that incident on the channels the alert went to.

Both always write to the task log, and never raise into the task: an alert
path must not turn one failure into two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from modelfleet.notifiers.channels import Channel, Routes

if TYPE_CHECKING:
    from typing_extensions import Self

    from modelfleet.specs.tenant import TenantSpec

log = logging.getLogger(__name__)


class _TenantNotifier(BaseNotifier):
    """A team's routes and the tier whose severity its alerts carry. Nothing is templated: each call builds
    its text from the context (one instance serves every task of a DAG, and templating is irreversible)."""

    def __init__(self, *, tenant_id: str, tier: str, slack_conn_id: str | None = None,
                 pagerduty_conn_id: str | None = None, email: Iterable[str] = ()) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self.tier = tier
        self.routes = Routes(slack_conn_id, pagerduty_conn_id, tuple(email))

    @classmethod
    def for_tenant(cls, tenant: TenantSpec, priority_tier: str | None = None) -> Self:
        """From tenant.yaml `alerts:`, with the model's tier if it has its own, else the team's."""
        routes = tenant.alerts
        return cls(tenant_id=tenant.id, tier=priority_tier or tenant.priority_tier, slack_conn_id=routes.slack_conn_id,
                   pagerduty_conn_id=routes.pagerduty_conn_id, email=routes.email)

    def _channel_failed(self, channel: Channel, exc: Exception) -> None:
        log.warning("alert channel %s of tenant %s not reached: %s", channel, self.tenant_id, exc)


class TenantAlertNotifier(_TenantNotifier):
    """Alert the team once per failed task instance: PagerDuty (paged tiers), Slack, e-mail."""

    def notify(self, context: Any) -> None:
        try:
            self._alert(context)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("alert for tenant %s failed", self.tenant_id)

    def _alert(self, context: Any) -> None:
        from modelfleet.notifiers import channels, incidents
        from modelfleet.notifiers.alert import alert_from_context

        alert = alert_from_context(context, tenant=self.tenant_id, tier=self.tier)
        log.error("ALERT %s: %s (%s)", alert.title(), alert.error, alert.log_url)
        try:
            opened = incidents.open_incident(alert)
        except Exception as exc:  # noqa: BLE001 - without the state DB, alert twice rather than never
            log.warning("incident state not recorded (%s); alerting anyway", exc)
            opened = True
        if not opened:
            log.warning("incident %s is already open: failure counted, no new alert", alert.dedup_key)
            return
        wanted = self.routes.channels(self.tier)
        delivered = channels.send(wanted, alert, self.routes, context, resolved=False, on_error=self._channel_failed)
        log.info("alert %s sent to %s", alert.dedup_key, ", ".join(delivered) or "no channel")
        try:
            incidents.set_channels(alert.dedup_key, delivered)
        except Exception as exc:  # noqa: BLE001
            log.warning("channels of incident %s not recorded: %s", alert.dedup_key, exc)


class TenantResolveNotifier(_TenantNotifier):
    """Resolve the task instance's open incident, if any, on the channels its alert reached."""

    def notify(self, context: Any) -> None:
        try:
            self._resolve(context)
        except Exception:  # noqa: BLE001 - see the module docstring
            log.exception("resolve for tenant %s failed", self.tenant_id)

    def _resolve(self, context: Any) -> None:
        from modelfleet.notifiers import channels, incidents
        from modelfleet.notifiers.alert import Alert, dedup_key
        from modelfleet.notifiers.task_log import log_url

        ti = context["ti"]
        map_index = -1 if getattr(ti, "map_index", None) is None else ti.map_index
        closed = incidents.resolve_incident(dedup_key(ti.dag_id, ti.task_id, ti.run_id, map_index))
        if closed is None:
            return
        alert = Alert(tenant=self.tenant_id, tier=self.tier, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id,
                      map_index=map_index, try_number=ti.try_number, ds=context.get("ds"), error_class="",
                      error="", log_url=log_url(ti))
        log.info("RESOLVED %s after %d failure(s)", alert.dedup_key, closed.failures)
        wanted = [c for c in self.routes.channels(self.tier) if c in closed.channels]
        channels.send(wanted, alert, self.routes, context, resolved=True, on_error=self._channel_failed)
