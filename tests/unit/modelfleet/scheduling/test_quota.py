"""The quota plan: guarantees, borrowing within limits, reclaim only as borrowed tasks end, never over capacity."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from modelfleet.scheduling.quota import PoolState, TenantState, plan_class
from modelfleet.specs.tenant import GpuQuota


def team(name: str, nominal: int, *, size: int | None = None, occupied: int = 0, waiting: int = 0, weight: int = 10,
         borrowing_limit: int | None = None, lending_limit: int | None = None, k: int = 1) -> TenantState:
    pool = PoolState(f"{name}__gpu_a10g" + (f"_x{k}" if k > 1 else ""), k, nominal if size is None else size, occupied,
                     (weight,) * waiting)
    return TenantState(name, GpuQuota(nominal=nominal, borrowing_limit=borrowing_limit, lending_limit=lending_limit), weight, (pool,))


def held(plan, tenants) -> int:
    return sum(max(plan.granted[t.tenant], t.used) for t in tenants)


def test_idle_guarantee_is_lent_to_waiting_work_and_reclaimed_as_borrowed_tasks_end():
    owner, borrower = team("owner", 2), team("borrower", 2, occupied=2, waiting=2)
    lent = plan_class("a10g", 4, [owner, borrower])
    assert lent.granted == {"owner": 0, "borrower": 4} and lent.lent == {"owner": 2} and lent.borrowed == {"borrower": 2}

    # The borrower now runs 4; the owner's work comes back: the borrower shrinks at once, the owner waits for GPUs.
    owner, borrower = team("owner", 2, size=0, waiting=2), team("borrower", 2, size=4, occupied=4)
    reclaim = plan_class("a10g", 4, [owner, borrower])
    assert reclaim.allocation == {"owner": 2, "borrower": 2}
    assert reclaim.granted == {"owner": 0, "borrower": 2}  # 4 GPUs are still busy with borrowed tasks
    assert held(reclaim, [owner, borrower]) == 4

    # One borrowed task ends: that GPU goes to the owner, not back to the borrower's queue.
    one_done = plan_class("a10g", 4, [replace(owner, pools=(replace(owner.pools[0], size=0),)),
                                      team("borrower", 2, size=2, occupied=3, waiting=1)])
    assert one_done.granted == {"owner": 1, "borrower": 2}
    assert one_done.sizes["owner__gpu_a10g"] == 1 and one_done.sizes["borrower__gpu_a10g"] == 2


def test_borrowing_and_lending_limits_hold():
    plan = plan_class("a10g", 6, [team("a", 3, lending_limit=1), team("b", 3, occupied=3, waiting=3, borrowing_limit=2)])
    assert plan.lent == {"a": 1} and plan.borrowed == {"b": 1}
    capped = plan_class("a10g", 6, [team("a", 3), team("b", 3, occupied=3, waiting=3, borrowing_limit=2)])
    assert capped.borrowed == {"b": 2} and capped.granted["b"] == 5


def test_higher_tier_borrows_first_then_the_one_that_borrowed_least():
    plan = plan_class("a10g", 4, [team("idle", 2), team("critical", 1, occupied=1, waiting=3, weight=1000),
                                  team("batch", 1, occupied=1, waiting=3, weight=1)])
    assert plan.borrowed == {"critical": 2}
    even = plan_class("a10g", 4, [team("idle", 2), team("x", 1, occupied=1, waiting=3), team("y", 1, occupied=1, waiting=3)])
    assert even.borrowed == {"x": 1, "y": 1}


def test_guarantees_only_when_lending_is_off():
    plan = plan_class("a10g", 4, [team("a", 2), team("b", 2, occupied=2, waiting=5)], lend=False)
    assert plan.granted == {"a": 2, "b": 2} and not plan.borrowed


def test_a_k_gpu_task_gets_freed_gpus_held_for_it_instead_of_smaller_lower_priority_tasks():
    ones = PoolState("t__gpu_a10g", 1, 4, occupied=3, waiting=(1, 1, 1))
    twos = PoolState("t__gpu_a10g_x2", 2, 0, occupied=0, waiting=(100,))
    plan = plan_class("a10g", 4, [TenantState("t", GpuQuota(nominal=4), 10, (ones, twos))], lend=False)
    # one GPU is free: it is held in the 2-GPU pool (the urgent task); the 1-GPU pool is sized one below what it
    # holds, so the next GPU a 1-GPU task frees is held too instead of admitting a waiting 1-GPU task
    assert plan.sizes == {"t__gpu_a10g": 2, "t__gpu_a10g_x2": 1}
    later = plan_class("a10g", 4, [TenantState("t", GpuQuota(nominal=4), 10, (replace(ones, size=2, occupied=2), replace(twos, size=1)))], lend=False)
    assert later.sizes == {"t__gpu_a10g": 2, "t__gpu_a10g_x2": 2}


def test_nothing_free_yet_the_waiting_k_gpu_task_still_stops_smaller_tasks_taking_what_frees_next():
    ones = PoolState("t__gpu_a10g", 1, 2, occupied=2, waiting=(1, 1))
    twos = PoolState("t__gpu_a10g_x2", 2, 0, occupied=0, waiting=(1000,))
    plan = plan_class("a10g", 2, [TenantState("t", GpuQuota(nominal=2), 10, (ones, twos))], lend=False)
    assert plan.sizes == {"t__gpu_a10g": 0, "t__gpu_a10g_x2": 0}  # both running 1-GPU tasks finish; no new one starts


def test_leftover_gpus_wait_in_the_smallest_task_pool():
    ones, twos = PoolState("t__gpu_a10g", 1, 0, 0), PoolState("t__gpu_a10g_x2", 2, 0, 0)
    plan = plan_class("a10g", 3, [TenantState("t", GpuQuota(nominal=3), 10, (ones, twos))], lend=False)
    assert plan.sizes == {"t__gpu_a10g": 3, "t__gpu_a10g_x2": 0}


@st.composite
def fleets(draw):
    capacity = draw(st.integers(1, 8))
    count = draw(st.integers(1, 4))
    nominals = draw(st.lists(st.integers(0, capacity), min_size=count, max_size=count).filter(lambda n: sum(n) <= capacity))
    tenants = []
    for i, nominal in enumerate(nominals):
        pools = []
        for k in draw(st.sets(st.sampled_from([1, 2]), min_size=1)):
            pools.append(PoolState(f"t{i}__gpu_a10g_x{k}", k, draw(st.integers(0, capacity)), draw(st.integers(0, capacity)),
                                   tuple(draw(st.lists(st.sampled_from([1, 10, 100]), max_size=4)))))
        quota = GpuQuota(nominal=nominal, borrowing_limit=draw(st.none() | st.integers(0, capacity)),
                         lending_limit=draw(st.none() | st.integers(0, nominal)))
        tenants.append(TenantState(f"t{i}", quota, draw(st.sampled_from([1, 10, 100])), tuple(pools)))
    # a state the platform can be in: what every team holds fits the capacity
    if sum(t.held for t in tenants) > capacity:
        return draw(fleets())
    return capacity, tenants


@settings(max_examples=300, deadline=None)
@given(fleets(), st.booleans())
def test_no_plan_ever_lets_pools_hold_more_than_capacity(fleet, lend):
    capacity, tenants = fleet
    plan = plan_class("a10g", capacity, tenants, lend=lend)
    assert held(plan, tenants) <= capacity
    for t in tenants:
        assert 0 <= sum(plan.sizes[p.name] for p in t.pools) <= plan.granted[t.tenant]
        assert all(plan.sizes[p.name] >= 0 for p in t.pools)
        assert plan.borrowed.get(t.tenant, 0) <= (t.quota.borrowing_limit if t.quota.borrowing_limit is not None else capacity)
        assert plan.lent.get(t.tenant, 0) <= t.quota.lendable
        if not lend:
            assert plan.allocation[t.tenant] == t.quota.nominal


@settings(max_examples=200, deadline=None)
@given(fleets())
def test_once_borrowed_tasks_end_every_team_with_work_gets_at_least_its_guarantee(fleet):
    capacity, tenants = fleet
    drained = [TenantState(t.tenant, t.quota, t.weight, tuple(replace(p, occupied=0) for p in t.pools)) for t in tenants]
    plan = plan_class("a10g", capacity, drained)
    for t in drained:
        assert plan.granted[t.tenant] >= min(t.quota.nominal, t.wanted)


def test_a_team_borrows_what_its_pools_hold_beyond_its_guarantee() -> None:
    """Lent slots count as borrowed while the pool holds them, used or not; a shrunk pool still holds its running tasks."""
    quota = GpuQuota(nominal=1, borrowing_limit=2)
    grown = TenantState("t", quota, 10, (PoolState("t__gpu_a10g", 1, 3, 1, (10, 10)),))
    assert (grown.held, grown.borrowed, grown.waiting_tasks) == (3, 2, 2)
    shrunk = TenantState("t", quota, 10, (PoolState("t__gpu_a10g", 1, 1, 2),))
    assert (shrunk.held, shrunk.borrowed, shrunk.waiting_tasks) == (2, 1, 0)
    within = TenantState("t", quota, 10, (PoolState("t__gpu_a10g", 1, 1, 0),))
    assert within.borrowed == 0
