"""TenantAlertNotifier: the alert always reaches the log, reaches the team's webhook when configured,
and an unreachable webhook is logged, never raised."""

from __future__ import annotations

import json
import logging
import socket

from airflow.sdk import DAG

from modelfleet.dag_factory.defaults import START_DATE
from modelfleet.notifiers.tenant_alert import TenantAlertNotifier


class FailedTask:
    task_id = "validate_data"
    try_number = 2


def failure_context() -> dict:
    return {"dag": DAG("acme__fraud", schedule=None, start_date=START_DATE), "ti": FailedTask(), "ds": "2026-11-20",
            "exception": ValueError("data is unusable for training")}


EXPECTED = "[acme__fraud] task validate_data failed (try 2) for 2026-11-20: data is unusable for training"


def test_posts_the_rendered_alert_to_the_tenant_webhook(webhook_receiver, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_ACME_SLACK", json.dumps({"conn_type": "http", "host": f"{webhook_receiver.url}/hook"}))
    with caplog.at_level(logging.ERROR, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme", webhook_conn_id="acme_slack")(failure_context())
    assert webhook_receiver.received == [{"path": "/hook", "body": {"text": EXPECTED, "tenant": "acme"},
                                          "content_type": "application/json"}]
    assert f"ALERT tenant=acme {EXPECTED}" in caplog.text


def test_unreachable_webhook_is_logged_not_raised(monkeypatch, caplog):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_ACME_SLACK", json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{port}/hook"}))
    with caplog.at_level(logging.WARNING, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme", webhook_conn_id="acme_slack")(failure_context())
    assert f"ALERT tenant=acme {EXPECTED}" in caplog.text
    assert "alert webhook acme_slack not reached" in caplog.text


def test_undefined_connection_is_logged_not_raised(monkeypatch, caplog):
    monkeypatch.delenv("AIRFLOW_CONN_ACME_SLACK", raising=False)
    with caplog.at_level(logging.WARNING, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme", webhook_conn_id="acme_slack")(failure_context())
    assert "alert webhook acme_slack not reached" in caplog.text


def test_without_a_webhook_the_alert_only_goes_to_the_log(webhook_receiver, caplog):
    with caplog.at_level(logging.ERROR, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme")(failure_context())
    assert f"ALERT tenant=acme {EXPECTED}" in caplog.text and webhook_receiver.received == []
