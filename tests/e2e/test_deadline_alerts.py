"""A pipeline run that outlives its spec's deadline fires the Deadline Alert in a real Airflow.

`dag.test()` never evaluates deadlines (Airflow 3.3.2 runs no scheduler loop
and no triggerer in it), so this starts the three components that do: the DAG
processor serialises the pipeline with its DeadlineAlert, the scheduler finds
the missed deadline and queues the callback, the triggerer awaits it. The DAG
is paused, so its run stays queued and no task (nor an API server) is needed:
a run that never started is the plainest deadline miss.
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from support.alert_receivers import HttpAlertReceiver

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "payments__card_fraud"

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver():
    http = HttpAlertReceiver()
    http.start()
    yield http
    http.stop()


@pytest.fixture
def airflow_env(tmp_path: Path, receiver: HttpAlertReceiver, monkeypatch: pytest.MonkeyPatch):
    """One tenant whose pipelines must finish 3 s after being queued; its Slack route is the receiver."""
    tenants = tmp_path / "tenants"
    shutil.copytree(REPO / "tenants" / "payments", tenants / "payments", ignore=shutil.ignore_patterns("__pycache__", "tests", "BUILD"))
    spec_file = tenants / "payments" / "tenant.yaml"
    spec_file.write_text(yaml.safe_dump({**yaml.safe_load(spec_file.read_text()), "monitoring": {"deadline": "3s"}}))
    dags = tmp_path / "dags"
    dags.mkdir()
    shutil.copy(REPO / "dags" / "tenants" / "payments.py", dags / "payments.py")
    for name, value in {
        "MODELFLEET_HOME": str(tmp_path / "state"), "MODELFLEET_TENANTS_DIR": str(tenants),
        "MODELFLEET_DAGS_FOLDER": str(dags), "MODELFLEET_SCHEDULES": "on",  # DAGs start paused: the run stays queued
        "MODELFLEET_DAG_REFRESH": "5",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MODELFLEET_DATA_ROOT", raising=False)
    from modelfleet.runtime.config import EmbeddedConfig

    config = EmbeddedConfig.from_env()
    env = config.environment()
    env["AIRFLOW_CONN_PAYMENTS_SLACK"] = json.dumps({"conn_type": "slackwebhook", "password": f"{receiver.url}/services/T0/B0/payments"})
    env["AIRFLOW__SCHEDULER__MP_START_METHOD"] = "fork"  # no forkserver preloading the training stack: no task runs here
    env["AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT"] = str(free_port())  # not 8793, which a running platform may hold
    config.airflow_home.mkdir(parents=True)
    subprocess.run([str(Path(sys.executable).parent / "airflow"), "db", "migrate"], env=env, check=True,
                   capture_output=True, timeout=300, cwd=REPO)
    yield config, env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def started(config, env: dict[str, str], names: tuple[str, ...]) -> list[str]:
    from modelfleet.runtime import processes

    for name in names:
        processes.start(processes.Component(name, [str(Path(sys.executable).parent / "airflow"), name]), env,
                        config.pid_dir, config.log_dir, REPO)
    return list(names)


def wait_for(what: str, check, timeout: float, config) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(1.0)
    logs = "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in sorted(config.log_dir.glob("*.log")))
    raise AssertionError(f"timed out waiting for {what}\n{logs}")


def query(database: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(database, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def test_a_run_past_its_deadline_alerts_the_team_and_is_recorded(airflow_env, receiver: HttpAlertReceiver) -> None:
    from modelfleet.monitoring import store
    from modelfleet.runtime import processes

    config, env = airflow_env
    airflow_db = config.airflow_home / "airflow.db"
    names = started(config, env, ("dag-processor", "scheduler", "triggerer"))
    try:
        wait_for("the pipeline's DeadlineAlert to be serialised",
                 lambda: query(airflow_db, "select 1 from deadline_alert da join serialized_dag sd on da.serialized_dag_id = sd.id "
                                           "where sd.dag_id = ?", DAG_ID), 180, config)
        subprocess.run([str(Path(sys.executable).parent / "airflow"), "dags", "trigger", DAG_ID, "--run-id", "late-run"],
                       env=env, check=True, capture_output=True, timeout=120, cwd=REPO)
        wait_for("the alert at the team's webhook", receiver.slack, 180, config)
        wait_for("the callback to finish", lambda: query(
            airflow_db, "select 1 from deadline d join callback c on d.callback_id = c.id where d.missed = 1 and c.state = 'success'"),
            60, config)
    finally:
        for name in reversed(names):
            processes.stop(config.pid_dir, name)

    [body] = receiver.slack()
    assert body["text"].startswith("[payments] ")
    assert f"deadline missed: {DAG_ID} run late-run is queued" in body["text"] and "0:00:03 after it was queued" in body["text"]
    [miss] = store.misses_since(0.0)
    assert (miss.tenant, miss.dag_id, miss.run_id, miss.interval_seconds, miss.alerted) == ("payments", DAG_ID, "late-run", 3.0, True)
    [(state, missed)] = query(airflow_db, "select dr.state, d.missed from deadline d join dag_run dr on d.dagrun_id = dr.id")
    assert (state, missed) == ("queued", 1)
