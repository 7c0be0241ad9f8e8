"""The celery mode for real: PostgreSQL, Redis, Airflow on CeleryExecutor, a cpu worker and a gpu worker per
host of infra/capacity.yaml, all on loopback under one temporary MODELFLEET_HOME with free ports.

One platform for the module (`modelfleet run` starts it, as in the embedded e2e); the fault test starts
its own and must leave nothing behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from support.gpu_fleet import free_port
from support.platform_processes import processes_with_home

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "tests" / "support" / "celery_dags"
"""The fleet plus `celery__cheap` (cpu step -> gpu step) and `celery__slow` (one long cpu step with retries)."""
CONCURRENT_RUNS = 50
HEARTBEAT_TIMEOUT = 45
"""Seconds without a heartbeat before the scheduler fails (and retries) a task whose worker was killed."""
PIPELINE = "payments__card_fraud"
"""CPU stages, xgboost training on `cpu`, and a torch MLP challenger on one a10g GPU: both worker kinds in one DAG."""
FLEET_SAMPLE = [PIPELINE, "lending__application_default", "discovery__home_feed_ranker", "retention__churn_propensity",
                "supplychain__demand_forecast_nn"]
"""One pipeline per tenant, run together: CPU and GPU trainers, xgboost and torch, ranking, forecasting, and a
partitioned (mapped) trainer."""
LOGICAL_DATE = "2026-11-20"
CPU_WORKER = "cpu@modelfleet"

pytestmark = pytest.mark.slow


def _installed() -> None:
    check = subprocess.run(["bash", str(REPO / "infra/celery/install.sh"), "--check"], capture_output=True, text=True)
    assert check.returncode == 0, f"{check.stderr.strip()} (scripts/install.sh installs them as root)"


def _environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "MODELFLEET_HOME": str(home), "MODELFLEET_MODE": "celery", "COLUMNS": "200",
           "MODELFLEET_DAGS_FOLDER": str(DAGS), "MODELFLEET_TASK_HEARTBEAT_TIMEOUT": str(HEARTBEAT_TIMEOUT)}
    for variable in ("MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT",
                     "MODELFLEET_PG_PORT", "MODELFLEET_REDIS_PORT"):
        env[variable] = str(free_port())
    for variable in ("MODELFLEET_TRACING", "MODELFLEET_OTLP_ENDPOINT", "MODELFLEET_DB_URL", "MODELFLEET_GPU_DEVICES",
                     "AIRFLOW_HOME", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env.pop(variable, None)
    return env


def _home() -> Path:
    """A state folder the `postgres` user can reach (pytest's tmp folders are closed to other users)."""
    base = Path(tempfile.mkdtemp(prefix="modelfleet-celery-"))
    base.chmod(0o755)
    return base / "home"


def cli(env: dict[str, str], *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def celery_platform() -> Iterator[tuple[Path, dict[str, str]]]:
    _installed()
    home = _home()
    env = _environment(home)
    try:
        yield home, env
    finally:
        cli(env, "down", timeout=180)
        shutil.rmtree(home.parent, ignore_errors=True)


def _config(env: dict[str, str]):
    from modelfleet.runtime.config import EmbeddedConfig

    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            if key.startswith("MODELFLEET_"):
                patch.setenv(key, value)
        return EmbeddedConfig.from_env()


@pytest.mark.parametrize(("folder", "named", "stopped"), [
    pytest.param("postgres", "PostgreSQL exited at start", [], id="postgres"),
    pytest.param("redis", "Redis exited at start", ["postgres"], id="redis-after-postgres-started"),
])
def test_a_service_that_cannot_start_is_named_and_nothing_is_left_running(folder: str, named: str, stopped: list[str]) -> None:
    """The service's folder is a file, so it cannot start: `up` names it, its log and how to start it, and stops
    what it had started (PostgreSQL, when Redis is the one that fails); no process of the home remains."""
    _installed()
    home = _home()
    env = _environment(home)
    try:
        home.mkdir(parents=True)
        (home / folder).write_text("not a folder")
        result = cli(env, "up", timeout=300)
        out = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 1, out
        variable = "MODELFLEET_PG_PORT" if folder == "postgres" else "MODELFLEET_REDIS_PORT"
        assert named in out and "infra/celery/install.sh" in out and variable in out, out
        for name in stopped:
            assert f"stopped {name} (start-up failed)" in out, out
        assert "started scheduler" not in out
        assert processes_with_home(home) == []
        assert not (home / "mode").exists()
    finally:
        cli(env, "down", timeout=120)
        shutil.rmtree(home.parent, ignore_errors=True)


def test_every_tenants_pipeline_runs_on_celery_gpu_work_on_gpu_workers_cpu_work_on_the_cpu_worker(celery_platform) -> None:
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.specs.loader import load_fleet

    home, env = celery_platform
    result = cli(env, "run", "--date", LOGICAL_DATE, "--timeout", "900", *[a for p in FLEET_SAMPLE for a in ("--pipeline", p)])
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"{len(FLEET_SAMPLE)} of {len(FLEET_SAMPLE)} pipelines succeeded" in out
    config = _config(env)
    health = httpx.get(f"{config.api_url}/api/v2/monitor/health", timeout=10).json()
    assert {k: v["status"] for k, v in health.items()} == {
        "metadatabase": "healthy", "scheduler": "healthy", "triggerer": "healthy", "dag_processor": "healthy"}
    tis = [t for t in AirflowApi(config).task_instances(f"modelfleet__{LOGICAL_DATE}") if t["dag_id"] in FLEET_SAMPLE]
    ran = [t for t in tis if t["queued_when"] is not None and t["state"] != "skipped"]
    assert {t["dag_id"] for t in ran} == set(FLEET_SAMPLE)
    assert ran and all(t["state"] == "success" for t in ran), [(t["dag_id"], t["task_id"], t["state"]) for t in ran]
    gpu_workers = {w.celery_hostname for w in config.gpu_workers()}
    gpu = [t for t in ran if t["queue"] == "gpu"]
    cpu = [t for t in ran if t["queue"] != "gpu"]
    specs = {p.dag_id: p.model for p in load_fleet().pipelines}
    assert {t["dag_id"] for t in gpu} == {d for d in FLEET_SAMPLE if specs[d].gpu_requests}  # 3 of the 5 train on GPUs
    assert ("payments__card_fraud", "train_mlp_challenger") in {(t["dag_id"], t["task_id"]) for t in gpu}
    assert all(t["hostname"] in gpu_workers for t in gpu), [(t["task_id"], t["hostname"]) for t in gpu]
    assert {t["queue"] for t in cpu} == {"cpu"} and {t["hostname"] for t in cpu} == {CPU_WORKER}, \
        [(t["task_id"], t["queue"], t["hostname"]) for t in cpu]
    for dag_id in FLEET_SAMPLE:
        assert {"validate_data", "build_features", "evaluate", "register"} <= {t["task_id"] for t in ran if t["dag_id"] == dag_id}
    print(f"\nfleet sample on Celery: {len(FLEET_SAMPLE)} DAG runs, {len(ran)} task instances, 0 failed; "
          f"{len(gpu)} on gpu workers {sorted({t['hostname'] for t in gpu})}, {len(cpu)} on {CPU_WORKER}")


def test_gpu_leases_live_in_postgres_and_the_audit_passes(celery_platform) -> None:
    import psycopg2

    home, env = celery_platform
    config = _config(env)
    assert not (home / "modelfleet.db").exists()  # the platform's tables are not in the SQLite file
    connection = psycopg2.connect(config.pg_url("modelfleet").replace("postgresql+psycopg2", "postgresql"))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT host, task_id, end_reason FROM gpu_leases WHERE dag_id = %s", (PIPELINE,))
            leases = cursor.fetchall()
    finally:
        connection.close()
    assert leases and {task for _, task, _ in leases} == {"train_mlp_challenger"}
    assert all(reason == "released" for _, _, reason in leases), leases
    # The lease's host is the host of the gpu worker that ran the task (MODELFLEET_GPU_HOST of that worker).
    assert {host for host, _, _ in leases} <= {w.host for w in config.gpu_workers()}
    audit = cli(env, "gpus", "audit", timeout=120)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "no conflicts" in audit.stdout


def _api(env: dict[str, str]):
    from modelfleet.runtime.api_client import AirflowApi
    from modelfleet.runtime.fleet_run import wait_for_dags

    up = cli(env, "up", timeout=600)  # idempotent: already up after the pipeline test
    assert up.returncode == 0, up.stdout + up.stderr
    api = AirflowApi(_config(env))
    wait_for_dags(api, {"celery__cheap", "celery__slow"})
    return api


def _run_states(api, dag_id: str, run_ids: list[str]) -> dict[str, str]:
    runs = api._pages(f"/dags/{dag_id}/dagRuns", "dag_runs", {})
    return {r["dag_run_id"]: r["state"] for r in runs if r["dag_run_id"] in run_ids}


def _redis_queue_length(config, queue: str) -> int:
    import redis

    return int(redis.Redis(host="127.0.0.1", port=config.redis_port, password=config.secret("redis_password")).llen(queue))


def test_fifty_concurrent_runs_complete_while_redis_restarts_with_tasks_queued(celery_platform) -> None:
    """50 runs of a cpu -> gpu DAG at once; Redis is stopped and started again while tasks wait in its `cpu` queue
    (more than the cpu worker's slots): every run succeeds, each step on its own kind of worker."""
    import time

    from modelfleet.runtime import platform, processes

    home, env = celery_platform
    api = _api(env)
    config = _config(env)
    run_ids = [f"load__{i:03d}" for i in range(CONCURRENT_RUNS)]
    started = time.monotonic()
    for i, run_id in enumerate(run_ids):
        api.trigger("celery__cheap", run_id, f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}+00:00")
    deadline = time.monotonic() + 120
    while (waiting := _redis_queue_length(config, "cpu")) < 5 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert waiting >= 5, "no task messages waiting in Redis to test the restart with"
    assert processes.stop(config.pid_dir, "redis")
    platform.start_component(config, "redis")
    platform.wait_services(config)
    after = _redis_queue_length(config, "cpu")
    assert after > 0, f"{waiting} messages queued before the Redis restart, none after"
    states: dict[str, str] = {}
    while time.monotonic() < started + 420:
        states = _run_states(api, "celery__cheap", run_ids)
        if len(states) == CONCURRENT_RUNS and all(s in ("success", "failed") for s in states.values()):
            break
        time.sleep(3)
    wall = time.monotonic() - started
    failed = sorted(r for r, s in states.items() if s != "success")
    assert not failed and len(states) == CONCURRENT_RUNS, f"not successful after {wall:.0f}s: {failed[:10]}"
    tis = [t for t in api._pages("/dags/celery__cheap/dagRuns/~/taskInstances", "task_instances", {})
           if t["dag_run_id"] in run_ids]
    assert len(tis) == 2 * CONCURRENT_RUNS
    assert {t["hostname"] for t in tis if t["task_id"] == "cpu_step"} == {CPU_WORKER}
    assert {t["hostname"] for t in tis if t["task_id"] == "gpu_step"} <= {w.celery_hostname for w in config.gpu_workers()}
    print(f"\n{CONCURRENT_RUNS} concurrent runs: all succeeded in {wall:.0f}s; "
          f"{waiting} cpu messages queued in Redis at its restart, {after} after")


def test_a_worker_killed_mid_task_loses_no_run(celery_platform) -> None:
    """kill -9 of the cpu worker's whole process group (worker, pool, task) while a task runs: the scheduler fails
    the silent try after the heartbeat timeout, and the retry runs on the restarted worker to success."""
    import signal
    import time

    from modelfleet.runtime import processes

    home, env = celery_platform
    api = _api(env)
    config = _config(env)
    run_id = "kill__001"
    api.trigger("celery__slow", run_id, "2026-02-01T00:00:00+00:00")
    deadline = time.monotonic() + 180
    ti: dict = {}
    while time.monotonic() < deadline:
        ti = api.request("GET", f"/dags/celery__slow/dagRuns/{run_id}/taskInstances/long_step")
        if ti["state"] == "running":
            break
        time.sleep(1)
    assert ti.get("state") == "running" and ti["hostname"] == CPU_WORKER, ti
    time.sleep(3)
    pid = processes.read_pid(config.pid_dir, "worker-cpu")
    os.killpg(pid, signal.SIGKILL)
    killed = time.monotonic()
    up = cli(env, "up", timeout=600)  # restarts what is not running: the cpu worker
    assert up.returncode == 0 and "starting the rest: worker-cpu" in " ".join(up.stdout.split()), up.stdout + up.stderr
    state = None
    while time.monotonic() < killed + HEARTBEAT_TIMEOUT + 240:
        state = (api.get_run("celery__slow", run_id) or {}).get("state")
        if state in ("success", "failed"):
            break
        time.sleep(3)
    ti = api.request("GET", f"/dags/celery__slow/dagRuns/{run_id}/taskInstances/long_step")
    assert state == "success", ti
    assert ti["try_number"] >= 2 and ti["hostname"] == CPU_WORKER, ti
    print(f"\nworker killed mid-task: the run succeeded on try {ti['try_number']}, "
          f"{time.monotonic() - killed:.0f}s after the kill")


def test_down_stops_every_process_of_the_celery_mode(celery_platform) -> None:
    home, env = celery_platform
    result = cli(env, "down", timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("postgres", "redis", "worker-cpu", "scheduler", "api-server"):
        assert f"stopped {name}" in result.stdout
    assert processes_with_home(home) == []
