"""`modelfleet up`, `down` and `status`: the embedded platform's lifecycle."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from modelfleet import paths
from modelfleet.runtime import processes
from modelfleet.runtime.config import ADMIN_USER, EmbeddedConfig

AIRFLOW_COMPONENTS = ("scheduler", "dag-processor", "triggerer", "api-server")
COMPONENTS = ("trace-receiver", "mlflow", "model-server", *AIRFLOW_COMPONENTS, "quota-controller")
"""Started in this order, stopped in reverse: the quota controller first, returning pools to the guarantees.
The model server starts after MLflow (it loads the online champions from the registry). The trace
receiver starts first and stops last, so no component exports spans to a closed port."""


def components(config: EmbeddedConfig) -> tuple[str, ...]:
    """The components this configuration runs: the trace receiver only when the platform keeps its own traces."""
    return tuple(name for name in COMPONENTS if name != "trace-receiver" or config.runs_trace_receiver)


class PlatformError(RuntimeError):
    """A problem the person at the terminal can fix; the message says how."""


@dataclass(frozen=True)
class ComponentState:
    name: str
    pid: int | None
    running: bool


def component_argv(name: str, config: EmbeddedConfig) -> list[str]:
    bin_dir = Path(sys.executable).parent
    if name == "mlflow":
        return [
            str(bin_dir / "mlflow"), "server",
            "--backend-store-uri", f"sqlite:///{config.mlflow_dir / 'mlflow.db'}",
            "--artifacts-destination", str(config.mlflow_dir / "artifacts"),
            "--serve-artifacts", "--host", "127.0.0.1", "--port", str(config.mlflow_port), "--workers", "1",
        ]
    if name == "quota-controller":
        return [sys.executable, "-m", "modelfleet.scheduling.controller"]
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
    if config.runs_trace_receiver:
        ports["trace-receiver"] = (config.otlp_port, "MODELFLEET_OTLP_PORT")
    for name, (port, variable) in ports.items():
        if name in missing and processes.port_in_use(port):
            raise PlatformError(
                f"port {port} (for {name}) is already in use by a process modelfleet did not start.\n"
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
                    "Run `modelfleet down` and then `modelfleet up` again."
                )
        try:
            health = httpx.get(f"{config.api_url}/api/v2/monitor/health", timeout=3).json()
            mlflow_ok = httpx.get(f"{config.mlflow_url}/health", timeout=3).status_code == 200
            serving_ok = _answers(f"{config.serving_url}/health")
            traces_ok = not config.runs_trace_receiver or _answers(f"http://127.0.0.1:{config.otlp_port}/health")
            statuses = {k: v.get("status") for k, v in health.items() if isinstance(v, dict)}
            if mlflow_ok and serving_ok and traces_ok and statuses and all(s == "healthy" for s in statuses.values()):
                return health
            last = {**statuses, "mlflow": "healthy" if mlflow_ok else "starting",
                    "model-server": "healthy" if serving_ok else "starting"}
            if config.runs_trace_receiver:
                last["trace-receiver"] = "healthy" if traces_ok else "starting"
        except (httpx.HTTPError, ValueError) as exc:
            last = exc
        time.sleep(1.0)
    raise PlatformError(f"platform not healthy after {timeout:.0f}s (last: {last}); logs in {config.log_dir}")


def up(config: EmbeddedConfig, say: object = print) -> dict:
    """Start what is not running (idempotent): migrate, sync pools, start components, wait for health."""
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
    config.mlflow_dir.mkdir(parents=True, exist_ok=True)
    config.airflow_home.mkdir(parents=True, exist_ok=True)
    say("migrating the metadata database (SQLite)")
    airflow(config, "db", "migrate")
    use_wal(config.airflow_home / "airflow.db")
    say("syncing GPU pools from infra/capacity.yaml and the teams' quotas: " + sync_pools(config))
    say(tracing_summary(config))
    for name in components(config):
        if name in missing:
            start_component(config, name)
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
    stopped = []
    for name in reversed(COMPONENTS):
        if processes.stop(config.pid_dir, name):
            stopped.append(name)
            say(f"stopped {name}")
    if not stopped:
        say("modelfleet is not running")
    return stopped


def admin_password(config: EmbeddedConfig) -> str:
    try:
        return json.loads(config.passwords_file.read_text())[ADMIN_USER]
    except (FileNotFoundError, KeyError, ValueError):
        return f"(see {config.passwords_file})"
