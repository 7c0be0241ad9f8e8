"""The celery mode's configuration: one switch changes the database, executor, broker and components;
a gpu worker whose devices disagree with infra/capacity.yaml is refused before it takes a task."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modelfleet.runtime import platform
from modelfleet.runtime.celery_worker import InventoryMismatch, check_inventory, declared_inventory
from modelfleet.runtime.config import EmbeddedConfig
from modelfleet.scheduling.capacity import load_capacity

REPO = Path(__file__).resolve().parents[4]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))
    for variable in ("MODELFLEET_MODE", "MODELFLEET_DB_URL", "MODELFLEET_GPU_DEVICES", "MODELFLEET_TRACING",
                     "MODELFLEET_OTLP_ENDPOINT", "MODELFLEET_CAPACITY_FILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MODELFLEET_PG_PORT", "25433")
    monkeypatch.setenv("MODELFLEET_REDIS_PORT", "26380")
    return tmp_path / "home"


def test_the_default_stays_embedded_on_sqlite_and_local_executor(home: Path) -> None:
    config = EmbeddedConfig.from_env()
    env = config.environment()
    assert config.mode == "embedded"
    assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("sqlite:///")
    assert "MODELFLEET_DB_URL" not in env and "AIRFLOW__CELERY__BROKER_URL" not in env
    assert not any(name in platform.components(config) for name in ("postgres", "redis", "worker-cpu"))


def test_celery_mode_is_postgres_redis_and_celery_executor(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELFLEET_MODE", "celery")
    config = EmbeddedConfig.from_env()
    env = config.environment()
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://modelfleet:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].endswith("@127.0.0.1:25433/airflow")
    assert env["AIRFLOW__CELERY__BROKER_URL"].endswith("@127.0.0.1:26380/0")
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg2://")
    assert env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == "cpu"
    assert env["MODELFLEET_DB_URL"].endswith("/modelfleet")
    assert config.mlflow_backend_uri.endswith("/mlflow")
    # The SQLite-only settings are gone: no forkserver preload in the scheduler, one URL for every component.
    assert "AIRFLOW__SCHEDULER__MP_START_METHOD" not in config.component_environment("scheduler")
    assert config.component_environment("api-server")["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]


def test_celery_components_start_services_first_and_one_gpu_worker_per_capacity_host(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELFLEET_MODE", "celery")
    config = EmbeddedConfig.from_env()
    names = platform.components(config)
    hosts = sorted(load_capacity().hosts)
    assert names[:2] == ("postgres", "redis")
    assert names[-1] == "quota-controller"
    assert [n for n in names if n.startswith("worker-gpu-")] == [f"worker-gpu-{h}" for h in hosts]
    assert names.index("api-server") < names.index("worker-cpu")
    argv = platform.component_argv(f"worker-gpu-{hosts[0]}", config)
    devices = sum(len(ids) for ids in load_capacity().hosts[hosts[0]].values())
    assert argv[argv.index("--queues") + 1] == "gpu" and argv[argv.index("--concurrency") + 1] == str(devices)
    cpu = platform.component_argv("worker-cpu", config)
    assert cpu[cpu.index("--queues") + 1] == "cpu,default"
    gpu_env = config.component_environment(f"worker-gpu-{hosts[0]}")
    assert gpu_env["MODELFLEET_GPU_HOST"] == hosts[0]
    assert gpu_env["MODELFLEET_WORKER_NAME"] == f"gpu-{hosts[0]}@modelfleet"
    assert config.component_environment("worker-cpu")["MODELFLEET_WORKER_NAME"] == "cpu@modelfleet"


def test_the_mode_up_started_is_followed_without_the_variable(home: Path) -> None:
    home.mkdir(parents=True)
    (home / "mode").write_text("celery")
    assert EmbeddedConfig.from_env().mode == "celery"


@pytest.mark.parametrize(("mode", "said"), [
    pytest.param("swarm", "use one of embedded, celery", id="unknown"),
    pytest.param("kubernetes", "the mode of the Helm deployment", id="kubernetes-is-helms"),
])
def test_a_mode_this_machine_cannot_run_is_refused(home: Path, monkeypatch: pytest.MonkeyPatch, mode: str, said: str) -> None:
    from modelfleet.runtime.errors import ConfigError

    monkeypatch.setenv("MODELFLEET_MODE", mode)
    with pytest.raises(ConfigError, match=said):
        EmbeddedConfig.from_env()


@pytest.mark.parametrize(("host", "devices", "problem"), [
    pytest.param("gpu-a10g-1", (0, 1, 2), "are not those", id="one-device-too-many"),
    pytest.param("gpu-a10g-1", (0,), "are not those", id="one-device-missing"),
    pytest.param("gpu-h100-9", (0, 1), "not a host of infra/capacity.yaml", id="unknown-host"),
])
def test_a_worker_whose_inventory_disagrees_with_capacity_is_refused(host: str, devices: tuple[int, ...], problem: str) -> None:
    with pytest.raises(InventoryMismatch, match=problem):
        check_inventory(host, devices, "MODELFLEET_GPU_DEVICES", load_capacity(REPO / "infra" / "capacity.yaml"))


def test_a_worker_with_the_declared_devices_passes() -> None:
    check_inventory("gpu-a10g-1", (0, 1), "MODELFLEET_GPU_DEVICES", load_capacity(REPO / "infra" / "capacity.yaml"))


def test_the_inventory_comes_from_the_variable_first() -> None:
    assert declared_inventory({"MODELFLEET_GPU_DEVICES": "1, 0"}) == ((0, 1), "MODELFLEET_GPU_DEVICES")
    with pytest.raises(InventoryMismatch, match="expected device ids"):
        declared_inventory({"MODELFLEET_GPU_DEVICES": "gpu0"})


def test_a_refused_gpu_worker_exits_before_starting_celery(home: Path) -> None:
    """The worker process itself: exit 3 and a message naming the host and both inventories; Celery never starts."""
    env = {**os.environ, "MODELFLEET_HOME": str(home), "MODELFLEET_GPU_HOST": "gpu-a100-1",
           "MODELFLEET_GPU_DEVICES": "0,1,2,3", "MODELFLEET_WORKER_PRELOAD": "off"}
    env.pop("MODELFLEET_CAPACITY_FILE", None)
    result = subprocess.run([sys.executable, "-m", "modelfleet.runtime.celery_worker", "--queues", "gpu", "--concurrency", "4"],
                            env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "gpu worker for gpu-a100-1 refused" in result.stderr
    assert "[0, 1, 2, 3]" in result.stderr and "[0, 1]" in result.stderr


def test_down_finds_and_stops_a_process_left_outside_its_group(tmp_path: Path) -> None:
    """A task process in a group of its own (as Airflow's supervisor makes it) is found by the platform's
    markers and stopped; this process and its ancestors never are."""
    from modelfleet.runtime import processes

    markers = [f"AIRFLOW_HOME={tmp_path}/airflow".encode(), f"MODELFLEET_HOME={tmp_path}".encode()]
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW_HOME": f"{tmp_path}/airflow", "MODELFLEET_HOME": str(tmp_path)}
    orphan = subprocess.Popen(["sleep", "60"], env=env, start_new_session=True)
    try:
        assert processes.strays(markers) == [orphan.pid]
        assert processes.stop_strays(markers, grace_seconds=5) == [orphan.pid]
        assert orphan.wait(timeout=10) != 0
        assert processes.strays(markers) == []
    finally:
        orphan.kill()
