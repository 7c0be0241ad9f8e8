"""The JSON the Fleet page's endpoints answer with (FastAPI documents it at /fleet/docs), and the report reads."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LastRun(BaseModel):
    run_id: str
    state: str
    logical_date: str | None = None
    end: str | None = None
    duration_s: float | None = None
    url: str
    """The run in the Airflow UI."""


class SuccessRate(BaseModel):
    succeeded: int = 0
    failed: int = 0
    rate: float | None = None
    """succeeded / (succeeded + failed); None without finished runs in the window."""


class TrendPoint(BaseModel):
    version: str
    logical_date: str | None = None
    value: float | None = None
    """The version's hold-out metric when it was registered (version tag `holdout_metric`)."""


class Champion(BaseModel):
    model_name: str
    """The registered model (a partitioned pipeline has one per partition)."""
    version: str | None = None
    """The version alias `champion` points at; None before the first deploy."""
    metric: str | None = None
    value: float | None = None
    trend: list[TrendPoint] = Field(default_factory=list)
    """Every registered version in order, the champion's included."""
    url: str | None = None
    """The version in the MLflow UI."""
    trace_id: str | None = None
    trace_url: str | None = None
    """The spans of the DAG run that trained it (the platform's trace receiver)."""


class Drift(BaseModel):
    status: str
    """`ok`, `drifted` or `unchecked`."""
    columns: list[str] = Field(default_factory=list)
    """The drifted columns of the latest check."""
    data_date: str | None = None


class Pipeline(BaseModel):
    dag_id: str
    model: str
    paused: bool = False
    broken: bool = False
    """A placeholder DAG of a spec that does not validate (tag `broken-spec`)."""
    last_run: LastRun | None = None
    success_7d: SuccessRate = Field(default_factory=SuccessRate)
    champions: list[Champion] | None = None
    """None when MLflow could not be read."""
    drift: Drift = Field(default_factory=lambda: Drift(status="unchecked"))
    dead_letters: int | None = 0
    """Open dead-letter entries; None when the queue could not be read."""
    url: str


class Tenant(BaseModel):
    id: str
    pipelines: list[Pipeline]
    runs_7d: int
    """Finished runs of the team's pipelines in 7 days: 0 reads 'no runs yet'."""
    failed_7d: int
    dead_letters: int | None


class FleetView(BaseModel):
    generated_at: str
    tenants: list[Tenant]
    missing: list[str] = Field(default_factory=list)
    """What could not be read (MLflow unreachable, ...): the page says so and shows the rest."""


class DeviceLease(BaseModel):
    tenant: str
    dag_id: str
    run_id: str
    task_id: str
    since: str
    heartbeat_age_s: float


class Device(BaseModel):
    gpu_class: str
    host: str
    device: int
    lease: DeviceLease | None = None


class TenantGpus(BaseModel):
    tenant: str
    gpu_class: str
    guarantee: int
    pool_slots: int
    in_use: int
    borrowed: int
    waiting: int


class Interval(BaseModel):
    gpu_class: str
    host: str
    device: int
    tenant: str
    dag_id: str
    task_id: str
    start: str
    end: str | None = None
    """None while held."""


class GpuView(BaseModel):
    generated_at: str
    devices: list[Device]
    tenants: list[TenantGpus]
    timeline: list[Interval]
    """Every lease of the last 24 hours, per device."""
    missing: list[str] = Field(default_factory=list)
