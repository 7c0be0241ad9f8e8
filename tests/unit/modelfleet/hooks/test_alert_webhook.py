"""AlertWebhookHook against a real HTTP receiver on loopback, with the URL from an Airflow connection."""

from __future__ import annotations

import json

import httpx
import pytest

from modelfleet.hooks.alert_webhook import AlertWebhookHook


@pytest.mark.parametrize(
    "connection",
    [
        pytest.param(lambda port: {"conn_type": "http", "host": f"http://127.0.0.1:{port}/services/T1"}, id="host-is-the-url"),
        pytest.param(lambda port: {"conn_type": "http", "host": "127.0.0.1", "port": port, "schema": "http",
                                   "extra": {"path": "/services/T1"}}, id="host-port-path"),
    ],
)
def test_post_sends_json_to_the_connection_url(webhook_receiver, monkeypatch, connection):
    monkeypatch.setenv("AIRFLOW_CONN_ACME_SLACK", json.dumps(connection(webhook_receiver.port)))
    hook = AlertWebhookHook(webhook_conn_id="acme_slack")
    assert hook.url == f"{webhook_receiver.url}/services/T1"
    assert hook.post({"text": "hello", "tenant": "acme"}) == 200
    assert webhook_receiver.received == [{"path": "/services/T1", "body": {"text": "hello", "tenant": "acme"},
                                          "content_type": "application/json"}]


def test_post_raises_on_an_error_status(webhook_receiver, monkeypatch):
    webhook_receiver.status = 500
    monkeypatch.setenv("AIRFLOW_CONN_ACME_SLACK", json.dumps({"conn_type": "http", "host": f"{webhook_receiver.url}/x"}))
    with pytest.raises(httpx.HTTPStatusError):
        AlertWebhookHook(webhook_conn_id="acme_slack").post({"text": "x"})
