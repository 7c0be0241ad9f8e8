"""Alert latency: a failing task's end to each receiver's receipt of its alert.

The task's end is the time its log records the failure (`Task failed with exception`, written by the task
runner as the exception ends execute(), just before it sets end_date and runs the failure callbacks). The
end_date the API reports is later: the supervisor records it when the task process has exited, after the
callbacks have already sent (it read up to 5 s after the receipts here), so it would give negative latencies.

Real failures on the embedded default (`modelfleet up`: scheduler, LocalExecutor, a task process per
task, connections read through the task SDK): one DAG of a critical-tier team whose tasks each fail at
once (AirflowFailException), chained with `all_done` so they fail one after another, not all together.
Each task's failure callbacks run in its own task process and send to real receivers on loopback: an HTTP
server (Slack webhook), an HTTPS server (PagerDuty Events API v2) and aiosmtpd (e-mail).

    .venv/bin/python -m tests.benchmarks.run --only alerts
    .venv/bin/python -m tests.benchmarks.alert_latency 24
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DAG_ID = "bench__alerts"
HEADING = "## Alert latency"

DAG_FILE = '''
"""Alert latency benchmark (tests/benchmarks/alert_latency.py): {n} tasks that fail at once, one after another."""
from airflow.sdk import DAG, TriggerRule, task
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.dag_factory.defaults import START_DATE, default_args
from modelfleet.specs.tenant import TenantSpec

TENANT = TenantSpec(id="bench", name="Alert benchmark", owners=["@bench"], priority_tier="critical", data_root="bench",
                    alerts={{"slack_conn_id": "bench_slack", "pagerduty_conn_id": "bench_pagerduty",
                             "email": ["oncall@bench.example"]}})

with DAG("{dag_id}", schedule=None, start_date=START_DATE, default_args=default_args(TENANT, TENANT.owners, retries=0)):
    previous = None
    for i in range({n}):
        @task(task_id=f"fail_{{i:02d}}", trigger_rule=TriggerRule.ALL_DONE)
        def fail():
            raise AirflowFailException("injected failure for the alert latency benchmark")

        current = fail()
        if previous is not None:
            previous >> current
        previous = current
'''


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _failed_at(home: Path, task_id: str, run_id: str) -> float | None:
    """When the task runner logged the task's failure (UNIX seconds), from the try's JSON log file."""
    path = home / "airflow" / "logs" / f"dag_id={DAG_ID}" / f"run_id={run_id}" / f"task_id={task_id}" / "attempt=1.log"
    for line in path.read_text().splitlines() if path.exists() else []:
        record = json.loads(line) if line.startswith("{") else {}
        if record.get("event") == "Task failed with exception":
            return datetime.fromisoformat(record["timestamp"].replace("Z", "+00:00")).timestamp()
    return None


def measure(failures: int = 24, timeout: float = 600.0) -> dict[str, Any]:
    """Run `failures` failing tasks on a fresh embedded platform; latencies per channel, in seconds."""
    from tests.support.alert_receivers import HttpAlertReceiver, SmtpAlertReceiver, connections
    from tests.support.gpu_fleet import free_port

    slack, pagerduty, smtp = HttpAlertReceiver(), HttpAlertReceiver(tls=True), SmtpAlertReceiver()
    for receiver in (slack, pagerduty, smtp):
        receiver.start()
    with tempfile.TemporaryDirectory(prefix="alert-bench-") as tmp:
        dags = Path(tmp) / "dags"
        dags.mkdir()
        (dags / "alert_bench.py").write_text(DAG_FILE.format(n=failures, dag_id=DAG_ID))
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
               **connections(slack, pagerduty, smtp, "bench"),
               "MODELFLEET_HOME": f"{tmp}/home", "MODELFLEET_DAGS_FOLDER": str(dags), "MODELFLEET_DAG_REFRESH": "5",
               "MODELFLEET_API_PORT": str(free_port()), "MODELFLEET_MLFLOW_PORT": str(free_port()),
               "MODELFLEET_SERVING_PORT": str(free_port()), "MODELFLEET_OTLP_PORT": str(free_port())}
        api = _api(env)

        def cli(*args: str) -> None:
            out = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                                 capture_output=True, text=True, timeout=900)
            if out.returncode:
                raise RuntimeError(f"modelfleet {' '.join(args)}: {out.stdout[-2000:]}{out.stderr[-2000:]}")

        cli("up")
        try:
            deadline = time.monotonic() + timeout
            while DAG_ID not in api.dag_ids():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{DAG_ID} not parsed")
                time.sleep(1)
            run_id = "alert_bench"
            api.trigger(DAG_ID, run_id, None)
            if api.paused_by_dag().get(DAG_ID):
                api.set_paused(DAG_ID, False)
            while (run := api.get_run(DAG_ID, run_id)) is None or run["state"] not in ("success", "failed"):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{DAG_ID} {run_id} did not finish")
                time.sleep(1)
            time.sleep(2)  # the last task's callbacks may still be sending when the run is marked failed
            tis = {ti["task_id"]: ti for ti in api.task_instances(run_id) if ti["dag_id"] == DAG_ID}
            ended = {t: _failed_at(Path(env["MODELFLEET_HOME"]), t, run_id) for t, ti in tis.items() if ti["state"] == "failed"}
        finally:
            cli("down")
            for receiver in (slack, pagerduty, smtp):
                receiver.stop()
    receipts: dict[str, dict[str, float]] = {"slack": {}, "pagerduty": {}, "email": {}}
    for r in slack.received:
        receipts["slack"][_task_of(r.body["text"])] = r.at
    for r in pagerduty.received:
        receipts["pagerduty"][r.body["payload"]["component"].split(".", 1)[1]] = r.at
    for message, _, at in smtp.messages:
        receipts["email"][_task_of(message["Subject"])] = at
    failed = {t: at for t, at in ended.items() if at is not None}
    latencies = {channel: [got[t] - failed[t] for t in sorted(failed) if t in got] for channel, got in receipts.items()}
    return {"failures": len(failed), "tasks": failures, "latencies": latencies,
            "missing": {c: sorted(set(failed) - set(got)) for c, got in receipts.items()},
            "load": os.getloadavg()[0]}


def _task_of(title: str) -> str:
    """`[critical] bench: bench__alerts.fail_03 failed (...)` -> `fail_03`."""
    return title.split(f"{DAG_ID}.", 1)[1].split(" ", 1)[0]


def _api(env: dict[str, str]) -> Any:
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    return AirflowApi(EmbeddedConfig(Path(env["MODELFLEET_HOME"]), int(env["MODELFLEET_API_PORT"]),
                                     int(env["MODELFLEET_MLFLOW_PORT"]), 4, False))


def markdown(result: dict[str, Any]) -> str:
    rows = []
    for channel, label in (("pagerduty", "PagerDuty (Events API v2, HTTPS)"), ("slack", "Slack (incoming webhook)"),
                           ("email", "e-mail (SMTP)")):
        values = result["latencies"][channel]
        if not values:
            rows.append(f"| {label} | 0 | – | – | – |")
            continue
        rows.append(f"| {label} | {len(values)} | {statistics.median(values):.2f} s | {_percentile(values, 0.95):.2f} s "
                    f"| {max(values):.2f} s |")
    missing = {c: m for c, m in result["missing"].items() if m}
    return (
        f"{HEADING}\n\n"
        f"A failing task's end (the task runner's `Task failed with exception` log record, just before Airflow sets its "
        f"end_date and runs the failure callbacks) to the receiver's receipt of its alert, over {result['failures']} real task "
        "failures on the embedded default (scheduler, LocalExecutor, one task process per task) of a critical-tier team "
        "routed to all three channels. The tasks fail one after another (chained, `all_done`); the failure callbacks run "
        "in the task process and send in order PagerDuty, Slack, e-mail, so each channel's figure includes the ones "
        "before it (and the dead-letter record, which is written first). Receivers on loopback: an HTTP server, an HTTPS "
        "server and aiosmtpd. Command: `.venv/bin/python -m tests.benchmarks.run --only alerts`.\n\n"
        "| channel | alerts | median | p95 | max |\n|---|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n"
        + (f"\nNot received: {json.dumps(missing)}\n" if missing else "")
        + f"\nLoad average {result['load']:.1f} on the machine when the run ended (other work shares it). The seeds ask "
        "for alerts under 5 minutes.\n"
    )


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 24), indent=2))
