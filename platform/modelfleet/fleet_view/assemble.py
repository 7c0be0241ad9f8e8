"""The Fleet page's two views, assembled from Airflow, MLflow and the platform's tables; one code path for the page
and for `modelfleet report`.

Each source that cannot be read is named in `missing` and the rest is still
shown: MLflow down leaves the runs, Airflow's own state is always there (the
page is served by Airflow). `allowed` is the user's readable DAG ids (the
auth manager's answer); a team none of whose DAGs are readable is left out,
and GPU leases of DAGs the user cannot read show as another team's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from modelfleet.fleet_view import airflow_state, platform_state, registry
from modelfleet.monitoring import records
from modelfleet.fleet_view.schema import (
    Champion, Device, DeviceLease, Drift, FleetView, GpuView, Interval, LastRun, Pipeline, SuccessRate, Tenant, TenantGpus,
    TrendPoint,
)

log = logging.getLogger(__name__)

OTHER_TEAM = "another team"
"""What a user sees of a lease held by a DAG they may not read."""


def _iso(value: datetime | float | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(value, tz=timezone.utc)
    return value.isoformat()


def _read(missing: list[str], what: str, read: Callable[[], Any]) -> Any:
    """A source's answer, or None with what failed added to `missing`."""
    try:
        return read()
    except Exception as exc:  # noqa: BLE001 - one unreadable source must not cost the page
        log.warning("fleet view: %s not read: %s", what, exc)
        missing.append(f"{what}: {type(exc).__name__}: {str(exc)[:200]}")
        return None


def _champions(models: list[registry.ModelRow], mlflow_url: str, trace_url: Callable[[str], str] | None) -> list[Champion]:
    """A pipeline's registered models (one, or one per partition), each with its champion and trend."""
    found = []
    for model in sorted(models, key=lambda m: m.name):
        current = next((v for v in model.versions if v.version == model.champion), None)
        trace = current.trace_id if current else None
        found.append(Champion(
            model_name=model.name, version=model.champion,
            metric=next((v.metric for v in reversed(model.versions) if v.metric), None),
            value=current.value if current else None,
            trend=[TrendPoint(version=v.version, logical_date=v.logical_date, value=v.value) for v in model.versions],
            url=registry.version_url(mlflow_url, model.name, model.champion) if model.champion else None,
            trace_id=trace, trace_url=trace_url(trace) if trace and trace_url else None,
        ))
    return found


def _drift(dag_id: str, champions: list[Champion] | None, drift: dict[str, dict[str, Any]] | None) -> Drift:
    if drift is None:
        return Drift(status="unknown")
    names = [c.model_name for c in champions] if champions is not None else [dag_id]
    checks = [drift[n] for n in names if n in drift]
    if not checks:
        return Drift(status="unchecked")
    drifted = [column for check in checks for column in check["columns"]]
    return Drift(status="drifted" if drifted else "ok", columns=sorted(set(drifted)),
                 data_date=max(check["data_date"] for check in checks))


