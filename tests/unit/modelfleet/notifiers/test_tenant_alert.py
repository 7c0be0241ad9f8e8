"""TenantAlertNotifier / TenantResolveNotifier through the real provider notifiers to real local receivers:
what each channel gets, severity by tier, one incident per task instance, the resolve, and failures that
are logged, never raised. Contexts are hand-made here; test_alert_dag.py goes through real Airflow runs."""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.notifiers import incidents
from modelfleet.notifiers.alert import dedup_key
from modelfleet.notifiers.tenant_alert import TenantAlertNotifier, TenantResolveNotifier

DS = "2026-11-19"
RUN_ID = f"scheduled__{DS}T00:00:00+00:00"
KEY = dedup_key("acme__fraud", "train", RUN_ID, -1)
ROUTES = {"slack_conn_id": "acme_slack", "pagerduty_conn_id": "acme_pagerduty", "email": ["oncall@acme.example"]}


@dataclass
class TI:
    """The fields of a RuntimeTaskInstance a notifier reads (no `log_url`: the notifier builds it)."""

    dag_id: str = "acme__fraud"
    task_id: str = "train"
    run_id: str = RUN_ID
    map_index: int = -1
    try_number: int = 3


def failed(exc: BaseException | None = None, **ti: object) -> dict:
    return {"ti": TI(**ti), "ds": DS, "exception": exc or ConnectionError("registry answered 503")}


def succeeded(**ti: object) -> dict:
    return {"ti": TI(**ti), "ds": DS}


def alert(tier: str = "critical", **context: object) -> None:
    TenantAlertNotifier(tenant_id="acme", tier=tier, **ROUTES)(failed(**context))


def resolve(tier: str = "critical", **ti: object) -> None:
    TenantResolveNotifier(tenant_id="acme", tier=tier, **ROUTES)(succeeded(**ti))


def test_a_failure_reaches_each_channel_with_what_on_call_needs(receivers):
    alert(exc=AirflowFailException("data is unusable for training"))
    log_url = f"http://airflow.test:8080/dags/acme__fraud/runs/{RUN_ID.replace(':', '%3A').replace('+', '%2B')}/tasks/train?try_number=3"

    [event] = receivers.pagerduty.pagerduty()
    assert {k: event[k] for k in ("event_action", "routing_key", "dedup_key")} == {
        "event_action": "trigger", "routing_key": "routing-key-acme", "dedup_key": KEY}
    payload = event["payload"]
    assert (payload["severity"], payload["group"], payload["component"], payload["class"]) == (
        "critical", "acme", "acme__fraud.train", "permanent")
    details = payload["custom_details"]
    assert {k: details[k] for k in ("tenant", "dag_id", "task_id", "run_id", "try_number", "error_class", "log_url")} == {
        "tenant": "acme", "dag_id": "acme__fraud", "task_id": "train", "run_id": RUN_ID, "try_number": 3,
        "error_class": "permanent", "log_url": log_url}
    assert details["error"] == "AirflowFailException: data is unusable for training"
    assert details["last_lines_from"] == "exception" and "data is unusable for training" in details["last_lines"][-1]
    assert event["links"] == [{"href": log_url, "text": "task log (try 3)"}]

    [slack] = receivers.slack.slack()
    assert slack["text"].startswith("[critical] acme: acme__fraud.train failed (permanent)")
    blocks = json.dumps(slack["blocks"])
    assert "*error class* permanent" in blocks and f"<{log_url}|task log (try 3)>" in blocks and "*try* 3" in blocks

    [(message, recipients, _)] = receivers.smtp.messages
    assert recipients == ["oncall@acme.example"] and message["From"] == "modelfleet@platform.example"
    assert message["Subject"] == slack["text"] and message["X-Modelfleet-Dedup-Key"] == KEY
    body = message.get_body(("html",)).get_content()
    assert "<th align='left'>error_class</th><td>permanent</td>" in body and log_url.replace("&", "&amp;") in body


@pytest.mark.parametrize(("tier", "severity", "paged"), [
    pytest.param("critical", "critical", True, id="critical-pages"),
    pytest.param("high", "error", True, id="high-pages"),
    pytest.param("standard", "warning", False, id="standard-slack-and-email"),
    pytest.param("batch", "info", False, id="batch-slack-and-email"),
])
def test_severity_and_paging_follow_the_tier(receivers, tier, severity, paged):
    alert(tier)
    assert [e["payload"]["severity"] for e in receivers.pagerduty.pagerduty()] == ([severity] if paged else [])
    [slack] = receivers.slack.slack()
    assert slack["text"].startswith(f"[{severity}] acme:")
    assert [m["Subject"] for m, _, _ in receivers.smtp.messages] == [slack["text"]]
    assert incidents.incident(KEY).channels == (("pagerduty",) if paged else ()) + ("slack", "email")


def test_one_incident_per_task_instance_not_one_per_failure(receivers):
    alert()
    alert(try_number=4)  # a replay of the same task instance fails again
    alert(task_id="evaluate")  # another task instance: its own incident
    assert [e["dedup_key"] for e in receivers.pagerduty.pagerduty()] == [KEY, dedup_key("acme__fraud", "evaluate", RUN_ID)]
    assert len(receivers.slack.slack()) == 2 and len(receivers.smtp.messages) == 2
    assert incidents.incident(KEY).failures == 2


