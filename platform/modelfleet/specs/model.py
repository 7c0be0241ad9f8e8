"""`tenants/<team>/models/<model>.yaml`: one model pipeline, declared as data."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, Field, field_validator, model_validator

from modelfleet.specs.common import IDENTIFIER, Duration, StrictModel
from modelfleet.specs.errors import ValueProblem
from modelfleet.specs.tenant import Monitoring, PriorityTier, TenantSpec

TaskType = Literal["classification", "regression", "ranking", "forecasting"]
Framework = Literal["xgboost", "torch"]
Metric = Literal["auc", "f1", "rmse", "mae", "ndcg", "mape"]
DType = Literal["int", "float", "str", "category", "bool", "datetime"]

METRICS_BY_TASK: dict[str, tuple[str, ...]] = {
    "classification": ("auc", "f1"),
    "regression": ("rmse", "mae"),
    "ranking": ("ndcg",),
    "forecasting": ("mape", "rmse", "mae"),
}
LOWER_IS_BETTER = frozenset({"rmse", "mae", "mape"})
SCHEDULE_PRESETS = frozenset({"@hourly", "@daily", "@weekly", "@monthly", "@once"})


def _import_string(value: str) -> str:
    module, sep, attr = value.partition(":")
    if not sep or not module or not attr.isidentifier() or not all(
        part.isidentifier() for part in module.split(".")
    ):
        raise ValueProblem(
            f"{value!r} is not an import string", "write package.module:function, e.g. payments.datagen:transactions"
        )
    return value


def _cron_or_preset(value: str) -> str:
    if value in SCHEDULE_PRESETS:
        return value
    if value.startswith("@"):
        raise ValueProblem(f"unknown schedule preset {value!r}", f"use one of {sorted(SCHEDULE_PRESETS)} or a cron expression")
    from croniter import croniter  # light, and only needed when a spec is validated

    if len(value.split()) != 5 or not croniter.is_valid(value):
        raise ValueProblem(f"{value!r} is not a valid cron expression", "write five fields, e.g. '0 2 * * *' (02:00 daily)")
    return value


ImportString = Annotated[str, AfterValidator(_import_string)]
CronOrPreset = Annotated[str, AfterValidator(_cron_or_preset)]


DS_PLACEHOLDER = "{ds}"
"""Stands for the logical date in a data path template."""

AIRFLOW_DS = "{{ ds }}"
"""The same, for Airflow to render in a templated field."""


def render_ds(template: str, ds: str) -> str:
    """A data path template for one logical date: `{ds}` becomes `ds` (YYYY-MM-DD, or AIRFLOW_DS)."""
    return template.replace(DS_PLACEHOLDER, ds)


class DataSource(StrictModel):
    """Input data: where it lands and what 'arrived' means for the sensor."""

    path: str = Field(min_length=1, description="Relative to the tenant's data_root, or an s3:// URI under it; `{ds}` is the logical date.")
    format: Literal["parquet", "csv"] = "parquet"
    min_size_bytes: int = Field(default=1, ge=0)
    max_age: Duration = timedelta(days=2)
    generator: ImportString | None = None


class ColumnRule(StrictModel):
    name: str = Field(min_length=1)
    dtype: DType
    nullable: bool = True
    min: float | None = None
    max: float | None = None
    allowed: list[Any] | None = None
    mean_between: tuple[float, float] | None = None
    std_between: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _bounds(self) -> ColumnRule:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueProblem(f"column {self.name!r}: min {self.min} is above max {self.max}", "swap or correct min and max")
        for name in ("mean_between", "std_between"):
            pair = getattr(self, name)
            if pair is not None and pair[0] > pair[1]:
                raise ValueProblem(f"column {self.name!r}: {name} lower bound is above upper", f"write {name}: [low, high]")
        return self


class ValidationRules(StrictModel):
    """Data-quality rules checked before any training happens."""

    columns: list[ColumnRule] = Field(min_length=1)
    min_rows: int = Field(default=1, ge=1)
    max_duplicate_fraction: float = Field(default=0.0, ge=0.0, le=1.0)
    max_null_fraction: float = Field(default=0.05, ge=0.0, le=1.0)
    freshness_column: str | None = None
    max_staleness: Duration | None = None

    @field_validator("columns")
    @classmethod
    def _unique(cls, value: list[ColumnRule]) -> list[ColumnRule]:
        seen: set[str] = set()
        for column in value:
            if column.name in seen:
                raise ValueProblem(f"column {column.name!r} is listed twice", "keep one entry per column")
            seen.add(column.name)
        return value


class Features(StrictModel):
    """The team's feature views, the keys that join them (each a Feast entity `<team>__<key>`), and the label."""

    join_keys: list[str] = Field(min_length=1)
    views: list[str] = Field(min_length=1)
    label: str = Field(min_length=1)
    timestamp_column: str = "event_timestamp"


class Resources(StrictModel):
    device: Literal["cpu", "gpu"] = "cpu"
    gpus: int = Field(default=0, ge=0, le=8)
    gpu_class: str | None = None
    timeout: Duration = timedelta(hours=1)

    @model_validator(mode="after")
    def _gpu_consistency(self) -> Resources:
        if self.device == "gpu" and self.gpus == 0:
            raise ValueProblem("device is gpu but gpus is 0", "set gpus: 1 (or more), or device: cpu")
        if self.device == "cpu" and self.gpus:
            raise ValueProblem(f"device is cpu but gpus is {self.gpus}", "set device: gpu, or remove gpus")
        return self

    @property
    def queue(self) -> str:
        return "gpu" if self.device == "gpu" else "cpu"


