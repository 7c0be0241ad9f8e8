"""`tenants/<team>/tenant.yaml`: who a team is and what it may use."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelfleet.specs.common import IDENTIFIER, Duration, StrictModel
from modelfleet.specs.errors import ValueProblem

PriorityTier = Literal["critical", "high", "standard", "batch"]
Queue = Literal["cpu", "gpu"]

PRIORITY_WEIGHTS: dict[str, int] = {"critical": 1000, "high": 100, "standard": 10, "batch": 1}
"""Tier -> absolute priority_weight: strict within a pool, so tiers never interleave."""


class AlertRoutes(StrictModel):
    """Where a team's alerts go. Secrets stay in Airflow connections, named here by id."""

    slack_conn_id: str | None = None
    pagerduty_conn_id: str | None = None
    email: list[str] = Field(default_factory=list)

    @field_validator("email")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for address in value:
            if "@" not in address or address.startswith("@") or address.endswith("@"):
                raise ValueProblem(f"{address!r} is not an e-mail address", "write name@domain")
        return value


class GpuQuota(StrictModel):
    """A team's share of one GPU class, with Kueue's meaning of each limit.

    `nominal` GPUs are guaranteed: the team gets them back whenever it has
    work for them. `borrowing_limit`: how many GPUs beyond `nominal` it may
    borrow from idle guarantees (null: no limit beyond the class's capacity).
    `lending_limit`: how many of its `nominal` GPUs others may borrow while
    it has no work for them (null: all of them).
    """

    nominal: int = Field(ge=0)
    borrowing_limit: int | None = Field(default=None, ge=0)
    lending_limit: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _lend_only_what_is_guaranteed(self) -> GpuQuota:
        if self.lending_limit is not None and self.lending_limit > self.nominal:
            raise ValueProblem(f"lending_limit {self.lending_limit} is above nominal {self.nominal}",
                               f"lend at most the guaranteed GPUs: lending_limit <= {self.nominal}")
        return self

    @property
    def lendable(self) -> int:
        """The most of the guarantee others may hold at once."""
        return self.nominal if self.lending_limit is None else self.lending_limit

    def most_usable(self, capacity: int) -> int:
        """The most GPUs of the class the team can ever hold at once (guarantee plus borrowing)."""
        return capacity if self.borrowing_limit is None else min(capacity, self.nominal + self.borrowing_limit)


class DriftThresholds(StrictModel):
    """When the monitoring DAG calls a feature (or the predictions) drifted from the champion's training data.

    Numeric columns drift when both hold: PSI >= `psi_threshold` (the shift is
    large) and the two-sample KS p-value < `ks_pvalue` (it is not chance).
    Categorical columns have no KS test: PSI alone decides.
    """

    psi_threshold: float = Field(default=0.2, gt=0.0)
    ks_pvalue: float = Field(default=0.01, gt=0.0, lt=1.0)


class Monitoring(StrictModel):
    """What on-call is alerted about; in tenant.yaml for every model of the team, in a model spec for that model.

    A model's block overrides only the keys it writes; the rest come from the
    team's block, then from these defaults.
    """

    deadline: Duration = timedelta(hours=2)
    """A run must finish within this long after it is queued (Airflow Deadline Alert), else the team is alerted."""
    drift: DriftThresholds = Field(default_factory=DriftThresholds)

    def overriding(self, base: Monitoring) -> Monitoring:
        """`base` with the keys written in this block (and in its `drift`) replaced by this block's values."""
        drift = base.drift.model_copy(update={k: getattr(self.drift, k) for k in self.drift.model_fields_set})
        update = {k: getattr(self, k) for k in self.model_fields_set if k != "drift"}
        return base.model_copy(update={**update, "drift": drift})


class TenantSpec(StrictModel):
    """A team: identity, ownership, alert routes and its share of the fleet."""

    id: str = Field(pattern=IDENTIFIER)
    name: str = Field(min_length=1)
    owners: list[str] = Field(min_length=1)
    alerts: AlertRoutes = Field(default_factory=AlertRoutes)
    gpu_quota: dict[str, GpuQuota] = Field(default_factory=dict)
    """GPU class -> the team's quota of it; a class not listed is one the team cannot use."""
    priority_tier: PriorityTier = "standard"
    allowed_queues: list[Queue] = Field(default_factory=lambda: ["cpu"], min_length=1)
    data_root: str = Field(min_length=1)
    monitoring: Monitoring = Field(default_factory=Monitoring)
    """Deadline and drift thresholds of every model of the team, unless a model spec overrides them."""

    @field_validator("owners")
    @classmethod
    def _owners(cls, value: list[str]) -> list[str]:
        for owner in value:
            if not (owner.startswith("@") or "@" in owner):
                raise ValueProblem(
                    f"owner {owner!r} is neither a code-host handle nor an e-mail",
                    "write @user, @org/team or name@domain",
                )
        return value

    @model_validator(mode="after")
    def _own_connections_only(self) -> TenantSpec:
        for field in ("slack_conn_id", "pagerduty_conn_id"):
            conn_id = getattr(self.alerts, field)
            if conn_id and not conn_id.startswith(f"{self.id}_"):
                raise ValueProblem(
                    f"alerts.{field} {conn_id!r} is not this tenant's connection",
                    f"name the connection with this tenant's prefix, e.g. {self.id}_slack",
                )
        return self

    @property
    def priority_weight(self) -> int:
        return PRIORITY_WEIGHTS[self.priority_tier]

    @property
    def s3_data_root(self) -> bool:
        return self.data_root.startswith("s3://")
