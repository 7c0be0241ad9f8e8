"""Chaos on the embedded platform, with real processes: kill -9 the scheduler mid-run, kill -9 a training task,
and a task that fails twice before it succeeds. One platform is started for the module (tests/support/chaos_dags:
the fleet's pipelines plus two small DAGs); pipelines are the small lending ones (~15 s of training)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from support.mlflow_server import free_port

REPO = Path(__file__).resolve().parents[2]
CHAOS_DAGS = REPO / "tests" / "support" / "chaos_dags"
DAY = "2026-11-22"
GOOD, BAD = "lending__application_default", "lending__collections_cure"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def platform_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    home = tmp_path_factory.mktemp("chaos") / "home"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}, "MODELFLEET_HOME": str(home),
           "MODELFLEET_API_PORT": str(free_port()), "MODELFLEET_MLFLOW_PORT": str(free_port()),
           "MODELFLEET_SERVING_PORT": str(free_port()), "MODELFLEET_OTLP_PORT": str(free_port()), "MODELFLEET_DAGS_FOLDER": str(CHAOS_DAGS), "COLUMNS": "200"}
    env.pop("MODELFLEET_DB_URL", None)
    started = cli(env, "up", timeout=600)
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    yield env
    cli(env, "down", timeout=120)


def cli(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@contextmanager
def _patched(env: dict[str, str]) -> Iterator[None]:
    """Point this process at the platform (its home, ports and database) for a block."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("MODELFLEET_HOME", "MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT"):
            patch.setenv(key, env[key])
        patch.delenv("MODELFLEET_DB_URL", raising=False)
        yield


def api(env: dict[str, str]) -> Any:
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.config import EmbeddedConfig

    with _patched(env):
        return AirflowApi(EmbeddedConfig.from_env())


def wait_until(check: Any, timeout: float, what: str, poll: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"not within {timeout:.0f}s: {what}")


def finished_run(client: Any, dag_id: str, run_id: str, timeout: float = 600) -> dict[str, Any]:
    return wait_until(lambda: (r := client.get_run(dag_id, run_id)) and r["state"] in ("success", "failed") and r,
                      timeout, f"{dag_id} {run_id} finished", poll=2.0)


def tries(client: Any, dag_id: str, run_id: str, task_id: str) -> list[dict[str, Any]]:
    found = client.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/tries")["task_instances"]
    return sorted(found, key=lambda t: t["try_number"])


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_flaky_task_succeeds_on_its_third_try_after_growing_delays(platform_env) -> None:
    client = api(platform_env)
    from modelfleet.runtime.fleet_run import wait_for_dags

    wait_for_dags(client, {"chaos__flaky", "chaos__gpu_train", GOOD, BAD})
    client.trigger("chaos__flaky", "flaky", "2026-11-22T00:00:00+00:00")
    assert finished_run(client, "chaos__flaky", "flaky", timeout=300)["state"] == "success"
    history = tries(client, "chaos__flaky", "flaky", "flaky")
    assert [(t["try_number"], t["state"]) for t in history] == [(1, "failed"), (2, "failed"), (3, "success")]
    gaps = [(ts(later["start_date"]) - ts(earlier["end_date"])).total_seconds() for earlier, later in zip(history, history[1:])]
    assert gaps[0] >= 3 and gaps[1] >= 6  # never before the backoff: 3 s * 2^(try-1) at least
    assert gaps[1] > gaps[0]


