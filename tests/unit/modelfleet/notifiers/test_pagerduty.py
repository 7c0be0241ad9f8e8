"""The PagerDuty provider's notifier, wrapped only to take the Events API URL (and its CA) from the connection."""

from __future__ import annotations

import json

import pytest

from modelfleet.notifiers.pagerduty import PagerdutyEventsNotifier, PagerdutyEventsUrlHook


def test_events_go_to_the_connection_host_as_the_provider_builds_them(receivers):
    for action in ("trigger", "resolve"):
        PagerdutyEventsNotifier(pagerduty_events_conn_id="acme_pagerduty", summary="s", severity="error",
                                action=action, dedup_key="k1", custom_details={"a": 1}).notify({})
    assert [r.path for r in receivers.pagerduty.received] == ["/v2/enqueue", "/v2/enqueue"]
    first, second = receivers.pagerduty.pagerduty()
    assert first == {"event_action": "trigger", "routing_key": "routing-key-acme", "dedup_key": "k1",
                     "payload": {"summary": "s", "severity": "error", "source": "airflow", "custom_details": {"a": 1}}}
    assert (second["event_action"], second["dedup_key"]) == ("resolve", "k1")


def test_without_a_host_it_is_the_provider_default(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PD_PLAIN", json.dumps({"conn_type": "pagerduty_events", "password": "key"}))
    hook = PagerdutyEventsUrlHook(pagerduty_events_conn_id="pd_plain")
    assert (hook.events_url, hook.ca_file, hook.integration_key) == (None, None, "key")


def test_a_connection_without_a_routing_key_is_refused(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_PD_EMPTY", json.dumps({"conn_type": "pagerduty_events", "host": "https://127.0.0.1:1"}))
    with pytest.raises(Exception, match="integration key"):
        PagerdutyEventsUrlHook(pagerduty_events_conn_id="pd_empty")
