"""The fleet's GPU pools: their names, the live state the quota plan reads, and writing the sizes it decides.

Pools are generated, never hand-made: every team gets, per GPU class of its
quota, a pool for 1-GPU tasks (`<team>__gpu_<class>`) and one per larger task
size its specs use (`<team>__gpu_<class>_x<k>`). A k-GPU task takes k slots.

Reading and writing go through Airflow's ORM in the calling process (the
quota controller is a platform component like the scheduler; `pools sync` is
an operator command): one transaction per step instead of a CLI call per pool.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelfleet.scheduling.capacity import Capacity
from modelfleet.scheduling.quota import ClassPlan, PoolState, TenantState, plan_class

if TYPE_CHECKING:
    from modelfleet.specs.loader import Fleet

POOL_DESCRIPTION = "modelfleet GPU pool ({detail}); sized by the quota controller from infra/capacity.yaml and tenant quotas"
_POOL_NAME = re.compile(r"^(?P<tenant>[a-z][a-z0-9_]*)__gpu_(?P<cls>[a-z][a-z0-9]*)(?:_x(?P<k>\d+))?$")


def gpu_pool_name(tenant_id: str, gpu_class: str, gpus: int = 1) -> str:
    """The pool a team's task needing `gpus` GPUs of `gpu_class` waits in."""
    return f"{tenant_id}__gpu_{gpu_class}" + (f"_x{gpus}" if gpus > 1 else "")


def parse_pool_name(name: str) -> tuple[str, str, int] | None:
    """(tenant, class, gpus per task) of a modelfleet GPU pool; None for any other pool."""
    match = _POOL_NAME.match(name)
    return (match["tenant"], match["cls"], int(match["k"] or 1)) if match else None


@dataclass(frozen=True)
class PoolLayout:
    """Which pools exist: per class, per team, the task sizes (always 1, plus every size the team's specs ask for)."""

    sizes: dict[str, dict[str, tuple[int, ...]]]
    """class -> tenant -> task sizes."""

    @classmethod
    def of(cls, fleet: Fleet, capacity: Capacity) -> PoolLayout:
        asked: dict[tuple[str, str], set[int]] = defaultdict(lambda: {1})
        for pipeline in fleet.pipelines:
            for resources in pipeline.model.gpu_requests:
                if resources.gpu_class:
                    asked[(pipeline.tenant.id, resources.gpu_class)].add(resources.gpus)
        sizes: dict[str, dict[str, tuple[int, ...]]] = {}
        for gpu_class in capacity.classes_with_devices():
            sizes[gpu_class] = {tid: tuple(sorted(asked[(tid, gpu_class)])) for tid, tenant in sorted(fleet.tenants.items())
                                if gpu_class in tenant.gpu_quota}
        return cls(sizes)

    @classmethod
    def from_pool_names(cls, names: list[str], fleet: Fleet) -> PoolLayout:
        """The layout of the pools Airflow has (what `pools sync` wrote) for the quotas still declared: no spec is read."""
        sizes: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
        for name in names:
            parsed = parse_pool_name(name)
            tenant = fleet.tenants.get(parsed[0]) if parsed is not None else None
            if parsed is not None and tenant is not None and parsed[1] in tenant.gpu_quota:
                sizes[parsed[1]][parsed[0]].add(parsed[2])
        return cls({c: {t: tuple(sorted(ks)) for t, ks in sorted(teams.items())} for c, teams in sorted(sizes.items())})

    def names(self) -> list[str]:
        return sorted(gpu_pool_name(tid, cls, k) for cls, teams in self.sizes.items() for tid, ks in teams.items() for k in ks)