def test_a_training_task_killed_mid_training_is_retried_and_its_gpu_lease_recovered(platform_env) -> None:
    from sqlalchemy import select

    from modelfleet import state_db
    from modelfleet.scheduling.audit import audit

    client = api(platform_env)
    client.trigger("chaos__gpu_train", "kill-train", "2026-11-22T00:00:00+00:00")
    with _patched(platform_env):
        engine = state_db.engine()
        leases = state_db.gpu_leases

        def open_lease() -> Any:
            with engine.connect() as conn:
                return conn.execute(select(leases).where(leases.c.dag_id == "chaos__gpu_train", leases.c.released_at.is_(None))).first()

        held = wait_until(open_lease, 300, "the training task holds its lease")
        os.kill(held.holder_pid, signal.SIGKILL)  # the task process itself, mid-"training"
        assert finished_run(client, "chaos__gpu_train", "kill-train", timeout=300)["state"] == "success"
        with engine.connect() as conn:
            rows = list(conn.execute(select(leases).where(leases.c.dag_id == "chaos__gpu_train").order_by(leases.c.id)))
        report = audit(engine=engine)
    history = tries(client, "chaos__gpu_train", "kill-train", "train")
    assert [(t["try_number"], t["state"]) for t in history] == [(1, "failed"), (2, "success")]
    first = [r for r in rows if r.try_number == 1]
    second = [r for r in rows if r.try_number == 2]
    # Try 2 needs every a100, so it could only lease them once the dead holder's lease had expired and was recovered.
    assert [r.end_reason for r in first] == ["expired", "expired"] and {r.holder_pid for r in first} == {held.holder_pid}
    assert [r.end_reason for r in second] == ["released", "released"]
    assert {(r.host, r.device) for r in first} == {(r.host, r.device) for r in second}
    assert min(r.acquired_at for r in second) >= max(r.released_at for r in first)
    assert report.ok, report.conflicts


def test_kill_9_of_the_scheduler_mid_run_loses_no_run_no_dead_letter_and_duplicates_no_version(platform_env) -> None:
    """Two pipelines run for DAY: one trains, one has data too small to train on (dead-lettered at once). The
    scheduler's process group is killed while the first trains; once Airflow sees the scheduler dead, `modelfleet up`
    restarts it: the killed task is run again, both runs finish, one version, one dead-letter entry."""
    from modelfleet import dead_letters
    from modelfleet.runtime.fleet_run import run_id_for, start_runs

    env = platform_env
    client = api(env)
    with _patched(env):
        land(BAD, rows=20)
        land(GOOD, rows=None)
    run_id = run_id_for(date.fromisoformat(DAY))
    start_runs(client, [GOOD, BAD], date.fromisoformat(DAY))

    def training() -> bool:
        return any(t["task_id"] == "train" and t["dag_id"] == GOOD and t["state"] == "running" for t in client.task_instances(run_id))

    wait_until(training, 600, f"{GOOD} trains")
    home = Path(env["MODELFLEET_HOME"])
    os.killpg(int((home / "pids" / "scheduler.pid").read_text()), signal.SIGKILL)
    wait_until(lambda: client.health()["scheduler"]["status"] == "unhealthy", 120, "Airflow sees the scheduler dead")
    restarted = cli(env, "up", timeout=300)
    assert "starting the rest: scheduler" in " ".join(restarted.stdout.split()), restarted.stdout

    assert finished_run(client, GOOD, run_id)["state"] == "success"
    assert finished_run(client, BAD, run_id)["state"] == "failed"
    assert max(t["try_number"] for t in tries(client, GOOD, run_id, "train")) >= 2  # the killed try was run again
    from mlflow import MlflowClient

    uri = f"http://127.0.0.1:{env['MODELFLEET_MLFLOW_PORT']}"
    versions = MlflowClient(tracking_uri=uri, registry_uri=uri).search_model_versions(f"name='{GOOD}'")
    assert [v.tags["logical_date"] for v in versions] == [DAY]
    with _patched(env):
        entries = dead_letters.entries(run_id=run_id)
    assert [(e.dag_id, e.task_id, e.error_class) for e in entries] == [(BAD, "validate_data", "permanent")]


def land(dag_id: str, rows: int | None) -> None:
    from modelfleet.io import rendered_data_path
    from modelfleet.runtime.landing import land as land_day
    from modelfleet.specs.loader import load_pipeline
    from modelfleet.training.base import import_string

    pipeline = load_pipeline(*dag_id.split("__", 1))
    target = Path(rendered_data_path(pipeline, DAY))
    target.unlink(missing_ok=True)
    if rows is None:
        assert land_day([pipeline], date.fromisoformat(DAY))
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    import_string(pipeline.model.data.generator)(date.fromisoformat(DAY), rows=rows).to_parquet(target, index=False)
