"""infra/compose/docker-compose.yaml against the platform: its components, environment names, ports, GPU inventory
and image. Parsed only: no Docker engine runs here."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from support.k8s_render import REPO

COMPOSE = REPO / "infra" / "compose"

NOT_IN_COMPOSE = {"model-server": "binds 127.0.0.1 only (modelfleet.serving.server): unreachable from other containers"}
"""Platform components without a Compose service, and why."""

IMAGE_VARIABLES = {"DUMB_INIT_SETSID", "PYTHONPATH"}
"""Variables of the apache/airflow image and of Python rather than of Airflow or the platform."""

AIRFLOW_SERVICES = {"api-server", "scheduler", "dag-processor", "triggerer", "worker-cpu", "worker-gpu", "quota-controller",
                    "trace-receiver", "airflow-init"}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((COMPOSE / "docker-compose.yaml").read_text())


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The embedded platform's configuration with nothing overridden: its default ports and its environment's names."""
    from modelfleet.runtime.config import EmbeddedConfig

    for variable in ("MODELFLEET_API_PORT", "MODELFLEET_MLFLOW_PORT", "MODELFLEET_SERVING_PORT", "MODELFLEET_OTLP_PORT",
                     "MODELFLEET_OTLP_ENDPOINT", "MODELFLEET_TRACING"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "state"))
    return EmbeddedConfig.from_env()


def platform_variables() -> set[str]:
    """Every MODELFLEET_* name the platform's code reads (string literals in platform/modelfleet)."""
    found = set()
    for path in (REPO / "platform" / "modelfleet").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"MODELFLEET_[A-Z_]+", node.value):
                found.add(node.value)
    return found


def command_words(service: dict[str, Any]) -> list[str]:
    command = service.get("command", [])
    return command.split() if isinstance(command, str) else list(command)


def test_every_platform_component_is_a_service_running_the_same_command(compose: dict[str, Any], runtime: Any) -> None:
    from modelfleet.runtime.platform import AIRFLOW_COMPONENTS, COMPONENTS, component_argv

    services = compose["services"]
    assert set(COMPONENTS) - set(services) == set(NOT_IN_COMPOSE)
    assert {"postgres", "redis", "worker-cpu", "worker-gpu"} <= set(services)
    for name in set(COMPONENTS) - set(NOT_IN_COMPOSE):
        argv, words = component_argv(name, runtime), command_words(services[name])
        if name in AIRFLOW_COMPONENTS:  # the image's entrypoint runs `airflow <command>`
            assert words == argv[1:], name
        elif argv[1] == "-m":  # python -m <module> [args]
            assert words[:3] == ["python", "-m", argv[2]], name
        else:
            assert Path(argv[0]).name in " ".join(words), name


def test_environment_names_are_airflows_or_the_platforms(compose: dict[str, Any], runtime: Any) -> None:
    from airflow.configuration import conf

    described = conf.configuration_description
    embedded = set(runtime.environment())
    ours = platform_variables()
    for name in AIRFLOW_SERVICES:
        for variable in compose["services"][name].get("environment", {}):
            if match := re.fullmatch(r"AIRFLOW__([A-Z_]+?)__([A-Z_]+)", variable):
                section, option = match[1].lower(), match[2].lower()
                assert option in described.get(section, {}).get("options", {}), f"{name}: {variable} is no Airflow option"
            elif variable.startswith("MODELFLEET_"):
                assert variable in ours, f"{name}: {variable} is read nowhere in platform/modelfleet"
            else:
                assert variable in embedded | IMAGE_VARIABLES, f"{name}: {variable} is not a name the runtime sets"


def test_what_every_airflow_process_needs_is_set_as_the_runtime_sets_it(compose: dict[str, Any], runtime: Any) -> None:
    embedded = runtime.environment()
    shared = {"AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY",
              "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__PLUGINS_FOLDER",
              "AIRFLOW__CORE__LOAD_EXAMPLES",
              "AIRFLOW_CONN_MLFLOW_DEFAULT", "MLFLOW_TRACKING_URI", "MLFLOW_DISABLE_TELEMETRY", "MODELFLEET_REPO", "MODELFLEET_HOME"}
    assert shared <= set(embedded)  # names the embedded platform sets too: the same names, other values
    services = compose["services"]
    for name in AIRFLOW_SERVICES:
        env = services[name]["environment"]
        assert shared <= set(env), f"{name}: missing {sorted(shared - set(env))}"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CORE__DAGS_FOLDER"] == f"{env['MODELFLEET_REPO']}/dags"
        assert env["AIRFLOW__CORE__PLUGINS_FOLDER"] == f"{env['MODELFLEET_REPO']}/plugins"  # the Fleet page
        assert env["AIRFLOW_CONN_MLFLOW_DEFAULT"] == env["MLFLOW_TRACKING_URI"]  # as the runtime has them: one MLflow
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"].endswith("/execution/")