def read_states(fleet: Fleet, layout: PoolLayout, session: Any) -> dict[str, list[TenantState]]:
    """Per class, every team's pools as the scheduler sees them: size, occupied slots, waiting tasks' priorities."""
    from airflow.models.pool import Pool
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.state import TaskInstanceState
    from sqlalchemy import select

    stats = Pool.slots_stats(session=session)
    names = layout.names()
    waiting: dict[str, list[int]] = defaultdict(list)
    rows = session.execute(select(TaskInstance.pool, TaskInstance.priority_weight)
                           .where(TaskInstance.state == TaskInstanceState.SCHEDULED, TaskInstance.pool.in_(names)))
    for pool, weight in rows:
        waiting[pool].append(int(weight or 0))
    states: dict[str, list[TenantState]] = {}
    for gpu_class, teams in layout.sizes.items():
        states[gpu_class] = []
        for tid, ks in teams.items():
            pools = []
            for k in ks:
                name = gpu_pool_name(tid, gpu_class, k)
                stat = stats.get(name, {"total": 0, "running": 0, "queued": 0})
                pools.append(PoolState(name, k, int(stat["total"]), int(stat["running"]) + int(stat["queued"]),
                                       tuple(sorted(waiting[name], reverse=True))))
            states[gpu_class].append(_tenant_state(fleet, tid, gpu_class, pools))
    return states


def idle_states(fleet: Fleet, layout: PoolLayout) -> dict[str, list[TenantState]]:
    """Per class, every team's pools as a fresh database has them: none yet, nothing running or waiting."""
    return {gpu_class: [_tenant_state(fleet, tid, gpu_class, [PoolState(gpu_pool_name(tid, gpu_class, k), k, 0, 0) for k in ks])
                        for tid, ks in teams.items()]
            for gpu_class, teams in layout.sizes.items()}


def _tenant_state(fleet: Fleet, tenant_id: str, gpu_class: str, pools: list[PoolState]) -> TenantState:
    tenant = fleet.tenants[tenant_id]
    return TenantState(tenant_id, tenant.gpu_quota[gpu_class], tenant.priority_weight, tuple(pools))


def plan(fleet: Fleet, capacity: Capacity, layout: PoolLayout, session: Any, lend: bool) -> list[ClassPlan]:
    states = read_states(fleet, layout, session)
    return [plan_class(cls, capacity.total(cls), teams, lend=lend) for cls, teams in sorted(states.items())]


def guarantee_plans(fleet: Fleet, capacity: Capacity, layout: PoolLayout | None = None) -> list[ClassPlan]:
    """The fleet's guarantees, planned by the same code as the pools: what `pools sync` writes to a fresh database.

    Per class, `granted` is each team's guaranteed GPUs and `sizes` their
    split over its pools. On Kubernetes the same numbers become the teams'
    ClusterQueue nominal quotas (modelfleet.k8s.kueue), so one quota file
    drives both.
    """
    layout = layout or PoolLayout.of(fleet, capacity)
    return [plan_class(cls, capacity.total(cls), teams, lend=False) for cls, teams in sorted(idle_states(fleet, layout).items())]


def write_sizes(plans: list[ClassPlan], session: Any) -> dict[str, tuple[int, int]]:
    """Apply the plans: every shrink is committed before any pool grows, so a crash in between is safe.

    A modelfleet GPU pool that no plan names any more (a team or task size
    gone) is shrunk to 0. Returns pool -> (old size, new size) of the pools that changed.
    """
    from airflow.models.pool import Pool
    from sqlalchemy import select

    current = {p.pool: p for p in session.scalars(select(Pool)) if parse_pool_name(p.pool)}
    changes: dict[str, tuple[int, int]] = {}
    wanted = {name: 0 for name in current}
    wanted.update({name: size for pl in plans for name, size in pl.sizes.items()})
    shrinks = {n: s for n, s in wanted.items() if n in current and s < current[n].slots}
    grows = {n: s for n, s in wanted.items() if n not in current or s > current[n].slots}
    for step in (shrinks, grows):
        for name, size in sorted(step.items()):
            old = current[name].slots if name in current else 0
            parsed = parse_pool_name(name)
            detail = f"team {parsed[0]}, {parsed[1]}, {parsed[2]} GPU(s) per task" if parsed else name
            Pool.create_or_update_pool(name, size, POOL_DESCRIPTION.format(detail=detail), include_deferred=False, session=session)
            changes[name] = (old, size)
        session.commit()
    return changes