def test_mapped_task_instances_are_separate_incidents(receivers):
    alert(map_index=0)
    alert(map_index=1)
    assert [e["dedup_key"] for e in receivers.pagerduty.pagerduty()] == [
        dedup_key("acme__fraud", "train", RUN_ID, 0), dedup_key("acme__fraud", "train", RUN_ID, 1)]
    assert "acme__fraud.train[1]" in receivers.slack.slack()[1]["text"]


def test_a_success_after_the_alert_resolves_it_once_on_every_channel(receivers):
    alert()
    resolve(try_number=4)
    resolve(try_number=5)  # nothing open any more: silent
    events = receivers.pagerduty.pagerduty()
    assert [(e["event_action"], e["dedup_key"]) for e in events] == [("trigger", KEY), ("resolve", KEY)]
    slack = receivers.slack.slack()
    assert len(slack) == 2 and slack[1]["text"] == f"[resolved] acme: acme__fraud.train succeeded again, run {RUN_ID}"
    assert [m["Subject"] for m, _, _ in receivers.smtp.messages][1] == slack[1]["text"]
    assert incidents.incident(KEY).status == incidents.RESOLVED


def test_a_success_without_an_incident_sends_nothing(receivers):
    resolve()
    assert receivers.nothing_received()


def test_a_failure_after_the_resolve_opens_a_new_incident(receivers):
    alert()
    resolve()
    alert(try_number=5)
    assert [e["event_action"] for e in receivers.pagerduty.pagerduty()] == ["trigger", "resolve", "trigger"]
    assert incidents.incident(KEY).status == incidents.OPEN


def test_an_unreachable_channel_is_logged_and_the_others_still_get_the_alert(receivers, monkeypatch, caplog):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AIRFLOW_CONN_ACME_SLACK", json.dumps(
        {"conn_type": "slackwebhook", "password": f"http://127.0.0.1:{port}/services/T0"}))
    with caplog.at_level(logging.WARNING, logger="modelfleet.notifiers.tenant_alert"):
        alert()
        resolve()
    assert "alert channel slack of tenant acme not reached" in caplog.text
    assert [e["event_action"] for e in receivers.pagerduty.pagerduty()] == ["trigger", "resolve"]
    assert len(receivers.smtp.messages) == 2


def test_a_receiver_answering_an_error_is_logged_not_raised(receivers, caplog):
    receivers.slack.status = 500
    with caplog.at_level(logging.WARNING, logger="modelfleet.notifiers.tenant_alert"):
        alert("standard")
    assert "alert channel slack of tenant acme not reached" in caplog.text
    assert len(receivers.smtp.messages) == 1  # e-mail still went
    assert incidents.incident(KEY).channels == ("email",)


def test_an_undefined_connection_is_logged_not_raised(receivers, caplog):
    with caplog.at_level(logging.WARNING, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme", tier="critical", slack_conn_id="nobody_slack")(failed())
    assert "alert channel slack of tenant acme not reached" in caplog.text


def test_without_routes_the_alert_is_only_in_the_task_log(receivers, caplog):
    with caplog.at_level(logging.ERROR, logger="modelfleet.notifiers.tenant_alert"):
        TenantAlertNotifier(tenant_id="acme", tier="critical")(failed())
    assert "ALERT [critical] acme: acme__fraud.train failed (transient)" in caplog.text
    assert receivers.nothing_received()


def test_without_the_state_db_it_alerts_anyway(receivers, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{blocker}/modelfleet.db")  # cannot be created
    alert()
    assert len(receivers.pagerduty.pagerduty()) == 1 and len(receivers.smtp.messages) == 1


def test_the_validation_report_and_the_log_tail_travel_with_the_alert(receivers, monkeypatch, tmp_path):
    state = tmp_path / "state"
    monkeypatch.setenv("MODELFLEET_HOME", str(state))
    report = state / "runs" / "acme__fraud" / DS / "validation_report.json"
    report.parent.mkdir(parents=True)
    report.write_text(json.dumps({"data": "tx/2026-11-19.parquet", "passed": False, "rows": 1000, "quality_score": 0.8,
                                  "violations": [{"column": "amount", "check": "max 1000", "count": 200, "example": 5000}]}))
    logs = tmp_path / "logs"
    monkeypatch.setenv("AIRFLOW__LOGGING__BASE_LOG_FOLDER", str(logs))
    attempt = logs / "dag_id=acme__fraud" / f"run_id={RUN_ID}" / "task_id=train" / "attempt=3.log"
    attempt.parent.mkdir(parents=True)
    attempt.write_text("\n".join(json.dumps({"level": "info", "event": f"step {i}"}) for i in range(30))
                       + "\n" + json.dumps({"level": "error", "event": "Task failed with exception"}) + "\n")
    alert()
    details = receivers.pagerduty.pagerduty()[0]["payload"]["custom_details"]
    assert details["last_lines_from"] == "log"
    assert details["last_lines"][-2:] == ["info: step 29", "error: Task failed with exception"] and len(details["last_lines"]) == 20
    assert details["validation_report"] == {
        "path": str(report), "data": "tx/2026-11-19.parquet", "passed": False, "rows": 1000, "quality_score": 0.8,
        "violations": 1, "first_violations": ["amount: max 1000 (200 rows)"]}
    assert "amount: max 1000 (200 rows)" in json.dumps(receivers.slack.slack()[0]["blocks"])
    assert "max 1000" in receivers.smtp.messages[0][0].get_body(("html",)).get_content()


def test_log_text_is_not_rendered_as_a_template(receivers):
    alert(exc=ValueError("bad value {{ ti.task_id }} {% if %}"))
    assert "{{ ti.task_id }} {% if %}" in receivers.slack.slack()[0]["blocks"][0]["text"]["text"]
