"""`modelfleet run`: every fleet DAG for one logical date, on the embedded platform, with progress."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from modelfleet.data_interval import start_of_day
from modelfleet.runtime.api_client import AirflowApi

FINISHED_TI = {"success", "failed", "skipped", "upstream_failed", "removed"}
FINISHED_RUN = {"success", "failed"}


def run_id_for(logical_date: date) -> str:
    return f"modelfleet__{logical_date.isoformat()}"


@dataclass
class PipelineResult:
    dag_id: str
    tenant: str
    state: str
    started: datetime | None = None
    ended: datetime | None = None
    failed_tasks: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """pipeline (training), features (a tenant's feature DAG) or scoring."""
        if self.dag_id.endswith("__scoring"):
            return "scoring"
        return "features" if self.dag_id == f"{self.tenant}__features" else "pipeline"

    @property
    def seconds(self) -> float | None:
        if self.started and self.ended:
            return (self.ended - self.started).total_seconds()
        return None


def wait_for_dags(api: AirflowApi, expected: set[str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        missing = expected - api.dag_ids()
        if not missing:
            return
        time.sleep(2.0)
    errors = "; ".join(e.get("filename", "?") + ": " + e.get("stack_trace", "")[-300:] for e in api.import_errors())
    raise TimeoutError(f"DAGs not parsed after {timeout:.0f}s: {sorted(missing)[:10]} ... import errors: {errors or 'none'}")


def start_runs(api: AirflowApi, dag_ids: list[str], logical_date: date) -> dict[str, str]:
    """Trigger (or replay the failed part of) one run per DAG; idempotent for the same logical date.

    DAGs still paused (with schedules on, new DAGs start paused) are unpaused
    after every run exists, so no run starts while the others are triggered.
    """
    run_id = run_id_for(logical_date)
    stamp = start_of_day(logical_date).isoformat()
    existing = {r["dag_id"]: r for r in api.runs_with_id(run_id)}
    actions = {}
    for dag_id in dag_ids:
        run = existing.get(dag_id)
        if run is None:
            api.trigger(dag_id, run_id, stamp)
            actions[dag_id] = "triggered"
        elif run["state"] == "failed":
            api.clear_failed(dag_id, run_id)
            actions[dag_id] = "replaying failed tasks"
        else:
            actions[dag_id] = f"already {run['state']}"
    paused = api.paused_by_dag()
    for dag_id in dag_ids:
        if paused.get(dag_id, False):
            api.set_paused(dag_id, False)
    return actions


def collect(api: AirflowApi, dag_ids: list[str], logical_date: date) -> tuple[list[PipelineResult], Counter]:
    """Each DAG's run of this date and the task states of them all: two listings, whatever the fleet's size."""
    run_id = run_id_for(logical_date)
    wanted = set(dag_ids)
    tis = [ti for ti in api.task_instances(run_id) if ti["dag_id"] in wanted]
    counts: Counter = Counter(ti["state"] or "none" for ti in tis)
    failed: dict[str, list[str]] = {}
    for ti in tis:
        if ti["state"] == "failed":  # the cause, not its upstream_failed consequences
            failed.setdefault(ti["dag_id"], []).append(ti["task_id"])
    runs = {r["dag_id"]: r for r in api.runs_with_id(run_id)}
    results = []
    for dag_id in dag_ids:
        run = runs.get(dag_id, {})
        results.append(PipelineResult(
            dag_id, dag_id.split("__", 1)[0], run.get("state", "missing"),
            _ts(run.get("start_date")), _ts(run.get("end_date")), sorted(failed.get(dag_id, [])),
        ))
    return results, counts


def model_outcomes(api: AirflowApi, results: list[PipelineResult], logical_date: date) -> dict[str, dict[str, dict]]:
    """Per succeeded pipeline run, its `summarize` task's verdict per model (see RunSummaryOperator)."""
    run_id = run_id_for(logical_date)
    outcomes: dict[str, dict[str, dict]] = {}
    for result in results:
        if result.kind == "pipeline" and result.state == "success":
            summary = api.xcom(result.dag_id, run_id, "summarize") or {}
            outcomes[result.dag_id] = summary.get("models") or {}
    return outcomes


def _ts(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass
class RegistryCounts:
    models: int = 0
    versions: int = 0
    champions: int = 0


def registry_counts(tracking_uri: str) -> dict[str, RegistryCounts]:
    """Per tenant: registered models, their versions, and how many have a `champion` alias."""
    from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook

    client = MlflowRegistryHook(tracking_uri=tracking_uri).client
    counts: dict[str, RegistryCounts] = {}
    for model in client.search_registered_models(max_results=1000):
        entry = counts.setdefault(model.name.split("__", 1)[0], RegistryCounts())
        entry.models += 1
        entry.versions += len(client.search_model_versions(f"name='{model.name}'"))
        entry.champions += CHAMPION in (model.aliases or {})
    return counts
