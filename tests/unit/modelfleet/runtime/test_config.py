"""The embedded platform's environment: SQLite busy timeouts and per-component settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from modelfleet.runtime.config import EmbeddedConfig


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedConfig:
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MODELFLEET_SCHEDULES", raising=False)
    return EmbeddedConfig.from_env()


def _busy_timeout(env: dict[str, str]) -> int:
    return int(parse_qs(urlparse(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).query)["timeout"][0])


def test_api_server_gives_up_on_the_sqlite_lock_before_the_scheduler_does(config: EmbeddedConfig) -> None:
    # A stand-off inside the API server lasts its busy timeout; the scheduler waits on the same lock meanwhile.
    api = _busy_timeout(config.component_environment("api-server"))
    assert api < _busy_timeout(config.component_environment("scheduler"))
    assert api < _busy_timeout(config.component_environment("triggerer"))
    assert config.component_environment("api-server")["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith(
        f"sqlite:///{config.airflow_home / 'airflow.db'}")


def test_only_the_tracking_server_turns_off_mlflow_jobs(config: EmbeddedConfig) -> None:
    assert config.component_environment("mlflow")["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"
    assert "MLFLOW_SERVER_ENABLE_JOB_EXECUTION" not in config.component_environment("scheduler")


@pytest.mark.parametrize(("schedules", "paused"), [("off", "False"), ("on", "True")])
def test_new_dags_start_paused_only_when_schedules_run(schedules: str, paused: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODELFLEET_SCHEDULES", schedules)
    assert EmbeddedConfig.from_env().environment()["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == paused


def test_scheduler_workers_start_from_a_fork_server_that_preloads_real_modules(config: EmbeddedConfig) -> None:
    import importlib.util

    env = config.component_environment("scheduler")
    assert env["AIRFLOW__SCHEDULER__MP_START_METHOD"] == "forkserver"
    preload = env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"].split(",")
    # multiprocessing skips a preload module it cannot import, silently: a misspelt name would just be slow.
    assert [m for m in preload if importlib.util.find_spec(m) is None] == []
    assert {"pandas", "mlflow.pyfunc", "feast"} <= set(preload)
    # Only the scheduler's workers: the DAG processor must stay free of these imports.
    assert "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD" not in config.component_environment("dag-processor")


def test_every_component_and_task_runs_without_mlflow_telemetry(config: EmbeddedConfig) -> None:
    for name in ("mlflow", "scheduler", "api-server", "triggerer", "dag-processor"):
        assert config.component_environment(name)["MLFLOW_DISABLE_TELEMETRY"] == "true"


def test_tasks_find_the_feast_connection_in_their_environment(config: EmbeddedConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelfleet.features.config import default_config_file
    from modelfleet.hooks.feast import FeastHook

    monkeypatch.delenv("MODELFLEET_FEAST_CONFIG", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_FEAST_DEFAULT", config.environment()["AIRFLOW_CONN_FEAST_DEFAULT"])
    connection = FeastHook.get_connection("feast_default")
    assert connection.extra_dejson["feature_store_yaml"] == str(default_config_file())
    assert FeastHook().config_file == default_config_file()
