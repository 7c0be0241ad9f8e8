"""The embedded platform's environment: SQLite busy timeouts and per-component settings."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from modelfleet.runtime.config import EmbeddedConfig


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> EmbeddedConfig:
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "home"))
    for variable in ("MODELFLEET_SCHEDULES", "MODELFLEET_TRACING", "MODELFLEET_OTLP_PORT", "MODELFLEET_OTLP_ENDPOINT",
                     "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"):
        monkeypatch.delenv(variable, raising=False)
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


TRACING_VARIABLES = ("AIRFLOW__TRACES__OTEL_ON", "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                     "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_SERVICE_NAME")
EVERY_COMPONENT = ("trace-receiver", "mlflow", "model-server", "scheduler", "dag-processor", "triggerer", "api-server",
                   "spec-watcher", "quota-controller")


def test_tracing_is_on_by_default_in_every_component_and_kept_by_the_platform_s_own_receiver(
        config: EmbeddedConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelfleet.runtime import platform

    monkeypatch.setenv("MODELFLEET_OTLP_PORT", "14318")
    config = EmbeddedConfig.from_env()
    expected = {"AIRFLOW__TRACES__OTEL_ON": "True", "OTEL_TRACES_EXPORTER": "otlp_proto_http",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:14318/v1/traces",
                "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "2", "OTEL_SERVICE_NAME": "modelfleet"}
    # The API server creates each run's trace context, the scheduler ends its root span, the tasks inherit the
    # scheduler's environment: all of them need it.
    for name in EVERY_COMPONENT:
        assert {k: config.component_environment(name)[k] for k in TRACING_VARIABLES} == expected, name
    assert platform.components(config)[0] == "trace-receiver"
    assert platform.component_argv("trace-receiver", config)[-4:] == [
        "--port", "14318", "--out", str(config.home / "traces" / "spans.jsonl")]


def test_with_the_receiver_down_a_task_s_flush_gives_up_within_seconds(config: EmbeddedConfig,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The exporter as Airflow builds it (by its entry-point name, from the environment), nothing listening:
    the flush every task process does at exit must not stall it (the SDK's default timeout: ~7 s)."""
    import socket
    import time
    from importlib.metadata import entry_points

    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setenv("MODELFLEET_OTLP_PORT", str(closed))
    for key, value in EmbeddedConfig.from_env().tracing_environment().items():
        monkeypatch.setenv(key, value)
    [exporter] = entry_points(group="opentelemetry_traces_exporter", name="otlp_proto_http")
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(exporter.load()()))
    provider.get_tracer(__name__).start_span("worker.train").end()
    started = time.monotonic()
    provider.force_flush()
    assert time.monotonic() - started < 4
    provider.shutdown()


def test_an_export_timeout_of_the_caller_s_own_wins(config: EmbeddedConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "15")
    assert EmbeddedConfig.from_env().environment()["OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"] == "15"


@pytest.mark.parametrize("value", ["off", "OFF", "false", "0"])
def test_tracing_off_sets_nothing_and_runs_no_receiver(value: str, config: EmbeddedConfig, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelfleet.runtime import platform

    monkeypatch.setenv("MODELFLEET_TRACING", value)
    monkeypatch.setenv("MODELFLEET_OTLP_ENDPOINT", "http://collector:4318")  # off wins
    config = EmbeddedConfig.from_env()
    assert config.traces_endpoint is None
    for name in EVERY_COMPONENT:
        assert not set(TRACING_VARIABLES) & set(config.component_environment(name)), name
    assert "trace-receiver" not in platform.components(config)


@pytest.mark.parametrize(("endpoint", "expected"), [
    pytest.param("https://collector.example:4318/v1/traces", "https://collector.example:4318/v1/traces", id="full-url"),
    pytest.param("http://collector:4318", "http://collector:4318/v1/traces", id="base-url-gets-the-path"),
    pytest.param("http://collector:4318/", "http://collector:4318/v1/traces", id="base-url-slash"),
    pytest.param("http://gateway/otlp/traces", "http://gateway/otlp/traces", id="own-path-kept"),
])
def test_an_external_endpoint_replaces_the_platform_s_receiver(endpoint: str, expected: str, config: EmbeddedConfig,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from modelfleet.runtime import platform

    monkeypatch.setenv("MODELFLEET_OTLP_ENDPOINT", endpoint)
    config = EmbeddedConfig.from_env()
    assert config.component_environment("scheduler")["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == expected
    assert config.environment()["AIRFLOW__TRACES__OTEL_ON"] == "True"
    assert "trace-receiver" not in platform.components(config)


@pytest.mark.parametrize(("variable", "value"), [
    pytest.param("MODELFLEET_TRACING", "maybe", id="tracing-switch"),
    pytest.param("MODELFLEET_OTLP_ENDPOINT", "collector:4318", id="endpoint-without-scheme"),
])
def test_a_bad_tracing_setting_is_refused_with_the_variable_named(variable: str, value: str, config: EmbeddedConfig,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValueError, match=variable):
        EmbeddedConfig.from_env()
