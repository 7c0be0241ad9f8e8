"""A real embedded platform (scheduler, LocalExecutor, DAG processor, API server, quota controller) for GPU scenarios.

Shared by the GPU sharing tests (tests/e2e/test_gpu_sharing.py) and the fleet
scheduling benchmark (tests/benchmarks/gpu_scheduling.py). One platform is
started once; each scenario swaps the capacity, the teams' quotas and the
scenario DAGs (tests/support/gpu_dags) under it, triggers its runs at their
arrival times and waits for them. GPU work is a calibrated sleep, so virtual
GPUs cost no CPU; everything else is the real component.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
GPU_DAGS = Path(__file__).resolve().parent / "gpu_dags"


@dataclass(frozen=True)
class Team:
    nominal: int
    tier: str = "standard"
    borrowing_limit: int | None = None
    lending_limit: int | None = None


@dataclass(frozen=True)
class Pipeline:
    dag_id: str
    tenant: str
    gpus: int
    seconds: float
    tier: str | None = None
    """The model's own tier (default: its team's)."""


@dataclass(frozen=True)
class Arrival:
    at: float
    """Seconds after the scenario starts."""
    dag_id: str
    runs: int = 1
    when_leased: int | None = None
    """Arrive only once this many devices are leased (and `at` has passed): e.g. while borrowed work runs."""


@dataclass
class Scenario:
    name: str
    mode: str
    """`modelfleet` (quotas, borrowing, leases) or `plain` (one shared `gpu` pool, default weights, no leases)."""
    hosts: dict[str, int]
    """Host -> number of devices of the class."""
    teams: dict[str, Team]
    pipelines: list[Pipeline]
    arrivals: list[Arrival]
    gpu_class: str = "a10g"

    @property
    def devices(self) -> int:
        return sum(self.hosts.values())


@dataclass
class Outcome:
    scenario: Scenario
    t0: float
    arrived: dict[str, float]
    """run id -> arrival (UNIX seconds)."""
    records: list[dict[str, Any]]
    run_states: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    audit_ok: bool = True
    audit_summary: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GpuFleet:
    """`up` once, then `run(scenario)` as often as needed, then `down`."""

    def __init__(self, root: Path, parallelism: int = 12) -> None:
        self.root = root
        self.home = root / "home"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")},
            "MODELFLEET_HOME": str(self.home),
            "MODELFLEET_API_PORT": str(free_port()),
            "MODELFLEET_MLFLOW_PORT": str(free_port()),
            "MODELFLEET_SERVING_PORT": str(free_port()),
            "MODELFLEET_OTLP_PORT": str(free_port()),
            "MODELFLEET_DAGS_FOLDER": str(GPU_DAGS),
            "MODELFLEET_TENANTS_DIR": str(root / "tenants"),
            "MODELFLEET_CAPACITY_FILE": str(root / "capacity.yaml"),
            "MODELFLEET_SCENARIO_FILE": str(root / "scenario.json"),
            "MODELFLEET_TIMELINE_FILE": str(root / "timeline.jsonl"),
            "MODELFLEET_DAG_REFRESH": "5",
            "MODELFLEET_DAG_REPARSE": "5",  # a new scenario changes what gpu_scenario.py builds, not the file
            "MODELFLEET_QUOTA_INTERVAL": "1",
            "MODELFLEET_QUOTA_RELOAD": "1",
            "MODELFLEET_PARALLELISM": str(parallelism),
            "COLUMNS": "200",
        }
        self._api: Any = None

    # --- lifecycle ---

    def cli(self, *args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "modelfleet.cli.main", *args], env=self.env, cwd=REPO,
                                capture_output=True, text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise RuntimeError(f"modelfleet {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def up(self) -> None:
        self.write(Scenario("idle", "modelfleet", {"gpu-1": 1}, {"idle": Team(1)}, [], []))
        self.cli("up")

    def down(self) -> None:
        self.cli("down", check=False)

    @property
    def api(self) -> Any:
        if self._api is None:
            from modelfleet.runtime.api_client import AirflowApi
            from modelfleet.runtime.config import EmbeddedConfig

            self._api = AirflowApi(EmbeddedConfig(self.home, int(self.env["MODELFLEET_API_PORT"]),
                                                  int(self.env["MODELFLEET_MLFLOW_PORT"]), 12, False))
        return self._api

    # --- one scenario ---

    def write(self, scenario: Scenario) -> None:
        capacity = {"gpu_classes": {scenario.gpu_class: "virtual GPUs (calibrated sleeps)"},
                    "hosts": {host: {scenario.gpu_class: list(range(n))} for host, n in scenario.hosts.items()}}
        (self.root / "capacity.yaml").write_text(yaml.safe_dump(capacity))
        tenants = self.root / "tenants"
        for team_dir in tenants.glob("*") if tenants.exists() else []:
            for path in sorted(team_dir.rglob("*"), reverse=True):
                path.unlink() if path.is_file() else path.rmdir()
            team_dir.rmdir()
        for tid, team in scenario.teams.items():
            quota = {"nominal": team.nominal, "borrowing_limit": team.borrowing_limit, "lending_limit": team.lending_limit}
            folder = tenants / tid
            (folder / "models").mkdir(parents=True)
            (folder / "tenant.yaml").write_text(yaml.safe_dump({
                "id": tid, "name": f"Team {tid}", "owners": [f"@{tid}"], "data_root": tid, "priority_tier": team.tier,
                "allowed_queues": ["cpu", "gpu"], "gpu_quota": {scenario.gpu_class: {k: v for k, v in quota.items() if v is not None}},
            }))
            for k in sorted({p.gpus for p in scenario.pipelines if p.tenant == tid and p.gpus}):
                (folder / "models" / f"gpu_x{k}.yaml").write_text(yaml.safe_dump(model_spec(f"gpu_x{k}", tid, scenario.gpu_class, k)))
        pipelines = [{"dag_id": p.dag_id, "tenant": p.tenant, "gpus": p.gpus, "seconds": p.seconds,
                      "tier": p.tier or scenario.teams[p.tenant].tier} for p in scenario.pipelines]
        (self.root / "scenario.json").write_text(json.dumps({"name": scenario.name, "mode": scenario.mode,
                                                             "gpu_class": scenario.gpu_class, "pipelines": pipelines}))

    def prepare(self, scenario: Scenario, timeout: float = 120) -> None:
        """Write the scenario, size its pools, and wait until the DAG processor has parsed its DAGs."""
        self.write(scenario)
        self.cli("validate")  # a scenario whose team specs were broken would silently lose its k-GPU pools
        self.cli("pools", "sync")
        if scenario.mode == "plain":
            exists = self._pool_exists("gpu")
            self.api.request("PATCH" if exists else "POST", "/pools/gpu" if exists else "/pools",
                             json={"name": "gpu", "slots": scenario.devices, "include_deferred": False})
        wanted = {p.dag_id for p in scenario.pipelines}
        deadline = time.monotonic() + timeout
        while not wanted <= self.api.dag_ids():
            if time.monotonic() > deadline:
                raise TimeoutError(f"scenario DAGs not parsed: {sorted(wanted - self.api.dag_ids())[:5]}")
            time.sleep(1)
        time.sleep(2.5)  # one more controller pass after the new quotas are read

    def _pool_exists(self, name: str) -> bool:
        from modelfleet.runtime.api_client import AirflowApiError

        try:
            self.api.request("GET", f"/pools/{name}")
            return True
        except AirflowApiError as exc:
            if exc.status == 404:
                return False
            raise

    def run(self, scenario: Scenario, timeout: float = 900) -> Outcome:
        self.prepare(scenario)
        timeline = self.root / "timeline.jsonl"
        timeline.write_text("")
        started_events = time.time()
        arrivals = sorted(scenario.arrivals, key=lambda a: a.at)
        arrived: dict[str, float] = {}
        t0 = time.time()
        base = datetime(2026, 1, 1, tzinfo=timezone.utc)  # logical dates only need to differ per DAG
        serial = 0
        for arrival in arrivals:
            delay = t0 + arrival.at - time.time()
            if delay > 0:
                time.sleep(delay)
            if arrival.when_leased is not None:
                self.wait_for_leases(arrival.when_leased, timeout)
            for _ in range(arrival.runs):
                serial += 1
                run_id = f"{scenario.name}__{serial:04d}"
                arrived[run_id] = time.time()
                self.api.trigger(arrival.dag_id, run_id, (base + timedelta(microseconds=serial)).isoformat())
        states = self.wait(set(arrived), {a.dag_id for a in arrivals}, timeout)
        records = [json.loads(line) for line in timeline.read_text().splitlines() if line.strip()]
        outcome = Outcome(scenario, t0, arrived, records, states, self.events(since=started_events))
        if scenario.mode == "modelfleet":
            audit = self.cli("gpus", "audit", check=False)
            outcome.audit_ok = audit.returncode == 0
            outcome.audit_summary = " ".join(audit.stdout.split())
        return outcome

    def task_times(self, dag_id: str, run_id: str, task_id: str = "train") -> tuple[float, float]:
        """When the task became runnable (`scheduled_when`) and when the scheduler admitted it (`queued_when`)."""
        ti = self.api.request("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}")
        scheduled, queued = (datetime.fromisoformat(ti[k].replace("Z", "+00:00")).timestamp() for k in ("scheduled_when", "queued_when"))
        return scheduled, queued

    def wait_for_leases(self, count: int, timeout: float) -> None:
        from modelfleet.scheduling.leases import open_leases

        deadline = time.monotonic() + timeout
        while (held := len(open_leases(self.state_db()))) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{count} leased devices never seen (last: {held})")
            time.sleep(0.2)

    def state_db(self) -> Any:
        """The platform's own database (leases, quota events), schema created if no task has used it yet."""
        from modelfleet import state_db

        return state_db.engine(f"sqlite:///{self.home / 'modelfleet.db'}")

    def wait(self, run_ids: set[str], dag_ids: set[str], timeout: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            runs = {}
            for dag_id in dag_ids:
                for run in self.api._pages(f"/dags/{dag_id}/dagRuns", "dag_runs", {}):
                    if run["dag_run_id"] in run_ids:
                        runs[run["dag_run_id"]] = run["state"]
            if len(runs) == len(run_ids) and all(s in ("success", "failed") for s in runs.values()):
                return runs
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not finished after {timeout:.0f}s: {sorted(r for r, s in runs.items() if s not in ('success', 'failed'))[:5]}")
            time.sleep(1)

    def events(self, since: float) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from modelfleet import state_db

        with self.state_db().connect() as conn:
            rows = conn.execute(select(state_db.quota_events).where(state_db.quota_events.c.at >= since)).mappings().all()
        return [dict(r) for r in rows]


def model_spec(name: str, tenant: str, gpu_class: str, gpus: int) -> dict[str, Any]:
    """A minimal valid spec asking for `gpus` GPUs: it gives the team its pool for k-GPU tasks (the DAG is the scenario's)."""
    return {
        "name": name, "task": "classification", "framework": "torch",
        "data": {"path": "x/{ds}.parquet"},
        "validation": {"columns": [{"name": "id", "dtype": "int"}, {"name": "y", "dtype": "int"}]},
        "features": {"join_keys": ["id"], "views": [f"{tenant}__items"], "label": "y"},
        "training": {"resources": {"device": "gpu", "gpus": gpus, "gpu_class": gpu_class}},
        "evaluation": {"metric": "auc", "threshold": 0.5},
    }
