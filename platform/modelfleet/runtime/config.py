"""Configuration of the platform: ports, folders and the environment of every component, in either mode.

Two modes (MODELFLEET_MODE, or `modelfleet up --mode`): `embedded` (the default: SQLite and
LocalExecutor) and `celery` (PostgreSQL, Redis, CeleryExecutor with a `cpu` worker and a `gpu`
worker per host of infra/capacity.yaml). Everything that differs between the modes is decided
here; platform.py only starts what `components()` lists with the environment this module gives.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from modelfleet import paths
from modelfleet.features.config import config_file
from modelfleet.k8s.runtime import KUBERNETES
from modelfleet.runtime.errors import ConfigError
from modelfleet.runtime.preload import DAG_PROCESSOR_PRELOAD, PRELOAD


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


MODES = ("embedded", "celery")
"""`embedded`: SQLite + LocalExecutor. `celery`: PostgreSQL + Redis + CeleryExecutor and Celery workers."""

PG_USER = "modelfleet"
"""The superuser of the celery mode's own PostgreSQL cluster (initdb -U); its password is generated."""

PG_DATABASES = ("airflow", "mlflow", "modelfleet")
"""Celery mode: Airflow's metadata, MLflow's backend store, the platform's own tables (state_db: GPU leases, ...)."""

CPU_QUEUES = ("cpu", "default")
"""What the cpu worker serves: training tasks name `cpu` (specs Resources.queue), every other task takes
Airflow's default queue, which the celery mode also sets to `cpu`; `default` stays served for tasks
of DAGs that name it themselves."""

GPU_QUEUE = "gpu"


def _switch(variable: str, default: str) -> bool:
    value = os.environ.get(variable, default).strip().lower()
    if value not in _ON + _OFF:
        raise ConfigError(f"{variable}={value!r}: use `on` or `off`")
    return value in _ON


def _traces_url(endpoint: str) -> str:
    """An OTLP/HTTP traces URL; a bare `http://host:port` gets the standard `/v1/traces` path."""
    endpoint = endpoint.strip()
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"MODELFLEET_OTLP_ENDPOINT={endpoint!r}: expected an OTLP/HTTP URL like http://collector:4318/v1/traces")
    return endpoint.rstrip("/") + "/v1/traces" if parts.path in ("", "/") else endpoint


def recorded_mode(home: Path) -> str | None:
    """The mode `up` last started in this state folder, so `run`, `status` and `down` follow it without the variable."""
    try:
        mode = (home / "mode").read_text().strip()
    except OSError:
        return None
    return mode if mode in MODES else None


def _mode(home: Path) -> str:
    mode = (os.environ.get("MODELFLEET_MODE") or recorded_mode(home) or "embedded").strip().lower()
    if mode == KUBERNETES:
        raise ConfigError("MODELFLEET_MODE=kubernetes is the mode of the Helm deployment (infra/helm/values.yaml, "
                         "docs/operations.md#kubernetes), which Kubernetes runs; on this machine use embedded or celery")
    if mode not in MODES:
        raise ConfigError(f"MODELFLEET_MODE={mode!r}: use one of {', '.join(MODES)}")
    return mode


def _port(default: str, variable: str) -> int:
    return int(os.environ.get(variable, default))


@dataclass(frozen=True)
class GpuWorker:
    """A Celery worker serving the `gpu` queue for one host of infra/capacity.yaml."""

    host: str
    devices: tuple[int, ...]

    @property
    def component(self) -> str:
        return f"worker-gpu-{self.host}"

    @property
    def celery_hostname(self) -> str:
        return f"gpu-{self.host}@modelfleet"


