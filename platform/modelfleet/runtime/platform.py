"""`modelfleet up`, `down` and `status`: the platform's lifecycle, in either mode (runtime/config.py).

Celery mode adds, around the same components: PostgreSQL and Redis first (infra/celery/postgres.sh,
redis.sh; `up` waits until they answer and creates the databases), and the Celery workers after the
Airflow components (a `cpu` worker and a `gpu` worker per host of infra/capacity.yaml).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from modelfleet import dag_files, paths
from modelfleet.runtime import processes
from modelfleet.runtime.config import (
    ADMIN_USER, CPU_QUEUES, CPU_WORKER, CPU_WORKER_HOSTNAME, GPU_QUEUE, PG_DATABASES, PG_USER, EmbeddedConfig, recorded_mode,
)

AIRFLOW_COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
COMPONENTS = ("trace-receiver", "mlflow", "model-server", *AIRFLOW_COMPONENTS, "spec-watcher", "quota-controller")
"""Started in this order, stopped in reverse: the quota controller first, returning pools to the guarantees.
The spec watcher (modelfleet.runtime.spec_watcher) makes the DAG processor re-parse a team's DAG file when
its specs change.
The model server starts after MLflow (it loads the online champions from the registry). The trace
receiver starts first and stops last, so no component exports spans to a closed port."""


SERVICE_NAMES = {"postgres": "PostgreSQL", "redis": "Redis"}


def components(config: EmbeddedConfig) -> tuple[str, ...]:
    """The components this configuration runs, in start order: the trace receiver only when the platform keeps
    its own traces; in celery mode PostgreSQL and Redis first and the Celery workers before the quota controller."""
    names = [name for name in COMPONENTS if name != "trace-receiver" or config.runs_trace_receiver]
    if config.celery:
        names = [*config.services(), *names[:-1], *config.workers(), names[-1]]
    return tuple(names)


class PlatformError(RuntimeError):
    """A problem the person at the terminal can fix; the message says how."""


@dataclass(frozen=True)
class ComponentState:
    name: str
    pid: int | None
    running: bool


def component_argv(name: str, config: EmbeddedConfig) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if name in SERVICE_NAMES:
        return ["bash", str(paths.repo_root() / "infra" / "celery" / f"{name}.sh")]
    if name == CPU_WORKER:
        return [sys.executable, "-m", "modelfleet.runtime.celery_worker", "--queues", ",".join(CPU_QUEUES),
                "--concurrency", str(config.cpu_concurrency), "--celery-hostname", CPU_WORKER_HOSTNAME, "--skip-serve-logs"]
    if name.startswith("worker-gpu-"):
        worker = next(w for w in config.gpu_workers() if w.component == name)
        return [sys.executable, "-m", "modelfleet.runtime.celery_worker", "--queues", GPU_QUEUE,
                "--concurrency", str(len(worker.devices)), "--celery-hostname", worker.celery_hostname, "--skip-serve-logs"]
    if name == "mlflow":
        return [
            str(bin_dir / "mlflow"), "server",
            "--backend-store-uri", config.mlflow_backend_uri,
            "--artifacts-destination", str(config.mlflow_dir / "artifacts"),
            "--serve-artifacts", "--host", "127.0.0.1", "--port", str(config.mlflow_port), "--workers", "1",
        ]
    if name == "quota-controller":
        return [sys.executable, "-m", "modelfleet.scheduling.controller"]
    if name == "spec-watcher":
        return [sys.executable, "-m", "modelfleet.runtime.spec_watcher"]
    if name == "model-server":
        return [sys.executable, "-m", "modelfleet.serving.server"]
    if name == "trace-receiver":
        return [sys.executable, "-m", "modelfleet.lineage.otlp_receiver",
                "--port", str(config.otlp_port), "--out", str(config.spans_file)]
    return [str(bin_dir / "airflow"), name]


def tracing_summary(config: EmbeddedConfig) -> str:
    if not config.tracing:
        return "traces: off (MODELFLEET_TRACING=off)"
    if config.runs_trace_receiver:
        return f"traces: one per DAG run, kept in {config.spans_file}"
    return f"traces: one per DAG run, exported to {config.otlp_endpoint}"


def start_component(config: EmbeddedConfig, name: str) -> int:
    """Start one component in its own process group, with its environment; returns its pid."""
    return processes.start(processes.Component(name, component_argv(name, config)), config.component_environment(name),
                           config.pid_dir, config.log_dir, paths.repo_root())


def log_tail(config: EmbeddedConfig, name: str, lines: int = 6) -> str:
    try:
        text = (config.log_dir / f"{name}.log").read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join("  | " + line for line in text.strip().splitlines()[-lines:])


def _service_hint(config: EmbeddedConfig, name: str) -> str:
    port, variable = (config.pg_port, "MODELFLEET_PG_PORT") if name == "postgres" else (config.redis_port, "MODELFLEET_REDIS_PORT")
    return (f"{SERVICE_NAMES[name]} is started by `modelfleet up` itself (infra/celery/{name}.sh, on 127.0.0.1:{port}). "
            f"Install it with `bash infra/celery/install.sh` (apt-get install -y postgresql redis-server), "
            f"free port {port} or choose another ({variable}=<port>), then `modelfleet up --mode celery` again.")


def _service_answers(config: EmbeddedConfig, name: str) -> str | None:
    """None when the service takes a connection with the platform's credentials, else why not."""
    if name == "postgres":
        import psycopg2

        try:
            psycopg2.connect(host="127.0.0.1", port=config.pg_port, user=PG_USER, dbname="postgres",
                             password=config.secret("postgres_password"), connect_timeout=3).close()
            return None
        except psycopg2.Error as exc:
            return str(exc).strip()
    import redis

    try:
        redis.Redis(host="127.0.0.1", port=config.redis_port, password=config.secret("redis_password"),
                    socket_connect_timeout=3).ping()
        return None
    except redis.RedisError as exc:
        return str(exc).strip()


