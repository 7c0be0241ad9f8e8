"""Configuration of the embedded platform: ports, folders and the environment of every component."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from modelfleet import paths
from modelfleet.features.config import config_file


ADMIN_USER = "admin"
"""The embedded platform's one Airflow user (simple auth manager, role admin); its password is generated."""

TASK_PRELOAD = (
    "airflow.sdk.execution_time.task_runner", "numpy", "pandas", "pyarrow.parquet", "pandera.pandas",
    "sklearn.metrics", "xgboost", "torch", "mlflow.pyfunc", "mlflow.models", "feast",
)
"""What the stages import, loaded once by the scheduler's fork server: every LocalExecutor
worker starts from it, and every task process is forked from a worker, so a task
inherits these modules instead of spending seconds of CPU importing them again."""


OTEL_SERVICE_NAME = "modelfleet"
"""The service name on every span the platform's processes export."""

OTLP_EXPORT_TIMEOUT_SECONDS = "2"
"""How long one export may take, retries included (OTEL_EXPORTER_OTLP_TRACES_TIMEOUT, seconds; the SDK's default
is 10). A task process flushes its spans before it exits and waits for the export: with the receiver down,
each task would stall ~7 s at the default. Airflow's `[traces] task_runner_flush_timeout_milliseconds` does
not bound that wait: the SDK's BatchSpanProcessor ignores force_flush's timeout (1.45)."""

_ON, _OFF = ("1", "on", "true", "yes"), ("0", "off", "false", "no")


def _switch(variable: str, default: str) -> bool:
    value = os.environ.get(variable, default).strip().lower()
    if value not in _ON + _OFF:
        raise ValueError(f"{variable}={value!r}: use `on` or `off`")
    return value in _ON


def _traces_url(endpoint: str) -> str:
    """An OTLP/HTTP traces URL; a bare `http://host:port` gets the standard `/v1/traces` path."""
    endpoint = endpoint.strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"MODELFLEET_OTLP_ENDPOINT={endpoint!r}: expected an OTLP/HTTP URL like http://collector:4318/v1/traces")
    return endpoint.rstrip("/") + "/v1/traces" if parts.path in ("", "/") else endpoint


