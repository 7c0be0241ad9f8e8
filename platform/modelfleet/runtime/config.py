"""Configuration of the embedded platform: ports, folders and the environment of every component."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class EmbeddedConfig:
    home: Path
    api_port: int
    mlflow_port: int
    parallelism: int
    schedules: bool
    serving_port: int = 5070

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
