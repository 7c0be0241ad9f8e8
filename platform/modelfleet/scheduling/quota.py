"""Kueue's quota semantics on Airflow pools: guarantees, borrowing, lending and reclaim, planned as pool sizes.

A pure function of what is running and waiting: no I/O, so every rule is
tested on its own (tests/unit/modelfleet/scheduling/test_quota.py).

Per GPU class, each team has `nominal` GPUs guaranteed. Guarantees a team is
not using (up to its `lending_limit`) and capacity nobody is guaranteed are
lent to teams with waiting GPU work (up to their `borrowing_limit`), higher
priority tiers first, then the team that borrows least. A team whose waiting
work comes back reclaims its guarantee: borrowers' pools shrink at once, but
Airflow never stops a running task, so each reclaimed GPU is handed back only
when the borrowed task on it has ended.

Invariant of every plan, for every class, at every instant:

    sum over teams of max(GPUs its pools may hold, GPUs its tasks hold) <= capacity

so a task admitted by any pool always finds a free device.

Within a team, each task size has a pool of its own (`<team>__gpu_<class>`
for 1-GPU tasks, `..._x<k>` for k-GPU tasks), and waiting tasks are served
in priority order with reservation: when the most urgent waiting task needs
more GPUs than are free, the free ones are held for it instead of going to
smaller, less urgent tasks (upstream issue 29474).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelfleet.specs.tenant import GpuQuota


@dataclass(frozen=True)
class PoolState:
    """One Airflow pool of one team, class and task size, as the scheduler sees it now."""

    name: str
    gpus_per_task: int
    size: int
    occupied: int
    """Slots of running and queued tasks (GPUs held or about to be)."""
    waiting: tuple[int, ...] = ()
    """Priority weight of each task waiting for this pool (state `scheduled`), one entry per task."""

    @property
    def waiting_gpus(self) -> int:
        return self.gpus_per_task * len(self.waiting)


@dataclass(frozen=True)
class TenantState:
    tenant: str
    quota: GpuQuota
    weight: int
    """The team's priority tier weight: higher tiers borrow first."""
    pools: tuple[PoolState, ...]

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pools)

    @property
    def used(self) -> int:
        return sum(p.occupied for p in self.pools)

    @property
    def wanted(self) -> int:
        """GPUs the team could use right now: what it holds plus what its waiting tasks need."""
        return self.used + sum(p.waiting_gpus for p in self.pools)

    @property
    def held(self) -> int:
        """GPUs counted against capacity: a shrunk pool still holds its running tasks' GPUs."""
        return max(self.size, self.used)

    @property
    def borrowed(self) -> int:
        """GPUs beyond the team's guarantee that its pools hold (lent to it by the quota controller)."""
        return max(0, self.held - self.quota.nominal)

    @property
    def waiting_tasks(self) -> int:
        return sum(len(p.waiting) for p in self.pools)


@dataclass
class ClassPlan:
    """Pool sizes for one GPU class, and why."""

    gpu_class: str
    capacity: int
    allocation: dict[str, int] = field(default_factory=dict)
    """Team -> GPUs its pools may hold after this plan (before the safety cap: `granted` is what it got)."""
    granted: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    """Pool name -> slots."""
    borrowed: dict[str, int] = field(default_factory=dict)
    lent: dict[str, int] = field(default_factory=dict)
    shortfall: dict[str, int] = field(default_factory=dict)
    """Team -> guaranteed GPUs it has work for but cannot have yet (borrowed tasks still run on them)."""


def plan_class(gpu_class: str, capacity: int, tenants: list[TenantState], lend: bool = True) -> ClassPlan:
    """Pool sizes for every team's pools of one class.

    `lend=False` plans guarantees only (what `modelfleet pools sync` writes and
    what the pools return to when the quota controller stops), still honouring
    the GPUs that borrowed tasks hold until they end.
    """
    plan = ClassPlan(gpu_class, capacity)
    allocation = {t.tenant: t.quota.nominal for t in tenants}
    if lend:
        allocation, plan.lent, plan.borrowed = _share(capacity, tenants)
    plan.allocation = dict(allocation)
    plan.granted = _cap_to_capacity(capacity, tenants, allocation)
    for tenant in tenants:
        plan.sizes.update(_split(tenant, plan.granted[tenant.tenant]))
        short = min(tenant.quota.nominal, tenant.wanted) - plan.granted[tenant.tenant]
        if short > 0:
            plan.shortfall[tenant.tenant] = short
    return plan


