"""Load every tenant folder into a `Fleet`: valid pipelines plus per-pipeline problems.

Loading never raises for a bad spec. A broken model file removes only its own
pipeline; a broken tenant.yaml removes only that team's pipelines. Everything
else loads, and the problems are reported where teams and on-call look
(placeholder DAGs in the UI, `modelfleet validate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from modelfleet import paths
from modelfleet.specs.data_root import data_root_problems
from modelfleet.specs.errors import SpecError, SpecProblem, from_validation_error, problem
from modelfleet.specs.grants import GrantsView
from modelfleet.specs.model import ModelSpec
from modelfleet.specs.rules import check_model_against_tenant, quota_problems, resolve_data_path
from modelfleet.specs.tenant import TenantSpec

if TYPE_CHECKING:
    from modelfleet.scheduling.capacity import Capacity

TENANT_FILE = "tenant.yaml"
MODELS_DIR = "models"
SpecT = TypeVar("SpecT", bound=BaseModel)
# libyaml's loader parses ~10x faster than the pure-Python one; specs are read on every DAG parse.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def dag_id_for(tenant_id: str, model_name: str) -> str:
    return f"{tenant_id}__{model_name}"


def registered_model_name(dag_id: str, partition: str | None) -> str:
    """The MLflow registered model of a pipeline: its DAG id, plus `__<partition>` per partition."""
    return f"{dag_id}__{partition}" if partition else dag_id


@dataclass(frozen=True)
class PipelineSpec:
    """A valid model spec together with its tenant and where it came from."""

    tenant: TenantSpec
    model: ModelSpec
    file: str
    data_path: str

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.tenant.id, self.model.name)

    @property
    def owners(self) -> list[str]:
        return self.model.owners or self.tenant.owners


@dataclass(frozen=True)
class BrokenPipeline:
    """A model file that could not become a pipeline, and why."""

    tenant_id: str
    model_name: str
    file: str
    problems: list[SpecProblem]

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.tenant_id, self.model_name)


@dataclass
class Fleet:
    tenants: dict[str, TenantSpec] = field(default_factory=dict)
    pipelines: list[PipelineSpec] = field(default_factory=list)
    broken: list[BrokenPipeline] = field(default_factory=list)
    problems: list[SpecProblem] = field(default_factory=list)
    """Problems not tied to one pipeline (a tenant file, fleet-wide rules)."""
    feature_problems: dict[str, list[SpecProblem]] = field(default_factory=dict)
    """Tenant id -> why its feature views cannot be built (its specs disagree about a shared view); also in `problems`."""

    @property
    def all_problems(self) -> list[SpecProblem]:
        seen: dict[str, SpecProblem] = {}
        for item in [*self.problems, *(p for b in self.broken for p in b.problems)]:
            seen.setdefault(str(item), item)
        return list(seen.values())

    def for_tenant(self, tenant_id: str) -> list[PipelineSpec]:
        return [p for p in self.pipelines if p.tenant.id == tenant_id]


def relative_name(path: Path, base: Path) -> str:
    """`tenants/payments/models/x.yaml`: the name a team recognises in its own repo."""
    try:
        return str(path.relative_to(base.parent))
    except ValueError:
        return str(path)


def read_yaml(path: Path, shown: str) -> tuple[dict[str, Any] | None, list[SpecProblem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [problem(shown, "", f"cannot be read: {exc}", "make it a readable UTF-8 text file")]
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        opened = getattr(exc, "context_mark", None)
        if opened is not None:
            reason += f" ({getattr(exc, 'context', None) or 'started'} at line {opened.line + 1})"
        return None, [problem(shown, "", f"is not valid YAML{where}: {reason}", "fix the YAML syntax (indentation, quotes, colons)")]
    if not isinstance(data, dict):
        return None, [problem(shown, "", f"must be a mapping of keys, not {type(data).__name__}", "write `key: value` lines at the top level")]
    return data, []


def build(model: type[SpecT], data: dict[str, Any], shown: str) -> tuple[SpecT | None, list[SpecProblem]]:
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, from_validation_error(shown, exc, model)


def load_tenant(
    tenant_dir: Path, base: Path, fleet_data_root: Path, grants: GrantsView | None = None
) -> tuple[TenantSpec | None, list[SpecProblem]]:
    """The team's tenant.yaml, or why it cannot be used: schema, id and a data_root that is the team's own."""
    path = tenant_dir / TENANT_FILE
    shown = relative_name(path, base)
    if not path.is_file():
        return None, [problem(shown, "", "is missing", f"add {shown} (copy another team's as a start; see docs/tenants.md)")]
    data, problems = read_yaml(path, shown)
    if data is None:
        return None, problems
    tenant, problems = build(TenantSpec, data, shown)
    if tenant is not None and tenant.id != tenant_dir.name:
        return None, [problem(shown, "id", f"id {tenant.id!r} differs from the folder name {tenant_dir.name!r}", f"set id: {tenant_dir.name}, or rename the folder")]
    if tenant is not None:
        problems = data_root_problems(shown, tenant, fleet_data_root, grants or GrantsView.load())
        if problems:
            return None, problems
    return tenant, problems


@dataclass(frozen=True)
class CapacityView:
    """The declared GPU capacity as loading sees it: the capacity, or why it could not be read."""

    capacity: Capacity | None
    problems: list[SpecProblem]

    @classmethod
    def load(cls) -> CapacityView:
        from modelfleet.scheduling.capacity import load_capacity

        try:
            return cls(load_capacity(), [])
        except SpecError as exc:
            return cls(None, exc.problems)


def load_model(
    path: Path, base: Path, tenant: TenantSpec, fleet_data_root: Path, tenant_ids: set[str],
    capacity: CapacityView | None = None,
) -> PipelineSpec | BrokenPipeline:
    shown = relative_name(path, base)
    data, problems = read_yaml(path, shown)
    spec: ModelSpec | None = None
    if data is not None:
        spec, problems = build(ModelSpec, data, shown)
    if spec is not None and spec.name != path.stem:
        problems = [problem(shown, "name", f"name {spec.name!r} differs from the file name {path.stem!r}", f"set name: {path.stem}, or rename the file")]
    if spec is not None and not problems:
        capacity = capacity or CapacityView.load()
        if spec.gpu_requests and capacity.problems:  # a GPU pipeline cannot be checked (or run) without capacity
            problems = capacity.problems
        else:
            problems = check_model_against_tenant(shown, tenant, spec, fleet_data_root, tenant_ids, capacity.capacity)
    if spec is None or problems:
        return BrokenPipeline(tenant.id, path.stem, shown, problems)
    return PipelineSpec(tenant, spec, shown, resolve_data_path(tenant, spec, fleet_data_root))


def tenant_dirs(base: Path) -> list[Path]:
    """The team folders under `base` (tenants/<team>/), in sorted order."""
    if not base.is_dir():
        return []
    return sorted(d for d in base.iterdir() if d.is_dir() and not d.name.startswith((".", "_")) and d.name != "__pycache__")


def load_fleet(
    base: Path | None = None, fleet_data_root: Path | None = None, only_tenant: str | None = None
) -> Fleet:
    """Load all tenants (or one) in sorted order; never raises for a bad spec."""
    base = (base or paths.tenants_dir()).resolve()
    fleet_data_root = fleet_data_root or paths.data_root()
    fleet = Fleet()
    if not base.is_dir():
        fleet.problems.append(problem(str(base), "", "tenants folder does not exist", "create tenants/<team>/tenant.yaml"))
        return fleet
    dirs = tenant_dirs(base)
    tenant_ids = {d.name for d in dirs}
    capacity, grants = CapacityView.load(), GrantsView.load()
    for tenant_dir in dirs:
        if only_tenant and tenant_dir.name != only_tenant:
            continue
        tenant, problems = load_tenant(tenant_dir, base, fleet_data_root, grants)
        model_files = sorted((tenant_dir / MODELS_DIR).glob("*.yaml")) + sorted((tenant_dir / MODELS_DIR).glob("*.yml"))
        if tenant is None:
            fleet.problems.extend(problems)
            for path in model_files:
                shown = relative_name(path, base)
                not_loaded = problem(shown, "", f"not loaded: the team's {TENANT_FILE} is invalid", f"fix {relative_name(tenant_dir / TENANT_FILE, base)} first")
                fleet.broken.append(BrokenPipeline(tenant_dir.name, path.stem, shown, [not_loaded, *problems]))  # the why, in the DAG's doc too
            continue
        fleet.tenants[tenant.id] = tenant
        for path in model_files:
            loaded = load_model(path, base, tenant, fleet_data_root, tenant_ids, capacity)
            (fleet.pipelines if isinstance(loaded, PipelineSpec) else fleet.broken).append(loaded)  # type: ignore[arg-type]
        _check_feature_views(fleet, tenant.id)
    if not only_tenant:
        fleet.problems.extend(capacity.problems)
        fleet.problems.extend(grants.problems)
        if capacity.capacity is not None:
            shown = {tid: relative_name(base / tid / TENANT_FILE, base) for tid in fleet.tenants}
            fleet.problems.extend(quota_problems(fleet.tenants, capacity.capacity, shown))
    return fleet


def load_tenants(base: Path | None = None, fleet_data_root: Path | None = None) -> Fleet:
    """Only the teams' tenant.yaml files, no model specs: for views of the whole fleet that must stay cheap at any size."""
    base = (base or paths.tenants_dir()).resolve()
    fleet_data_root = fleet_data_root or paths.data_root()
    fleet = Fleet()
    grants = GrantsView.load()
    for tenant_dir in tenant_dirs(base):
        tenant, problems = load_tenant(tenant_dir, base, fleet_data_root, grants)
        if tenant is None:
            fleet.problems.extend(problems)
        else:
            fleet.tenants[tenant.id] = tenant
    return fleet


def _check_feature_views(fleet: Fleet, tenant_id: str) -> None:
    """Record a team's specs that disagree about a shared view, so `validate` says what the feature DAG's placeholder says."""
    from modelfleet.features.definitions import tenant_definitions  # built from PipelineSpecs: it imports this module

    pipelines = fleet.for_tenant(tenant_id)
    if not pipelines:
        return
    try:
        tenant_definitions(pipelines, tenant_id)
    except SpecError as exc:
        fleet.feature_problems[tenant_id] = exc.problems
        fleet.problems.extend(exc.problems)


def load_pipeline(tenant_id: str, model_name: str, base: Path | None = None) -> PipelineSpec:
    """One pipeline's spec, as a task re-reads it at run time; raises SpecError if invalid."""
    fleet = load_fleet(base, only_tenant=tenant_id)
    dag_id = dag_id_for(tenant_id, model_name)
    for pipeline in fleet.pipelines:
        if pipeline.dag_id == dag_id:
            return pipeline
    problems = [p for b in fleet.broken if b.dag_id == dag_id for p in b.problems] or fleet.problems
    raise SpecError(problems or [problem(f"tenants/{tenant_id}/models/{model_name}.yaml", "", "no such pipeline", "check the tenant and model names")])
