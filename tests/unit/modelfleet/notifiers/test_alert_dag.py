"""Alerts from real Airflow task failures (dag.test against the session's metadata DB) to real receivers:
a retried try does not alert, a final failure alerts once per channel, a replay that succeeds resolves it,
and a pipeline failed by bad data carries its validation report."""

from __future__ import annotations

import importlib.util
import json
import os
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from modelfleet.notifiers import incidents
from modelfleet.notifiers.alert import dedup_key

pytestmark = pytest.mark.airflow_db

LOGICAL_DATE = datetime(2026, 11, 19, tzinfo=timezone.utc)
RUN_AFTER = datetime(2026, 11, 20, 1, 0, tzinfo=timezone.utc)
RUN_ID = f"manual__{RUN_AFTER.isoformat()}"
"""dag.test names its run after `run_after`: fixed, the replay below reruns the same task instances (same run id)."""

DAG_FILE = '''
"""Two tasks of tenant acme (tier high) with the platform's default_args: one that fails its first try only,
one that fails every try until the file named by ALERT_TEST_FIXED exists."""
import os
from datetime import timedelta
from pathlib import Path

from airflow.sdk import DAG, get_current_context, task

from modelfleet.dag_factory.defaults import START_DATE, default_args
from modelfleet.specs.tenant import TenantSpec

TENANT = TenantSpec(id="acme", name="Acme", owners=["@acme/ml"], priority_tier="high", data_root="acme",
                    alerts={"slack_conn_id": "acme_slack", "pagerduty_conn_id": "acme_pagerduty",
                            "email": ["oncall@acme.example"]})
NO_WAIT = {"retry_delay": timedelta(0), "retry_exponential_backoff": 0}

with DAG("acme__alerting", schedule=None, start_date=START_DATE,
         default_args=default_args(TENANT, TENANT.owners, retries=1)) as dag:

    @task(**NO_WAIT)
    def flaky():
        if get_current_context()["ti"].try_number == 1:
            raise TimeoutError("feature store timed out")

    @task(**NO_WAIT)
    def broken():
        if not Path(os.environ["ALERT_TEST_FIXED"]).exists():
            raise ConnectionError("model registry answered 503")

    flaky()
    broken()
'''


@pytest.fixture(scope="module")
def metadata_db() -> None:
    from airflow.utils.db import upgradedb

    upgradedb()


