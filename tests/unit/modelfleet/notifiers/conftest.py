"""Alert tests send to real receivers on loopback: an HTTP server (Slack webhook), an HTTPS server
(PagerDuty Events API) and aiosmtpd; the Airflow connections `acme_slack`, `acme_pagerduty` and `smtp_default` point at them,
and the incident state lives in a SQLite file of the test's own."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support.alert_receivers import HttpAlertReceiver, SmtpAlertReceiver, connections


@dataclass
class Receivers:
    slack: HttpAlertReceiver
    pagerduty: HttpAlertReceiver
    smtp: SmtpAlertReceiver
    db_url: str

    def nothing_received(self) -> bool:
        return not (self.slack.received or self.pagerduty.received or self.smtp.messages)


@pytest.fixture
def receivers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receivers]:
    slack, pagerduty, smtp = HttpAlertReceiver(), HttpAlertReceiver(tls=True), SmtpAlertReceiver()
    for receiver in (slack, pagerduty, smtp):
        receiver.start()
    for name, value in connections(slack, pagerduty, smtp, "acme").items():
        monkeypatch.setenv(name, value)
    db_url = f"sqlite:///{tmp_path / 'modelfleet.db'}"
    monkeypatch.setenv("MODELFLEET_DB_URL", db_url)
    monkeypatch.setenv("AIRFLOW__API__BASE_URL", "http://airflow.test:8080/")
    yield Receivers(slack, pagerduty, smtp, db_url)
    for receiver in (slack, pagerduty, smtp):
        receiver.stop()
