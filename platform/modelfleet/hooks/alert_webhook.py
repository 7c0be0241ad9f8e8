"""Post alert payloads to a team's webhook (Slack-compatible incoming webhook).

The URL is the connection's host (plus schema/port/path); it is a secret, so
it lives in an Airflow connection, never in a spec.
"""

from __future__ import annotations

import json
import logging
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook

log = logging.getLogger(__name__)


class AlertWebhookHook(BaseHook):
    """Thin client for a JSON webhook named by an Airflow connection."""

    conn_name_attr = "webhook_conn_id"
    default_conn_name = "modelfleet_webhook_default"
    conn_type = "http"
    hook_name = "modelfleet alert webhook"

    def __init__(self, *, webhook_conn_id: str = default_conn_name, timeout: float = 10.0) -> None:
        super().__init__()
        self.webhook_conn_id = webhook_conn_id
        self.timeout = timeout

    @cached_property
    def url(self) -> str:
        conn = self.get_connection(self.webhook_conn_id)
        if conn.host and "://" in conn.host:
            return conn.host
        scheme = conn.schema or "http"
        port = f":{conn.port}" if conn.port else ""
        extra = conn.extra_dejson if conn.extra else {}
        path = extra.get("path", "")
        return f"{scheme}://{conn.host}{port}{path}"

    def post(self, payload: dict[str, Any]) -> int:
        """Send one JSON payload; returns the HTTP status, raises on a non-2xx answer."""
        import httpx

        response = httpx.post(self.url, content=json.dumps(payload, default=str), timeout=self.timeout,
                              headers={"Content-Type": "application/json"})
        response.raise_for_status()
        return response.status_code