def test_celery_runs_on_postgres_and_redis_services(compose: dict[str, Any], tmp_path, monkeypatch) -> None:
    from modelfleet.runtime.config import EmbeddedConfig

    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path))
    monkeypatch.setenv("MODELFLEET_MODE", "celery")
    runtime = EmbeddedConfig.from_env().environment()  # the URL schemes the project's own Celery mode runs with
    services = compose["services"]
    env = services["scheduler"]["environment"]
    databases = {services["postgres"]["environment"]["POSTGRES_DB"],
                 *re.findall(r"CREATE DATABASE (\w+)", (COMPOSE / "postgres-init.sql").read_text())}
    for variable in ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND", "AIRFLOW__CELERY__BROKER_URL",
                     "MODELFLEET_DB_URL"):
        url, scheme = urlsplit(env[variable]), urlsplit(runtime[variable]).scheme
        assert url.scheme == scheme, (variable, url.scheme, scheme)
        assert url.hostname in services, f"{variable} names no service: {url.hostname}"
        if scheme != "redis":
            assert url.path.lstrip("/") in databases, f"{variable}: database {url.path} is never created"
    mlflow = " ".join(command_words(services["mlflow"]))
    store = urlsplit(re.search(r"--backend-store-uri (\S+)", mlflow)[1])
    assert store.hostname == "postgres" and store.path.lstrip("/") in databases


def published(service: dict[str, Any]) -> int:
    (mapping,) = service["ports"]
    host, container = mapping.split(":")
    assert host == container
    return int(container)


def test_ports_and_urls_are_the_runtimes(compose: dict[str, Any], runtime: Any) -> None:
    services = compose["services"]
    assert published(services["api-server"]) == runtime.api_port == 8080
    assert published(services["mlflow"]) == runtime.mlflow_port == 5055
    assert published(services["trace-receiver"]) == runtime.otlp_port == 4318
    env = services["scheduler"]["environment"]
    for variable, service in (("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "api-server"), ("MLFLOW_TRACKING_URI", "mlflow"),
                              ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "trace-receiver")):
        url = urlsplit(env[variable])
        assert (url.hostname, url.port) == (service, published(services[service])), variable
    mlflow = " ".join(command_words(services["mlflow"]))
    assert f"--port {runtime.mlflow_port}" in mlflow and "--host 0.0.0.0" in mlflow
    receiver = command_words(services["trace-receiver"])
    assert receiver[receiver.index("--port") + 1] == str(runtime.otlp_port) and "0.0.0.0" in receiver


def test_workers_serve_the_dag_factorys_queues_and_the_gpu_worker_matches_the_capacity(compose: dict[str, Any]) -> None:
    from modelfleet.scheduling.capacity import load_capacity
    from modelfleet.specs.model import Resources

    services = compose["services"]
    cpu, gpu = command_words(services["worker-cpu"]), command_words(services["worker-gpu"])
    assert cpu[:2] == gpu[:2] == ["celery", "worker"]
    assert cpu[cpu.index("--queues") + 1] == Resources().queue == "cpu"
    assert gpu[gpu.index("--queues") + 1] == Resources(device="gpu", gpus=1, gpu_class="a10g").queue == "gpu"
    capacity = load_capacity(REPO / "infra" / "capacity.yaml")
    host = services["worker-gpu"]["environment"]["MODELFLEET_GPU_HOST"]
    (devices,) = capacity.hosts[host].values()  # a host of one class
    (reservation,) = services["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert reservation["driver"] == "nvidia" and reservation["capabilities"] == ["gpu"]
    assert reservation["device_ids"] == [str(i) for i in devices]
    assert int(gpu[gpu.index("--concurrency") + 1]) == len(devices)
    assert "deploy" not in services["worker-cpu"]


def test_compose_runs_the_helm_image(compose: dict[str, Any]) -> None:
    values = yaml.safe_load((REPO / "infra" / "helm" / "values.yaml").read_text())
    default = re.fullmatch(r"\$\{MODELFLEET_IMAGE:-(.+)\}", compose["services"]["scheduler"]["image"])[1]
    assert default == f"{values['defaultAirflowRepository']}:{values['defaultAirflowTag']}"