Hyperparameters = dict[str, Union[bool, int, float, str]]


class Training(StrictModel):
    hyperparameters: Hyperparameters = Field(default_factory=dict)
    resources: Resources = Field(default_factory=Resources)
    seed: int = 42


class Candidate(StrictModel):
    """A challenger trained in parallel with the main configuration; the better one is deployed."""

    name: str = Field(pattern=IDENTIFIER)
    framework: Framework
    hyperparameters: Hyperparameters = Field(default_factory=dict)
    resources: Resources = Field(default_factory=Resources)


class Evaluation(StrictModel):
    metric: Metric
    threshold: float
    min_improvement: float = Field(default=0.0, ge=0.0)


class Deployment(StrictModel):
    """Where the champion serves: a batch scoring DAG, or the platform's model server (online).

    Every deploy smoke-tests the challenger before `champion` moves; an
    online deploy also smoke-tests it live on the model server first. No
    field turns that off.
    """

    target: Literal["batch", "online"] = "batch"
    scoring_schedule: CronOrPreset | None = None
    """When the batch scoring DAG runs; batch only (an online model is scored per request)."""

    @model_validator(mode="after")
    def _schedule_for_batch_only(self) -> Deployment:
        if self.target == "online" and self.scoring_schedule is not None:
            raise ValueProblem("scoring_schedule is set but target is online (online models get no scoring DAG)",
                               "remove scoring_schedule, or set target: batch")
        return self


class Partitions(StrictModel):
    """Dynamic task mapping: one mapped training task per value."""

    key: str = Field(min_length=1)
    values: list[str] = Field(min_length=1)


class AssetSchedule(StrictModel):
    asset: str = Field(min_length=1)


class ModelSpec(StrictModel):
    """One model pipeline: data -> validation -> features -> train -> evaluate -> register -> deploy."""

    name: str = Field(pattern=IDENTIFIER)
    description: str = ""
    task: TaskType
    framework: Framework
    owners: list[str] = Field(default_factory=list)
    data: DataSource
    validation: ValidationRules
    features: Features
    training: Training = Field(default_factory=Training)
    candidates: list[Candidate] = Field(default_factory=list)
    evaluation: Evaluation
    deployment: Deployment = Field(default_factory=Deployment)
    schedule: CronOrPreset | AssetSchedule = "@daily"
    retries: int = Field(default=3, ge=3, le=10)
    partitions: Partitions | None = None
    tags: list[str] = Field(default_factory=list)
    priority_tier: PriorityTier | None = None
    """This model's tier when it differs from its team's (e.g. a batch model of a critical team)."""
    monitoring: Monitoring = Field(default_factory=Monitoring)
    """Overrides of the team's deadline and drift thresholds for this model (only the keys written)."""

    @field_validator("name")
    @classmethod
    def _name_not_reserved(cls, value: str) -> str:
        """DAG ids are `<team>__<name>`, `<team>__<name>__scoring` and `<team>__features`: keep them apart."""
        if value == "features" or "__" in value:
            raise ValueProblem(f"model name {value!r} is reserved or contains '__'",
                               "choose another name (not 'features', no double underscore) and rename the file")
        return value

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule(cls, value: Any) -> Any:
        """One clear error per schedule form instead of pydantic's one-per-union-member."""
        if isinstance(value, str):
            return _cron_or_preset(value)
        if isinstance(value, dict) and set(value) == {"asset"} and isinstance(value["asset"], str) and value["asset"]:
            return AssetSchedule(asset=value["asset"])
        raise ValueProblem(
            f"schedule {value!r} is neither a cron expression, a preset nor an asset",
            "write a cron string ('0 2 * * *'), a preset ('@daily') or `{asset: <team>__features}`",
        )

    @model_validator(mode="after")
    def _metric_fits_task(self) -> ModelSpec:
        allowed = METRICS_BY_TASK[self.task]
        if self.evaluation.metric not in allowed:
            raise ValueProblem(
                f"evaluation.metric {self.evaluation.metric!r} does not fit task {self.task!r}",
                f"use one of: {', '.join(allowed)}",
            )
        if self.candidates and self.partitions:
            raise ValueProblem(
                "candidates and partitions cannot be combined in one pipeline",
                "split the pipeline in two specs, or drop one of the two keys",
            )
        names = [c.name for c in self.candidates]
        if len(set(names)) != len(names) or "main" in names:
            raise ValueProblem("candidate names must be unique and not 'main'", "rename the candidates")
        return self

    @property
    def gpu_requests(self) -> list[Resources]:
        return [r for r in (self.training.resources, *(c.resources for c in self.candidates)) if r.device == "gpu"]

    @property
    def lower_is_better(self) -> bool:
        return self.evaluation.metric in LOWER_IS_BETTER

    def monitoring_under(self, tenant: TenantSpec) -> Monitoring:
        """This model's effective deadline and drift thresholds: its own keys over its team's."""
        return self.monitoring.overriding(tenant.monitoring)