CPU_WORKER = "worker-cpu"
CPU_WORKER_HOSTNAME = "cpu@modelfleet"


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
    mode: str = "embedded"
    """`embedded` or `celery` (MODELFLEET_MODE; else what `up` recorded in the state folder)."""
    pg_port: int = 5433
    """Celery mode: the platform's own PostgreSQL on loopback (MODELFLEET_PG_PORT)."""
    redis_port: int = 6380
    """Celery mode: the platform's own Redis, the Celery broker, on loopback (MODELFLEET_REDIS_PORT)."""
    cpu_concurrency: int = 4
    """Celery mode: task slots of the cpu worker (MODELFLEET_CPU_CONCURRENCY; default: parallelism)."""

    @classmethod
    def from_env(cls, mode: str | None = None) -> EmbeddedConfig:
        home = paths.state_dir()
        parallelism = int(os.environ.get("MODELFLEET_PARALLELISM", str(max(2, min(8, 2 * (os.cpu_count() or 2))))))
        if mode is not None and mode not in MODES:
            raise ConfigError(f"mode {mode!r}: use one of {', '.join(MODES)}")
        return cls(
            home=home,
            mode=mode or _mode(home),
            pg_port=_port("5433", "MODELFLEET_PG_PORT"),
            redis_port=_port("6380", "MODELFLEET_REDIS_PORT"),
            cpu_concurrency=int(os.environ.get("MODELFLEET_CPU_CONCURRENCY", str(parallelism))),
            api_port=int(os.environ.get("MODELFLEET_API_PORT", "8080")),
            mlflow_port=int(os.environ.get("MODELFLEET_MLFLOW_PORT", "5055")),
            # LocalExecutor starts `parallelism` workers: on 2 cores 32 would thrash.
            parallelism=parallelism,
            schedules=os.environ.get("MODELFLEET_SCHEDULES", "off").lower() in ("1", "on", "true", "yes"),
            serving_port=int(os.environ.get("MODELFLEET_SERVING_PORT", "5070")),
            tracing=_switch("MODELFLEET_TRACING", "on"),
            otlp_port=int(os.environ.get("MODELFLEET_OTLP_PORT", "4318")),
            otlp_endpoint=_traces_url(url) if (url := os.environ.get("MODELFLEET_OTLP_ENDPOINT", "").strip()) else None,
        )

    @property
    def dag_refresh_seconds(self) -> str:
        """How often the DAG processor looks for new DAG files (MODELFLEET_DAG_REFRESH, default 30)."""
        return os.environ.get("MODELFLEET_DAG_REFRESH", "30")

    @property
    def dag_reparse_seconds(self) -> str:
        """How often the DAG processor re-parses a DAG file that did not change (MODELFLEET_DAG_REPARSE, default 1200).

        A team's spec edit is parsed within seconds regardless: the spec watcher gives the team's DAG file a new
        modification time, and Airflow re-parses a changed file at once. The periodic pass only guards against a
        missed change, so it can be rare: at 1,000 pipelines a full pass costs tens of CPU seconds (docs/BENCHMARKS.md).
        """
        return os.environ.get("MODELFLEET_DAG_REPARSE", "1200")

    @property
    def celery(self) -> bool:
        return self.mode == "celery"

    @property
    def mode_file(self) -> Path:
        return self.home / "mode"

    @property
    def postgres_dir(self) -> Path:
        """Celery mode: the PostgreSQL cluster's data (`data/`, owned by the `postgres` user) and socket (`run/`)."""
        return self.home / "postgres"

    @property
    def redis_dir(self) -> Path:
        """Celery mode: Redis's config and append-only file."""
        return self.home / "redis"

    def pg_url(self, database: str) -> str:
        return f"postgresql+psycopg2://{PG_USER}:{self.secret('postgres_password')}@127.0.0.1:{self.pg_port}/{database}"

    @property
    def broker_url(self) -> str:
        return f"redis://:{self.secret('redis_password')}@127.0.0.1:{self.redis_port}/0"

    @property
    def state_db_url(self) -> str | None:
        """The platform's own tables (MODELFLEET_DB_URL): PostgreSQL in celery mode; None keeps state_db's SQLite file."""
        return self.pg_url("modelfleet") if self.celery else None

    @property
    def mlflow_backend_uri(self) -> str:
        return self.pg_url("mlflow") if self.celery else f"sqlite:///{self.mlflow_dir / 'mlflow.db'}"

    def gpu_workers(self) -> list[GpuWorker]:
        """Celery mode: one gpu worker per host of infra/capacity.yaml, its devices those the file declares."""
        if not self.celery:
            return []
        from modelfleet.scheduling.capacity import load_capacity

        capacity = load_capacity()
        return [GpuWorker(host, tuple(sorted(d for ids in classes.values() for d in ids)))
                for host, classes in sorted(capacity.hosts.items())]

    def services(self) -> tuple[str, ...]:
        """The backing services `up` starts (and waits for) before any Airflow component: none when embedded."""
        return ("postgres", "redis") if self.celery else ()

    def workers(self) -> tuple[str, ...]:
        return (CPU_WORKER, *(w.component for w in self.gpu_workers())) if self.celery else ()

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
        """Environment of every Airflow component and task: SQLite and LocalExecutor, or (celery mode)
        PostgreSQL, Redis and CeleryExecutor; loopback only."""
        bin_dir = str(Path(sys.executable).parent)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        env.update({
            "PATH": f"{bin_dir}:{env.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.airflow_home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(paths.dags_dir()),
            # The Fleet page (modelfleet.fleet_view): an Airflow plugin the API server mounts.
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(paths.repo_root() / "plugins"),
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
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": self.dag_reparse_seconds,
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
        if timeout := os.environ.get("MODELFLEET_TASK_HEARTBEAT_TIMEOUT"):
            # How long a running task may go without a heartbeat before the scheduler fails it (and retries it, if
            # it has retries): a task whose worker was killed is noticed after this many seconds (Airflow: 300).
            env["AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT"] = str(int(timeout))
        if self.celery:
            env.update(self.celery_environment())
        return env

    def celery_environment(self) -> dict[str, str]:
        """What the celery mode changes: metadata DB, executor, broker, queues, the platform's own DB."""
        return {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            # Dispatched tasks across all workers; the workers' concurrency is what bounds real work.
            "AIRFLOW__CORE__PARALLELISM": str(max(32, self.parallelism)),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.pg_url("airflow"),
            "AIRFLOW__CELERY__BROKER_URL": self.broker_url,
            # SQLAlchemy 2.1 takes psycopg 3 for a bare `postgresql://`: name the installed driver.
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + self.pg_url("airflow"),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(self.cpu_concurrency),
            # Tasks that name no queue (all but training) go to the cpu worker.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": CPU_QUEUES[0],
            # PostgreSQL takes concurrent writers: the SQLite-era API timeout is not needed.
            "AIRFLOW__WORKERS__EXECUTION_API_TIMEOUT": "30",
            "MODELFLEET_DB_URL": self.pg_url("modelfleet"),
            "MODELFLEET_MODE": "celery",
        }

    def worker_environment(self, name: str) -> dict[str, str]:
        """A Celery worker: its own name on the task instances it runs (hostname_callable), and on a gpu
        worker the host whose devices its tasks lease (MODELFLEET_GPU_HOST, scheduling/leases.py)."""
        env = {"AIRFLOW__CORE__HOSTNAME_CALLABLE": "modelfleet.runtime.celery_worker.worker_hostname"}
        if name == CPU_WORKER:
            env["MODELFLEET_WORKER_NAME"] = CPU_WORKER_HOSTNAME
            return env
        worker = next(w for w in self.gpu_workers() if w.component == name)
        env.update(MODELFLEET_WORKER_NAME=worker.celery_hostname, MODELFLEET_GPU_HOST=worker.host)
        # Without nvidia-smi the host's GPUs are the declared (virtual) ones: the worker's inventory is
        # capacity.yaml's. With it, the worker reads the real devices and is refused if they disagree.
        if "MODELFLEET_GPU_DEVICES" not in os.environ and shutil.which("nvidia-smi") is None:
            env["MODELFLEET_GPU_DEVICES"] = ",".join(str(d) for d in worker.devices)
        return env

    def service_environment(self) -> dict[str, str]:
        """What infra/celery/postgres.sh and redis.sh read: ports, folders and the generated passwords."""
        return {
            "MODELFLEET_PG_PORT": str(self.pg_port),
            "MODELFLEET_PG_DIR": str(self.postgres_dir),
            "MODELFLEET_PG_USER": PG_USER,
            "MODELFLEET_PG_PASSWORD": self.secret("postgres_password"),
            "MODELFLEET_REDIS_PORT": str(self.redis_port),
            "MODELFLEET_REDIS_DIR": str(self.redis_dir),
            "MODELFLEET_REDIS_PASSWORD": self.secret("redis_password"),
        }

    def component_environment(self, name: str) -> dict[str, str]:
        """`environment()` plus what one component needs of its own."""
        if name in ("postgres", "redis"):
            return {**{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}, **self.service_environment()}
        env = self.environment()
        if name.startswith("worker-"):
            env.update(self.worker_environment(name))
        if name == "api-server" and not self.celery:
            # Airflow's audit log commits with a blocking SQLite call on the API server's
            # event loop. If another request of the same server holds the write lock and
            # needs that loop to commit, both wait until the busy timeout ends the
            # stand-off. Keep it short here, and shorter than the scheduler's, so the stall
            # lasts seconds and the scheduler never times out behind it.
            env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = self.database_url(busy_timeout=10)
        if name == "scheduler" and not self.celery:
            env["AIRFLOW__SCHEDULER__MP_START_METHOD"] = "forkserver"
            env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"] = ",".join(TASK_PRELOAD)
        if name == "dag-processor":
            env[PRELOAD] = ",".join(DAG_PROCESSOR_PRELOAD)  # every parse is forked from the manager: import the factory once
        if name == "mlflow":
            # The tracking server's job runner (seven huey consumers) serves GenAI jobs
            # that the fleet does not use.
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        return env

    def database_url(self, busy_timeout: int) -> str:
        """The metadata database: SQLite (`busy_timeout` seconds is how long a writer waits for the lock), or PostgreSQL."""
        if self.celery:
            return self.pg_url("airflow")
        return f"sqlite:///{self.airflow_home / 'airflow.db'}?timeout={busy_timeout}"

    def fernet_key(self) -> str:
        from cryptography.fernet import Fernet

        return self.secret("fernet_key", lambda: Fernet.generate_key().decode())
