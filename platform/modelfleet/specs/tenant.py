"""`tenants/<team>/tenant.yaml`: who a team is and what it may use."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from modelfleet.specs.common import IDENTIFIER, StrictModel
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


class TenantSpec(StrictModel):
    """A team: identity, ownership, alert routes and its share of the fleet."""

    id: str = Field(pattern=IDENTIFIER)
    name: str = Field(min_length=1)
    owners: list[str] = Field(min_length=1)
    alerts: AlertRoutes = Field(default_factory=AlertRoutes)
    gpu_quota: int = Field(default=0, ge=0)
    priority_tier: PriorityTier = "standard"
    allowed_queues: list[Queue] = Field(default_factory=lambda: ["cpu"], min_length=1)
    data_root: str = Field(min_length=1)

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