def _share(capacity: int, tenants: list[TenantState]) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """Lend idle guarantees and unguaranteed capacity to teams with waiting work."""
    allocation = {t.tenant: t.quota.nominal for t in tenants}
    idle = {t.tenant: min(t.quota.lendable, max(0, t.quota.nominal - t.wanted)) for t in tenants}
    spare = capacity - sum(t.quota.nominal for t in tenants)
    need = {}
    for t in tenants:
        cap = t.quota.borrowing_limit if t.quota.borrowing_limit is not None else capacity
        need[t.tenant] = min(max(0, t.wanted - t.quota.nominal), cap)
    borrowed = dict.fromkeys(allocation, 0)
    lent = dict.fromkeys(allocation, 0)
    available = spare + sum(idle.values())
    weights = {t.tenant: t.weight for t in tenants}
    while available > 0:
        candidates = [tid for tid in allocation if borrowed[tid] < need[tid]]
        if not candidates:
            break
        chosen = min(candidates, key=lambda tid: (-weights[tid], borrowed[tid], tid))
        borrowed[chosen] += 1
        available -= 1
        if spare > 0:
            spare -= 1
        else:  # take from the lender with the most idle guarantee left
            lender = max((tid for tid in idle if idle[tid] > 0), key=lambda tid: (idle[tid], tid))
            idle[lender] -= 1
            lent[lender] += 1
    for tid in allocation:
        allocation[tid] += borrowed[tid] - lent[tid]
    return allocation, {k: v for k, v in lent.items() if v}, {k: v for k, v in borrowed.items() if v}


def _cap_to_capacity(capacity: int, tenants: list[TenantState], allocation: dict[str, int]) -> dict[str, int]:
    """Shrink at once, grow only into GPUs that are really free: owners reclaiming first, then borrowers.

    A team's pools may be sized below what its running tasks hold (admitting
    nothing until they end); growth is granted only while the sum of what
    every team holds stays within capacity.
    """
    granted: dict[str, int] = {}
    growing = []
    for t in tenants:
        want = allocation[t.tenant]
        if want <= t.size:
            granted[t.tenant] = want
        else:
            granted[t.tenant] = t.size
            growing.append(t)
    held = {t.tenant: max(granted[t.tenant], t.used) for t in tenants}
    # Owners taking back their guarantee before anyone borrows more; higher tiers first.
    growing.sort(key=lambda t: (allocation[t.tenant] > t.quota.nominal, -t.weight, t.tenant))
    for t in growing:
        headroom = max(0, capacity - sum(held.values()))
        granted[t.tenant] = max(granted[t.tenant], min(allocation[t.tenant], held[t.tenant] + headroom))
        held[t.tenant] = max(granted[t.tenant], t.used)
    return granted


def _split(tenant: TenantState, granted: int) -> dict[str, int]:
    """A team's GPUs over its per-size pools: running tasks keep theirs, waiting tasks in priority order.

    Sizes add up to at most `granted`. A pool may be sized below what it
    holds (it admits nothing until enough of its tasks end). When the most
    urgent waiting task needs more than is free, the free GPUs are held in its
    pool, where no other task of that size can use a part of them, and the
    other pools are sized below what they hold by the GPUs it still lacks: the
    GPUs their running tasks free are then held too (the scheduler would
    otherwise hand them to a smaller task before the next pass), and each pass
    moves them into the waiting task's pool until it fits.
    """
    pools = sorted(tenant.pools, key=lambda p: (p.gpus_per_task, p.name))
    sizes = {p.name: p.occupied for p in pools}
    free = granted - tenant.used
    if free < 0:  # over its share (a reclaim in progress): take the deficit from pools with waiting work first
        deficit = -free
        for p in sorted(pools, key=lambda p: (not p.waiting, -p.occupied, p.name)):
            cut = min(deficit, sizes[p.name])
            sizes[p.name] -= cut
            deficit -= cut
        return sizes
    queue = sorted(((weight, p) for p in pools for weight in p.waiting), key=lambda wp: (-wp[0], -wp[1].gpus_per_task, wp[1].name))
    for _, p in queue:
        if p.gpus_per_task <= free:
            sizes[p.name] += p.gpus_per_task
            free -= p.gpus_per_task
        else:
            sizes[p.name] += free  # held for the most urgent task; nothing smaller jumps the queue
            lacking, free = p.gpus_per_task - free, 0
            for other in sorted((q for q in pools if q is not p), key=lambda q: (-q.occupied, q.name)):
                cut = min(lacking, other.occupied)  # below what it runs, never into GPUs held for others
                sizes[other.name] -= cut
                lacking -= cut
            break
    if free and pools:  # leftover GPUs wait in the smallest-task pool that can use them, for work that arrives next
        fitting = [p for p in pools if p.gpus_per_task <= free] or pools[:1]
        sizes[fitting[0].name] += free
    return sizes