def wait_services(config: EmbeddedConfig, timeout: float = 90.0) -> None:
    """PostgreSQL and Redis answer; a clear error naming the one that does not, and how to start it."""
    for name in config.services():
        deadline = time.monotonic() + timeout
        while (why := _service_answers(config, name)) is not None:
            pid = processes.read_pid(config.pid_dir, name)
            exited = pid is None or not processes.group_alive(pid)
            if exited or time.monotonic() > deadline:
                state = "exited at start" if exited else f"does not answer after {timeout:.0f}s"
                raise PlatformError(
                    f"{SERVICE_NAMES[name]} {state} ({why}); log {config.log_dir / (name + '.log')}:\n"
                    f"{log_tail(config, name)}\n{_service_hint(config, name)}")
            time.sleep(0.5)


def ensure_databases(config: EmbeddedConfig) -> None:
    """The celery mode's databases: Airflow's metadata, MLflow's store, the platform's own tables."""
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=config.pg_port, user=PG_USER, dbname="postgres",
                                  password=config.secret("postgres_password"), connect_timeout=5)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database")
            present = {row[0] for row in cursor.fetchall()}
            for database in PG_DATABASES:
                if database not in present:
                    cursor.execute(f'CREATE DATABASE "{database}"')
    finally:
        connection.close()


def celery_workers_ready(config: EmbeddedConfig) -> set[str]:
    """The Celery hostnames of the workers that answer a ping through the broker."""
    from celery import Celery

    app = Celery(broker=config.broker_url)
    try:
        replies = app.control.ping(timeout=1.0) or []
    except Exception:  # noqa: BLE001 - broker not answering yet: no worker ready
        return set()
    finally:
        app.close()
    return {name for reply in replies for name in reply}


def expected_worker_hostnames(config: EmbeddedConfig) -> set[str]:
    return {CPU_WORKER_HOSTNAME, *(w.celery_hostname for w in config.gpu_workers())} if config.celery else set()


def states(config: EmbeddedConfig) -> list[ComponentState]:
    result = []
    for name in components(config):
        pid = processes.read_pid(config.pid_dir, name)
        result.append(ComponentState(name, pid, pid is not None and processes.group_alive(pid)))
    return result


