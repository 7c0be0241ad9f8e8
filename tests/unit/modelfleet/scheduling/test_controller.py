"""The quota controller's bookkeeping: when a reclaim starts and ends, and when a team's borrowing changes."""

from __future__ import annotations

from modelfleet.scheduling.controller import ReclaimClock
from modelfleet.scheduling.quota import ClassPlan


def plan(granted: dict[str, int], shortfall: dict[str, int], borrowed: dict[str, int]) -> ClassPlan:
    return ClassPlan("a10g", 4, allocation=dict(granted), granted=granted, shortfall=shortfall, borrowed=borrowed)


def test_a_reclaim_is_timed_from_the_first_pass_that_sees_the_shortfall_to_the_pass_that_ends_it():
    clock = ReclaimClock()
    assert [e["kind"] for e in clock.observe([plan({"owner": 0, "borrower": 4}, {}, {"borrower": 2})], 100.0)] == ["borrow"]
    started = clock.observe([plan({"owner": 0, "borrower": 2}, {"owner": 2}, {})], 101.0)
    assert [(e["tenant"], e["kind"], e["gpus"]) for e in started] == [("owner", "reclaim_start", 2), ("borrower", "borrow", 0)]
    assert clock.observe([plan({"owner": 1, "borrower": 2}, {"owner": 1}, {})], 105.0) == []  # still short by one
    [done] = clock.observe([plan({"owner": 2, "borrower": 2}, {}, {})], 109.5)
    assert (done["tenant"], done["kind"], done["gpus"], done["seconds"]) == ("owner", "reclaim_done", 2, 8.5)
