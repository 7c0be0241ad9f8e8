"""Rules that need a model spec *and* its tenant: what a team may reach.

Schemas check one file; these check that a team names only its own data,
feature views, queues, code and GPU share, so one tenant can never reach
into another's pipelines.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from modelfleet.specs.errors import SpecProblem, problem
from modelfleet.specs.model import ModelSpec
from modelfleet.specs.tenant import TenantSpec


def tenant_data_root(tenant: TenantSpec, fleet_data_root: Path) -> str:
    """The tenant's data root as an absolute path or an s3:// URI (no trailing slash)."""
    if tenant.s3_data_root:
        return tenant.data_root.rstrip("/")
    root = Path(tenant.data_root)
    return str(root if root.is_absolute() else (fleet_data_root / root).resolve())


def resolve_data_path(tenant: TenantSpec, model: ModelSpec, fleet_data_root: Path) -> str:
    """Where this model's input lives: an absolute local path or an s3:// URI."""
    root = tenant_data_root(tenant, fleet_data_root)
    path = model.data.path
    if path.startswith("s3://") or Path(path).is_absolute():
        return path
    if root.startswith("s3://"):
        return f"{root}/{PurePosixPath(path)}"
    return str(Path(root, path).resolve())


def check_model_against_tenant(
    file: str, tenant: TenantSpec, model: ModelSpec, fleet_data_root: Path, tenant_ids: set[str]
) -> list[SpecProblem]:
    problems: list[SpecProblem] = []
    problems += _data_path(file, tenant, model, fleet_data_root)
    problems += _feature_views(file, tenant, model, tenant_ids)
    problems += _queues_and_gpus(file, tenant, model)
    if model.data.generator and not model.data.generator.startswith(f"{tenant.id}."):
        problems.append(
            problem(
                file,
                "data.generator",
                f"{model.data.generator!r} is not in this team's package",
                f"point it at code in tenants/{tenant.id}/, e.g. {tenant.id}.datagen:<function>",
            )
        )
    schedule = model.schedule
    if not isinstance(schedule, str) and not schedule.asset.startswith(f"{tenant.id}__"):
        problems.append(
            problem(file, "schedule.asset", f"asset {schedule.asset!r} is not this team's", f"use an asset named {tenant.id}__<name>")
        )
    return problems


def _data_path(file: str, tenant: TenantSpec, model: ModelSpec, fleet_data_root: Path) -> list[SpecProblem]:
    root = tenant_data_root(tenant, fleet_data_root)
    raw = model.data.path
    fix = f"use a path relative to the team's data_root ({tenant.data_root}) without '..'"
    if ".." in PurePosixPath(raw.removeprefix("s3://")).parts:
        return [problem(file, "data.path", f"{raw!r} climbs out of the data root with '..'", fix)]
    resolved = resolve_data_path(tenant, model, fleet_data_root)
    if root.startswith("s3://") or resolved.startswith("s3://"):
        if not (resolved == root or resolved.startswith(root + "/")):
            return [problem(file, "data.path", f"{raw!r} lies outside the team's data root {root}", fix)]
        return []
    real = Path(resolved).resolve()  # follows symlinks: a link out of the root is caught here
    if not real.is_relative_to(Path(root).resolve()):
        how = "is a symlink that leads" if Path(resolved).is_symlink() or real != Path(resolved) else "lies"
        return [problem(file, "data.path", f"{raw!r} {how} outside the team's data root {root}", fix)]
    return []


def _feature_views(file: str, tenant: TenantSpec, model: ModelSpec, tenant_ids: set[str]) -> list[SpecProblem]:
    problems = []
    for index, view in enumerate(model.features.views):
        if view.startswith(f"{tenant.id}__"):
            continue
        owner = next((t for t in sorted(tenant_ids) if view.startswith(f"{t}__")), None)
        reason = f"belongs to tenant {owner!r}" if owner else "does not carry this team's prefix"
        problems.append(
            problem(
                file,
                f"features.views[{index}]",
                f"feature view {view!r} {reason}",
                f"use this team's views, named {tenant.id}__<view>; ask the other team to publish a shared view",
            )
        )
    return problems


def _queues_and_gpus(file: str, tenant: TenantSpec, model: ModelSpec) -> list[SpecProblem]:
    problems = []
    configs = [("training.resources", model.training.resources)] + [
        (f"candidates[{i}].resources", c.resources) for i, c in enumerate(model.candidates)
    ]
    for field, resources in configs:
        if resources.queue not in tenant.allowed_queues:
            problems.append(
                problem(
                    file,
                    f"{field}.device",
                    f"queue {resources.queue!r} is not among the team's allowed_queues {tenant.allowed_queues}",
                    "use an allowed device, or ask platform on-call to allow the queue in tenant.yaml",
                )
            )
        if resources.gpus > tenant.gpu_quota:
            problems.append(
                problem(
                    file,
                    f"{field}.gpus",
                    f"asks for {resources.gpus} GPUs but the team's gpu_quota is {tenant.gpu_quota}",
                    f"ask for at most {tenant.gpu_quota} GPUs, or raise gpu_quota in tenant.yaml with platform on-call",
                )
            )
    return problems