@pytest.fixture
def alerting_dag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The DAG above as a real DAG file in its own DAGs folder (dag.test syncs the folder's bundle)."""
    folder = tmp_path / "dags"
    folder.mkdir()
    (folder / "acme_alerting.py").write_text(DAG_FILE)
    monkeypatch.setattr("airflow.settings.DAGS_FOLDER", str(folder))  # read once, at import, by the bundle
    monkeypatch.setenv("ALERT_TEST_FIXED", str(tmp_path / "fixed"))
    spec = importlib.util.spec_from_file_location("acme_alerting", folder / "acme_alerting.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.dag


def states(run) -> dict[str, tuple[str, int]]:
    return {ti.task_id: (str(ti.state), ti.try_number) for ti in run.get_task_instances()}


def test_final_failure_alerts_once_and_a_successful_replay_resolves_it(metadata_db, receivers, alerting_dag, tmp_path):
    run = alerting_dag.test(logical_date=LOGICAL_DATE, run_after=RUN_AFTER)
    assert run.run_id == RUN_ID and states(run) == {"flaky": ("success", 2), "broken": ("failed", 2)}

    key = dedup_key("acme__alerting", "broken", RUN_ID)
    [trigger] = receivers.pagerduty.pagerduty()  # flaky's failed first try alerted nobody
    assert (trigger["event_action"], trigger["dedup_key"], trigger["payload"]["severity"]) == ("trigger", key, "error")
    details = trigger["payload"]["custom_details"]
    assert (details["try_number"], details["error_class"], details["error"]) == (
        2, "transient", "ConnectionError: model registry answered 503")
    assert details["log_url"].startswith("http://airflow.test:8080/dags/acme__alerting/runs/")
    assert details["log_url"].endswith("/tasks/broken?try_number=2")
    assert any("model registry answered 503" in line for line in details["last_lines"])
    [slack] = receivers.slack.slack()
    assert slack["text"].startswith("[error] acme: acme__alerting.broken failed (transient)") and "try 2" in slack["text"]
    assert [m["Subject"] for m, _, _ in receivers.smtp.messages] == [slack["text"]]

    (tmp_path / "fixed").write_text("")
    replay = alerting_dag.test(logical_date=LOGICAL_DATE, run_after=RUN_AFTER)  # the same run id, run again
    assert replay.run_id == RUN_ID and states(replay) == {"flaky": ("success", 2), "broken": ("success", 1)}

    assert [(e["event_action"], e["dedup_key"]) for e in receivers.pagerduty.pagerduty()] == [("trigger", key), ("resolve", key)]
    assert receivers.slack.slack()[1]["text"] == f"[resolved] acme: acme__alerting.broken succeeded again, run {RUN_ID}"
    assert [m["Subject"] for m, _, _ in receivers.smtp.messages][1].startswith("[resolved] acme: acme__alerting.broken")
    assert incidents.incident(key).status == incidents.RESOLVED
    assert incidents.incident(dedup_key("acme__alerting", "flaky", RUN_ID)) is None


def test_a_pipeline_failed_by_bad_data_alerts_with_its_validation_report(metadata_db, tmp_path, monkeypatch):
    """The payments pipeline (tier critical) on data with 20% bad rows: quality_alert fails the run."""
    from support.alert_receivers import HttpAlertReceiver, SmtpAlertReceiver, connections
    from support.tenant_copy import REPO, use_tenant_copy

    from modelfleet.dag_factory.pipeline import build_pipeline_dag
    from modelfleet.data_interval import start_of_day
    from modelfleet.io import rendered_data_path
    from modelfleet.specs.loader import load_pipeline
    from payments.datagen import card_transactions

    _, state = use_tenant_copy(tmp_path, monkeypatch)
    monkeypatch.setenv("AIRFLOW__CORE__DAGS_FOLDER", str(REPO / "dags"))
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'modelfleet.db'}")
    slack, pagerduty, smtp = HttpAlertReceiver(), HttpAlertReceiver(tls=True), SmtpAlertReceiver()
    for receiver in (slack, pagerduty, smtp):
        receiver.start()
    try:
        for name, value in connections(slack, pagerduty, smtp, "payments").items():
            monkeypatch.setenv(name, value)
        day = date(2026, 11, 18)
        pipeline = load_pipeline("payments", "card_fraud")
        target = Path(rendered_data_path(pipeline, day.isoformat()))
        target.parent.mkdir(parents=True, exist_ok=True)
        card_transactions(day, rows=1000, bad_rows=0.2).to_parquet(target, index=False)
        run = build_pipeline_dag(pipeline).test(
            logical_date=start_of_day(day), mark_success_pattern=r"^(build_features|train.*|evaluate|register|deploy)$")
    finally:
        for receiver in (slack, pagerduty, smtp):
            receiver.stop()

    assert str(run.state) == "failed"
    [event] = pagerduty.pagerduty()
    payload = event["payload"]
    assert (payload["severity"], payload["component"], payload["class"]) == ("critical", "payments__card_fraud.quality_alert", "permanent")
    report = payload["custom_details"]["validation_report"]
    assert report["path"] == str(state / "runs" / "payments__card_fraud" / day.isoformat() / "validation_report.json")
    assert report["violations"] > 0 and report["violations"] == len(json.loads(Path(report["path"]).read_text())["violations"])
    assert report["first_violations"] and "validation report" in json.dumps(slack.slack()[0]["blocks"])
    [(message, recipients, _)] = smtp.messages
    assert recipients == ["payments-ml@payments.example.com"] and os.path.basename(report["path"]) in message.get_body(("html",)).get_content()