def airflow(config: EmbeddedConfig, *args: str, timeout: float = 300) -> str:
    """Run an `airflow` CLI command against the embedded platform; its output on failure."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "airflow"), *args], env=config.environment(),
        capture_output=True, text=True, timeout=timeout, cwd=paths.repo_root(),
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise PlatformError(f"`airflow {' '.join(args)}` failed:\n{tail}")
    return result.stdout


def use_wal(database: Path) -> None:
    """Write-ahead logging: the scheduler, API server and task runners stop locking each other out."""
    import sqlite3

    with sqlite3.connect(database, timeout=60) as connection:
        connection.execute("PRAGMA journal_mode=WAL")


def sync_pools(config: EmbeddedConfig) -> str:
    """`modelfleet pools sync` against this platform's database: GPU pools at the teams' guarantees.

    A GPU configuration that is malformed or over-committed changes nothing;
    the platform still starts (CPU pipelines do not need it) and says why.
    """
    result = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", "pools", "sync"], env=config.environment(),
                            capture_output=True, text=True, timeout=300, cwd=paths.repo_root())
    lines = (result.stdout + result.stderr).strip().splitlines()
    if result.returncode != 0:
        return "REFUSED, GPU pools unchanged:\n  " + "\n  ".join(lines[-20:])
    return lines[-1] if lines else "done"


def _check_ports(config: EmbeddedConfig, missing: list[str]) -> None:
    ports = {"api-server": (config.api_port, "MODELFLEET_API_PORT"), "mlflow": (config.mlflow_port, "MODELFLEET_MLFLOW_PORT"),
             "model-server": (config.serving_port, "MODELFLEET_SERVING_PORT")}
    if config.celery:
        ports.update(postgres=(config.pg_port, "MODELFLEET_PG_PORT"), redis=(config.redis_port, "MODELFLEET_REDIS_PORT"))
    if config.runs_trace_receiver:
        ports["trace-receiver"] = (config.otlp_port, "MODELFLEET_OTLP_PORT")
    for name, (port, variable) in ports.items():
        if name in missing and processes.port_in_use(port):
            raise PlatformError(
                f"port {port} (for {SERVICE_NAMES.get(name, name)}) is already in use by a process modelfleet did not start.\n"
                f"Stop it (e.g. `fuser -k {port}/tcp` or `ss -ltnp 'sport = :{port}'` to find it), "
                f"or choose another port: {variable}=<port> modelfleet up"
            )


def _answers(url: str) -> bool:
    import httpx

    try:
        return httpx.get(url, timeout=3).status_code == 200
    except httpx.HTTPError:
        return False


def wait_healthy(config: EmbeddedConfig, timeout: float = 180.0, progress: object = None) -> dict:
    import httpx

    deadline = time.monotonic() + timeout
    last: object = "no answer"
    while time.monotonic() < deadline:
        for state in states(config):
            if not state.running:
                raise PlatformError(
                    f"{state.name} exited during start-up; its log: {config.log_dir / (state.name + '.log')}\n"
                    f"{log_tail(config, state.name)}\n"
                    "Run `modelfleet down` and then `modelfleet up` again."
                )
        try:
            health = httpx.get(f"{config.api_url}/api/v2/monitor/health", timeout=3).json()
            mlflow_ok = httpx.get(f"{config.mlflow_url}/health", timeout=3).status_code == 200
            serving_ok = _answers(f"{config.serving_url}/health")
            traces_ok = not config.runs_trace_receiver or _answers(f"http://127.0.0.1:{config.otlp_port}/health")
            statuses = {k: v.get("status") for k, v in health.items() if isinstance(v, dict)}
            workers = expected_worker_hostnames(config)
            workers_missing = workers - celery_workers_ready(config) if workers else set()
            if (mlflow_ok and serving_ok and traces_ok and statuses and all(s == "healthy" for s in statuses.values())
                    and not workers_missing):
                return health
            if workers_missing:
                statuses["celery workers not ready"] = ", ".join(sorted(workers_missing))
            last = {**statuses, "mlflow": "healthy" if mlflow_ok else "starting",
                    "model-server": "healthy" if serving_ok else "starting"}
            if config.runs_trace_receiver:
                last["trace-receiver"] = "healthy" if traces_ok else "starting"
        except (httpx.HTTPError, ValueError) as exc:
            last = exc
        time.sleep(1.0)
    raise PlatformError(f"platform not healthy after {timeout:.0f}s (last: {last}); logs in {config.log_dir}")


def up(config: EmbeddedConfig, say: object = print) -> dict:
    """Start what is not running (idempotent): migrate, sync pools, start components, wait for health.

    Celery mode: a start that fails (PostgreSQL or Redis not starting, a worker refused) stops what
    this call started before it reports, so nothing half-started is left behind.
    """
    other = recorded_mode(config.home)
    if other and other != config.mode and any(processes.group_alive(p) for p in _recorded_pids(config)):
        raise PlatformError(f"the platform in {config.home} is up in {other} mode; "
                            f"stop it first (`modelfleet down`), then `modelfleet up --mode {config.mode}`")
    if not config.celery:
        return _up(config, say, started=[])
    started: list[str] = []
    try:
        return _up(config, say, started)
    except (PlatformError, OSError, ValueError) as exc:
        for name in reversed(started):
            if processes.stop(config.pid_dir, name, grace_seconds=10,
                              first_signal=signal.SIGINT if name == "postgres" else signal.SIGTERM):
                say(f"stopped {name} (start-up failed)")
        if not states_running(config):
            config.mode_file.unlink(missing_ok=True)
        if isinstance(exc, PlatformError):
            raise
        raise PlatformError(f"start-up failed: {exc}") from exc


def _recorded_pids(config: EmbeddedConfig) -> list[int]:
    pids = []
    if config.pid_dir.is_dir():
        for path in config.pid_dir.glob("*.pid"):
            pid = processes.read_pid(config.pid_dir, path.stem)
            if pid is not None:
                pids.append(pid)
    return pids


def states_running(config: EmbeddedConfig) -> list[str]:
    return [s.name for s in states(config) if s.running]


def _up(config: EmbeddedConfig, say: object, started: list[str]) -> dict:
    for state in states(config):
        if state.pid is not None and not state.running:
            say(f"removing stale pid file of {state.name} (pid {state.pid} is gone)")
            processes.pid_file(config.pid_dir, state.name).unlink(missing_ok=True)
    missing = [s.name for s in states(config) if not s.running]
    if not missing:
        say("modelfleet is already up")
        return wait_healthy(config)
    running = [s.name for s in states(config) if s.running]
    if running:
        say(f"partly running ({', '.join(running)}); starting the rest: {', '.join(missing)}")
    _check_ports(config, missing)
    config.home.mkdir(parents=True, exist_ok=True)
    config.mode_file.write_text(config.mode)
    config.mlflow_dir.mkdir(parents=True, exist_ok=True)
    config.airflow_home.mkdir(parents=True, exist_ok=True)
    services = [name for name in config.services() if name in missing]
    for name in services:
        start_component(config, name)
        started.append(name)
        say(f"started {name} ({SERVICE_NAMES[name]})")
    if config.celery:
        wait_services(config)
        ensure_databases(config)
        say(f"PostgreSQL on 127.0.0.1:{config.pg_port} (databases {', '.join(PG_DATABASES)}), "
            f"Redis on 127.0.0.1:{config.redis_port}")
    say(f"migrating the metadata database ({'PostgreSQL' if config.celery else 'SQLite'})")
    airflow(config, "db", "migrate")
    if not config.celery:
        use_wal(config.airflow_home / "airflow.db")
    say("syncing GPU pools from infra/capacity.yaml and the teams' quotas: " + sync_pools(config))
    if dag_files.owns_repository_layout() and (changes := dag_files.plan()):
        dag_files.apply(changes)
        say("DAG files of the teams: " + "; ".join(changes.describe(paths.repo_root())))
    say(tracing_summary(config))
    for name in components(config):
        if name in missing and name not in services:
            start_component(config, name)
            started.append(name)
            say(f"started {name}")
    return wait_healthy(config)


def revive(config: EmbeddedConfig, say: object = print) -> list[str]:
    """Restart components that exited while the platform is in use.

    On SQLite, a scheduler or triggerer can still die of a 'database is
    locked' error under load (a writer that began as a reader cannot wait for
    the lock in WAL mode). Airflow components are built to be restarted: the
    new scheduler adopts the running tasks, so `modelfleet run` watches and
    revives instead of hanging on a dead scheduler.
    """
    dead = [s.name for s in states(config) if not s.running]
    for name in dead:
        say(f"{name} exited (log: {config.log_dir / (name + '.log')}); restarting it")
        start_component(config, name)
    return dead


def down(config: EmbeddedConfig, say: object = print) -> list[str]:
    """Stop everything `up` started, in either mode: the components in reverse start order, then any other
    component a pid file names (a worker of a host since removed from capacity.yaml), PostgreSQL last."""
    order = [name for name in reversed(COMPONENTS)]
    recorded = sorted(p.stem for p in config.pid_dir.glob("*.pid")) if config.pid_dir.is_dir() else []
    workers = [name for name in recorded if name.startswith("worker-")]
    # Workers first (they hold task processes), then the Airflow and platform components, then the services.
    order = [*workers, *order, *(n for n in recorded if n not in workers and n not in order and n not in SERVICE_NAMES),
             "redis", "postgres"]
    stopped = []
    for name in order:
        # PostgreSQL: SIGINT is its fast shutdown (SIGTERM waits for every client to disconnect).
        if processes.stop(config.pid_dir, name, first_signal=signal.SIGINT if name == "postgres" else signal.SIGTERM):
            stopped.append(name)
            say(f"stopped {name}")
    # Task processes live in process groups of their own (Airflow's supervisor): any left without their worker.
    markers = [f"AIRFLOW_HOME={config.airflow_home}".encode(), f"MODELFLEET_HOME={config.home}".encode()]
    if left := processes.stop_strays(markers):
        say(f"stopped {len(left)} task process(es) left outside their component's process group")
    config.mode_file.unlink(missing_ok=True)
    if not stopped:
        say("modelfleet is not running")
    return stopped


def admin_password(config: EmbeddedConfig) -> str:
    try:
        return json.loads(config.passwords_file.read_text())[ADMIN_USER]
    except (FileNotFoundError, KeyError, ValueError):
        return f"(see {config.passwords_file})"
