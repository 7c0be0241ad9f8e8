"""Strict, tenant-owned pipeline specs: schemas, loading, and the rules of what each tenant may reach."""

from modelfleet.specs.errors import SpecError, SpecProblem
from modelfleet.specs.loader import Fleet, PipelineSpec, load_fleet
from modelfleet.specs.model import ModelSpec
from modelfleet.specs.tenant import TenantSpec

__all__ = [
    "Fleet",
    "ModelSpec",
    "PipelineSpec",
    "SpecError",
    "SpecProblem",
    "TenantSpec",
    "load_fleet",
]