@dataclass(frozen=True)
class EmbeddedConfig:
    home: Path
    api_port: int
    mlflow_port: int
    parallelism: int
    schedules: bool
    serving_port: int = 5070
    tracing: bool = True
    """Traces of every DAG run (MODELFLEET_TRACING, default on): Airflow's OpenTelemetry tracing, exported over OTLP/HTTP."""
    otlp_port: int = 4318
    """Port of the platform's own trace receiver (MODELFLEET_OTLP_PORT)."""
    otlp_endpoint: str | None = None
    """An external OTLP/HTTP traces endpoint (MODELFLEET_OTLP_ENDPOINT); then no receiver of our own runs."""

    @classmethod
    def from_env(cls) -> EmbeddedConfig:
        return cls(
            home=paths.state_dir(),
            api_port=int(os.environ.get("MODELFLEET_API_PORT", "8080")),
            mlflow_port=int(os.environ.get("MODELFLEET_MLFLOW_PORT", "5055")),
            # LocalExecutor starts `parallelism` workers: on 2 cores 32 would thrash.
            parallelism=int(os.environ.get("MODELFLEET_PARALLELISM", str(max(2, min(8, 2 * (os.cpu_count() or 2)))))),
            schedules=os.environ.get("MODELFLEET_SCHEDULES", "off").lower() in ("1", "on", "true", "yes"),
            serving_port=int(os.environ.get("MODELFLEET_SERVING_PORT", "5070")),
            tracing=_switch("MODELFLEET_TRACING", "on"),
            otlp_port=int(os.environ.get("MODELFLEET_OTLP_PORT", "4318")),
            otlp_endpoint=_traces_url(url) if (url := os.environ.get("MODELFLEET_OTLP_ENDPOINT", "").strip()) else None,
        )

    @property
    def dag_refresh_seconds(self) -> str:
        """How often the DAG processor looks for new files and re-parses one (MODELFLEET_DAG_REFRESH, default 30)."""
        return os.environ.get("MODELFLEET_DAG_REFRESH", "30")

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def pid_dir(self) -> Path:
        return self.home / "pids"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def mlflow_dir(self) -> Path:
        return self.home / "mlflow"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.mlflow_port}"

    @property
    def serving_url(self) -> str:
        return f"http://127.0.0.1:{self.serving_port}"

    @property
    def runs_trace_receiver(self) -> bool:
        """The platform keeps its traces itself: tracing on and no external endpoint named."""
        return self.tracing and self.otlp_endpoint is None

    @property
    def traces_endpoint(self) -> str | None:
        """Where every process exports its spans (OTLP/HTTP), or None with tracing off."""
        if not self.tracing:
            return None
        return self.otlp_endpoint or f"http://127.0.0.1:{self.otlp_port}/v1/traces"

    @property
    def spans_file(self) -> Path:
        """The trace receiver's JSON lines, one span each (modelfleet.lineage.otlp_receiver.load_spans reads it)."""
        return self.home / "traces" / "spans.jsonl"

    def tracing_environment(self) -> dict[str, str]:
        """Airflow's own OpenTelemetry tracing, on for every component and task, or nothing with tracing off.

        Airflow then makes one trace per DAG run: a `dag_run.<dag_id>` root
        span (scheduler, when the run ends), a `task_run.<task_id>` span per
        task instance (API server, at its end state) and the task process's
        `worker.<task_id>` span, on which the stages put `modelfleet.*`
        attributes (modelfleet.lineage.tracing). The API server creates a
        run's trace context and samples it, so it needs this as much as the
        task processes do. Other OTEL_* variables of the caller's environment
        (a sampler, exporter headers, an export timeout) pass through.
        """
        endpoint = self.traces_endpoint
        if endpoint is None:
            return {}
        return {
            "AIRFLOW__TRACES__OTEL_ON": "True",
            "OTEL_TRACES_EXPORTER": "otlp_proto_http",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
            "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": os.environ.get("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", OTLP_EXPORT_TIMEOUT_SECONDS),
            "OTEL_SERVICE_NAME": OTEL_SERVICE_NAME,
        }

    @property
    def passwords_file(self) -> Path:
        return self.airflow_home / "simple_auth_manager_passwords.json.generated"

    def secret(self, name: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(32)) -> str:
        """A random secret created once (by `make`) and kept in the state folder, shared by all components."""
        path = self.home / f".{name}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(make())
            path.chmod(0o600)
        return path.read_text().strip()

    def environment(self) -> dict[str, str]:
        """Environment of every Airflow component and task: SQLite, LocalExecutor, loopback only."""
        bin_dir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env.update({
            "PATH": f"{bin_dir}:{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(paths.dags_dir()),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": str(self.parallelism),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # Without schedules an unpaused DAG still runs only when triggered, so new DAGs
            # start unpaused and `modelfleet run` need not unpause them one by one (each
            # unpause is an audited API write; see component_environment).
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": str(self.schedules),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.passwords_file),
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key(),
            # WAL (set on the file by `up`) lets readers and one writer overlap; the busy
            # timeout makes a writer wait for the lock instead of failing at once.
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.database_url(busy_timeout=60),
            # On one machine the fleet runs on demand (`modelfleet run`) unless schedules
            # are asked for: nothing lands synthetic data on a schedule here.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(self.schedules),
            "AIRFLOW__API__BASE_URL": self.api_url,
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API_AUTH__JWT_SECRET": self.secret("jwt_secret"),
            # Task runners talk to the API server, which may wait up to the SQLite busy
            # timeout for the write lock: wait longer than that before giving up.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "90",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": self.dag_refresh_seconds,
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": self.dag_refresh_seconds,
            "AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT": "1200",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.airflow_home / "logs"),
            "AIRFLOW_CONN_MLFLOW_DEFAULT": self.mlflow_url,
            # Found in the environment, the connection costs a task no API call (a missing
            # one cost a 404 per Feast step before the hook fell back to the same file).
            "AIRFLOW_CONN_FEAST_DEFAULT": json.dumps({"conn_type": "generic", "extra": {"feature_store_yaml": str(config_file())}}),
            "MLFLOW_TRACKING_URI": self.mlflow_url,
            "AIRFLOW_CONN_MODEL_SERVER_DEFAULT": self.serving_url,
            "MODELFLEET_SERVING_PORT": str(self.serving_port),
            # MLflow's telemetry thread sets and unsets an environment variable while a
            # task's own thread may be iterating os.environ (requests does, for proxies):
            # a KeyError that failed a register task. Nothing may leave the machine anyway.
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MODELFLEET_HOME": str(self.home),
            "MODELFLEET_REPO": str(paths.repo_root()),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.tracing_environment())
        return env

    def component_environment(self, name: str) -> dict[str, str]:
        """`environment()` plus what one component needs of its own."""
        env = self.environment()
        if name == "api-server":
            # Airflow's audit log commits with a blocking SQLite call on the API server's
            # event loop. If another request of the same server holds the write lock and
            # needs that loop to commit, both wait until the busy timeout ends the
            # stand-off. Keep it short here, and shorter than the scheduler's, so the stall
            # lasts seconds and the scheduler never times out behind it.
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = self.database_url(busy_timeout=10)
        if name == "scheduler":
            env["AIRFLOW__SCHEDULER__MP_START_METHOD"] = "forkserver"
            env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"] = ",".join(TASK_PRELOAD)
        if name == "mlflow":
            # The tracking server's job runner (seven huey consumers) serves GenAI jobs
            # that the fleet does not use.
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        return env

    def database_url(self, busy_timeout: int) -> str:
        """The SQLite metadata database; `busy_timeout` seconds is how long a writer waits for the lock."""
        return f"sqlite:///{self.airflow_home / 'airflow.db'}?timeout={busy_timeout}"

    def fernet_key(self) -> str:
        from cryptography.fernet import Fernet

        return self.secret("fernet_key", lambda: Fernet.generate_key().decode())
