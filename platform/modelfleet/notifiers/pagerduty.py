"""The PagerDuty provider's notifier, with the Events API URL taken from the connection.

`PagerdutyEventsHook.send_event` (provider 5.3.1) builds
`pagerduty.EventsApiV2Client(integration_key)` with no `base_url`, so the
sync notifier always posts to https://events.pagerduty.com and cannot be
pointed at a local receiver (the async hook hard-codes the same URL). This
wraps it rather than rewriting it: the event body is still built by the
provider's `prepare_event_data` and sent by the `pagerduty` client; only the
client's `base_url` comes from the connection's host when one is set, and
the CA bundle that verifies it from the extra `ca_file` (the `pagerduty`
client accepts only https:// URLs, so a relay or a test receiver serves TLS):
`{"conn_type": "pagerduty_events", "password": "<routing key>",
"host": "https://127.0.0.1:9443", "extra": {"ca_file": "/path/ca.pem"}}`.
Without a host nothing changes.
"""

from __future__ import annotations

import ssl
from functools import cached_property
from typing import Any

from airflow.providers.pagerduty.hooks.pagerduty_events import PagerdutyEventsHook, prepare_event_data
from airflow.providers.pagerduty.notifications.pagerduty import PagerdutyNotifier


class PagerdutyEventsUrlHook(PagerdutyEventsHook):
    """PagerdutyEventsHook whose Events API base URL is the connection's host (default: PagerDuty's)."""

    def __init__(self, *, pagerduty_events_conn_id: str) -> None:
        conn = self.get_connection(pagerduty_events_conn_id)
        super().__init__(integration_key=conn.password or "")
        self.events_url: str | None = conn.host if conn.host and "://" in conn.host else None
        self.ca_file: str | None = conn.extra_dejson.get("ca_file") if conn.extra else None

    def send_event(self, summary: str, severity: str, **kwargs: Any) -> str:  # type: ignore[override]
        import pagerduty

        data = prepare_event_data(summary=summary, severity=severity, **kwargs)
        tls = {"verify": ssl.create_default_context(cafile=self.ca_file)} if self.ca_file else {}
        client = pagerduty.EventsApiV2Client(self.integration_key, base_url=self.events_url, **tls)
        return client.send_event(**data)


class PagerdutyEventsNotifier(PagerdutyNotifier):
    """PagerdutyNotifier that honours the connection's Events API URL (see the module docstring)."""

    @cached_property
    def hook(self) -> PagerdutyEventsHook:  # type: ignore[override]
        return PagerdutyEventsUrlHook(pagerduty_events_conn_id=self.pagerduty_events_conn_id)