def fleet_view(session: Any, *, base_url: str, mlflow_url: str | None, allowed: set[str] | None = None,
               trace_url: Callable[[str], str] | None = None, now: datetime | None = None,
               read_registry: Callable[[str], dict[str, registry.ModelRow]] = registry.read_models) -> FleetView:
    """Per team, its pipelines: last run, 7-day success, champions with their metric trend, drift, dead letters.

    `read_registry` reads MLflow (the API server passes its registry.CachedModels).
    """
    now = now or datetime.now(timezone.utc)
    missing: list[str] = []
    dags = airflow_state.pipeline_dags(session, allowed)
    ids = {d.dag_id for d in dags}
    last = airflow_state.last_runs(session, ids)
    counts = airflow_state.success_counts(records.finished_runs(session, now - airflow_state.SUCCESS_SINCE), now)
    models = _read(missing, f"MLflow ({mlflow_url})", lambda: read_registry(mlflow_url)) if mlflow_url else None
    by_dag: dict[str, list[registry.ModelRow]] = {}
    for model in (models or {}).values():
        by_dag.setdefault(model.dag_id, []).append(model)
    if mlflow_url is None:
        missing.append("MLflow: no tracking URL configured (MLFLOW_TRACKING_URI)")
    drift = _read(missing, "drift checks (platform database)", platform_state.drift_by_model)
    dead = _read(missing, "dead-letter queue (platform database)", platform_state.open_dead_letters)
    tenants: dict[str, list[Pipeline]] = {}
    for dag in dags:
        run = last.get(dag.dag_id)
        ok, failed = counts.get(dag.dag_id, (0, 0))
        champions = _champions(by_dag.get(dag.dag_id, []), mlflow_url, trace_url) if models is not None and mlflow_url else None
        tenants.setdefault(dag.tenant, []).append(Pipeline(
            dag_id=dag.dag_id, model=airflow_state.model_of(dag.dag_id), paused=dag.paused, broken=dag.broken,
            last_run=LastRun(run_id=run.run_id, state=str(run.state), logical_date=_iso(run.logical_date), end=_iso(run.end),
                             duration_s=run.duration_s, url=airflow_state.run_url(base_url, dag.dag_id, run.run_id)) if run else None,
            success_7d=SuccessRate(succeeded=ok, failed=failed, rate=ok / (ok + failed) if ok + failed else None),
            champions=champions, drift=_drift(dag.dag_id, champions, drift),
            dead_letters=None if dead is None else dead.get(dag.dag_id, 0),
            url=airflow_state.dag_url(base_url, dag.dag_id),
        ))
    return FleetView(generated_at=now.isoformat(), missing=missing, tenants=[
        Tenant(id=tid, pipelines=pipes, runs_7d=sum(p.success_7d.succeeded + p.success_7d.failed for p in pipes),
               failed_7d=sum(p.success_7d.failed for p in pipes),
               dead_letters=None if dead is None else sum(p.dead_letters or 0 for p in pipes))
        for tid, pipes in sorted(tenants.items())])


def _device_lease(lease: Any, visible: bool, now: float) -> DeviceLease:
    """A live lease as the user may see it: whose, or only that it is another team's."""
    return DeviceLease(tenant=lease.tenant if visible else OTHER_TEAM, dag_id=lease.dag_id if visible else "",
                       run_id=lease.run_id if visible else "", task_id=lease.task_id if visible else "",
                       since=_iso(lease.acquired_at), heartbeat_age_s=round(now - lease.heartbeat_at, 1))


def gpu_view(session: Any, *, allowed: set[str] | None = None, now: datetime | None = None) -> GpuView:
    """Every declared device with its live lease, each team's pools (guarantee, in use, borrowed), 24 hours of leases."""
    now = now or datetime.now(timezone.utc)
    stamp = now.timestamp()
    missing: list[str] = []
    visible_tenants = None if allowed is None else {d.tenant for d in airflow_state.pipeline_dags(session, allowed)}

    def shown(dag_id: str) -> bool:
        return allowed is None or dag_id in allowed

    from modelfleet.scheduling.capacity import load_capacity

    capacity = _read(missing, "GPU capacity (infra/capacity.yaml)", load_capacity)
    history = _read(missing, "GPU leases (platform database)",
                    lambda: platform_state.lease_history(stamp - platform_state.TIMELINE_WINDOW.total_seconds())) or []
    held = {(r.gpu_class, r.host, r.device): r for r in history if platform_state.lease_end(r, stamp) is None}
    devices = []
    for device in capacity.devices() if capacity is not None else []:
        lease = held.get((device.gpu_class, device.host, device.index))
        devices.append(Device(gpu_class=device.gpu_class, host=device.host, device=device.index,
                              lease=None if lease is None else _device_lease(lease, shown(lease.dag_id), stamp)))
    pools = _read(missing, "GPU pools (Airflow)", lambda: platform_state.team_pools(session)) or []
    teams = [TenantGpus(tenant=state.tenant, gpu_class=gpu_class, guarantee=state.quota.nominal, pool_slots=state.size,
                        in_use=state.used, borrowed=state.borrowed, waiting=state.waiting_tasks)
             for gpu_class, state in pools if visible_tenants is None or state.tenant in visible_tenants]
    timeline = []
    for lease in history:
        visible = shown(lease.dag_id)
        timeline.append(Interval(gpu_class=lease.gpu_class, host=lease.host, device=lease.device,
                                 tenant=lease.tenant if visible else OTHER_TEAM, dag_id=lease.dag_id if visible else "",
                                 task_id=lease.task_id if visible else "", start=_iso(lease.acquired_at),
                                 end=_iso(platform_state.lease_end(lease, stamp))))
    return GpuView(generated_at=now.isoformat(), devices=devices, tenants=teams, timeline=timeline, missing=missing)
