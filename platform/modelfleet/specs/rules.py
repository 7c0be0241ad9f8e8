"""Rules that need a model spec *and* its tenant: what a team may reach.

Schemas check one file; these check that a team names only its own data,
feature views, queues, code and GPU share, so one tenant can never reach
into another's pipelines.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from modelfleet.specs.errors import SpecProblem, problem
from modelfleet.specs.model import ModelSpec
from modelfleet.specs.tenant import TenantSpec

if TYPE_CHECKING:
    from modelfleet.scheduling.capacity import Capacity


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
    file: str, tenant: TenantSpec, model: ModelSpec, fleet_data_root: Path, tenant_ids: set[str],
    capacity: Capacity | None = None,
) -> list[SpecProblem]:
    """Every rule between one model spec and its tenant; GPU requests are checked against `capacity` when given."""
    problems: list[SpecProblem] = []
    problems += _data_path(file, tenant, model, fleet_data_root)
    problems += _feature_views(file, tenant, model, tenant_ids)
    problems += _queues_and_gpus(file, tenant, model, capacity)
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


def _queues_and_gpus(file: str, tenant: TenantSpec, model: ModelSpec, capacity: Capacity | None) -> list[SpecProblem]:
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
        if resources.device == "gpu" and capacity is not None:
            problems += gpu_request_problems(file, field, tenant, resources.gpu_class, resources.gpus, capacity)
    return problems


def gpu_request_problems(file: str, field: str, tenant: TenantSpec, gpu_class: str | None, gpus: int,
                         capacity: Capacity) -> list[SpecProblem]:
    """A GPU request the fleet can never serve: unknown class, more than one host holds, beyond the team's quota."""
    classes = capacity.classes_with_devices()
    if gpu_class is None:
        return [problem(file, f"{field}.gpu_class", "a GPU task must name its GPU class", f"set gpu_class: one of {classes}")]
    if capacity.total(gpu_class) == 0:
        return [problem(file, f"{field}.gpu_class", f"no host has GPU class {gpu_class!r}",
                        f"use one of {classes} (declared in infra/capacity.yaml)")]
    largest = capacity.largest_host(gpu_class)
    if gpus > largest:
        return [problem(file, f"{field}.gpus", f"asks for {gpus} {gpu_class} GPUs but the largest {gpu_class} host holds {largest}",
                        f"ask for at most {largest} (a task runs on one host), or add a larger host to infra/capacity.yaml")]
    quota = tenant.gpu_quota.get(gpu_class)
    if quota is None:
        owned = sorted(tenant.gpu_quota)
        return [problem(file, f"{field}.gpu_class", f"the team has no {gpu_class} quota",
                        f"use a class the team has ({owned or 'none'}), or ask platform on-call to add gpu_quota.{gpu_class} to tenant.yaml")]
    most = quota.most_usable(capacity.total(gpu_class))
    if gpus > most:
        return [problem(file, f"{field}.gpus",
                        f"asks for {gpus} {gpu_class} GPUs but the team can hold at most {most} "
                        f"(nominal {quota.nominal} + borrowing_limit {quota.borrowing_limit})",
                        f"ask for at most {most}, or raise gpu_quota.{gpu_class} in tenant.yaml with platform on-call")]
    return []


def quota_problems(tenants: dict[str, TenantSpec], capacity: Capacity, shown: dict[str, str]) -> list[SpecProblem]:
    """Fleet-wide: quotas only for classes the fleet has, and guarantees that never sum above a class's capacity.

    `shown` maps a tenant id to its tenant.yaml as the team sees it.
    """
    problems = []
    for tid, tenant in sorted(tenants.items()):
        for gpu_class in sorted(tenant.gpu_quota):
            if capacity.total(gpu_class) == 0:
                problems.append(problem(shown[tid], f"gpu_quota.{gpu_class}", f"no host has GPU class {gpu_class!r}",
                                        f"use one of {capacity.classes_with_devices()} (infra/capacity.yaml)"))
    for gpu_class in capacity.classes_with_devices():
        holders = {tid: t.gpu_quota[gpu_class].nominal for tid, t in sorted(tenants.items()) if gpu_class in t.gpu_quota}
        total, available = sum(holders.values()), capacity.total(gpu_class)
        if total > available:
            who = ", ".join(f"{tid} {n}" for tid, n in holders.items() if n)
            problems += [
                problem(shown[tid], f"gpu_quota.{gpu_class}.nominal",
                        f"the teams' guaranteed {gpu_class} GPUs add up to {total} ({who}) but the fleet has {available}",
                        f"lower nominal quotas to a total of {available}, or add {gpu_class} hosts to infra/capacity.yaml")
                for tid, n in holders.items() if n
            ]
    return problems
