"""GPU sharing on the real scheduler, executor, pools and quota controller: borrow and reclaim, a flood, a k-GPU task.

One embedded platform serves every scenario (tests/support/gpu_fleet.py); GPU
work is a calibrated sleep on virtual devices, leased for real. After every
scenario `modelfleet gpus audit` must find no two holders on one device.

Bounds here are orderings and generous multiples of the scenario's own
durations, not wall-clock performance thresholds: Airflow's scheduling
latency on a loaded 2-core machine is seconds, and that is not under test.
"""

from __future__ import annotations

import pytest
from support import gpu_metrics
from support.gpu_fleet import Arrival, GpuFleet, Pipeline, Scenario, Team

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory):
    gpu_fleet = GpuFleet(tmp_path_factory.mktemp("gpu-fleet"))
    gpu_fleet.up()
    yield gpu_fleet
    gpu_fleet.down()


def by_team(outcome, team: str) -> list[dict]:
    return sorted((r for r in outcome.records if r["tenant"] == team), key=lambda r: r["started"])


def test_idle_guarantee_is_borrowed_and_reclaimed_as_the_borrowed_task_ends(fleet):
    """Two teams, one GPU guaranteed each. The borrower runs on both while the owner is idle; the owner's work
    arrives while both run, and gets the first GPU the borrower frees, before the borrower's queued work."""
    scenario = Scenario(
        "reclaim", "modelfleet", {"gpu-1": 2}, {"owner": Team(1), "borrower": Team(1)},
        [Pipeline("reclaim__borrower", "borrower", 1, 12.0), Pipeline("reclaim__owner", "owner", 1, 3.0)],
        # one borrower task, then two more 4 s later (one of them borrows the idle GPU); the owner's work
        # arrives once both GPUs are leased to the borrower
        [Arrival(0, "reclaim__borrower", 1), Arrival(4, "reclaim__borrower", 2),
         Arrival(4, "reclaim__owner", 1, when_leased=2)],
    )
    outcome = fleet.run(scenario)
    assert set(outcome.run_states.values()) == {"success"}
    borrowed = by_team(outcome, "borrower")
    [owner] = by_team(outcome, "owner")
    # borrowing: two borrower tasks ran at once on a 1-GPU guarantee
    assert borrowed[1]["started"] < borrowed[0]["ended"]
    assert {tuple(r["devices"]) for r in borrowed[:2]} == {(0,), (1,)}
    # reclaim: the owner started after a borrowed task ended and before the borrower's third task
    owner_ready = outcome.arrived[owner["run_id"]]
    assert owner_ready < borrowed[0]["ended"], "the owner must arrive while both GPUs are busy"
    first_freed = borrowed[0]["ended"]
    assert borrowed[0]["ended"] < borrowed[1]["ended"]
    assert first_freed <= owner["started"] < borrowed[2]["started"], "the GPU the borrower freed went back to its queue"
    assert borrowed[2]["started"] >= borrowed[1]["ended"], "the borrower exceeded its guarantee while the owner had work"
    reclaims = [e for e in outcome.events if e["tenant"] == "owner" and e["kind"] == "reclaim_done"]
    assert reclaims and reclaims[0]["seconds"] is not None
    latency = owner["started"] - first_freed
    print(f"\nreclaim: owner waited {owner['started'] - owner_ready:.1f}s from arrival, {latency:.1f}s after the "
          f"borrowed task freed its GPU; controller reclaim {reclaims[0]['seconds']:.1f}s")
    assert latency < 12.0, "the freed GPU went to the owner within one borrowed task's duration"
    assert gpu_metrics.conflicts(outcome.records) == 0
    assert outcome.audit_ok, outcome.audit_summary


def test_a_flooding_team_starves_neither_another_teams_gpu_work_nor_its_cpu_work(fleet):
    """Upstream issue 45636's scenario: a critical team floods its pool with short, high-priority tasks, so the
    top of the scheduler's query is always its backlog. The batch team's GPU and CPU tasks still run in time."""
    scenario = Scenario(
        "flood", "modelfleet", {"gpu-1": 2}, {"flooder": Team(1, tier="critical", borrowing_limit=0), "quiet": Team(1, tier="batch")},
        [Pipeline("flood__burst", "flooder", 1, 1.0), Pipeline("flood__quiet_gpu", "quiet", 1, 3.0),
         Pipeline("flood__quiet_cpu", "quiet", 0, 1.0)],
        [Arrival(0, "flood__burst", 24), Arrival(4, "flood__quiet_gpu", 2), Arrival(4, "flood__quiet_cpu", 2)],
    )
    outcome = fleet.run(scenario)
    assert set(outcome.run_states.values()) == {"success"}
    flood = by_team(outcome, "flooder")
    quiet = by_team(outcome, "quiet")
    assert len(flood) == 24 and len(quiet) == 4
    flood_end = max(r["ended"] for r in flood)
    for record in quiet:
        assert record["ended"] < flood_end, f"{record['dag_id']} waited for the whole flood"
    waits = dict(zip([r["run_id"] for r in quiet], gpu_metrics.waits(quiet, outcome.arrived)))
    flood_span = flood_end - min(r["started"] for r in flood)
    print(f"\nflood: {len(flood)} tasks over {flood_span:.0f}s; quiet team's waits {sorted(round(w, 1) for w in waits.values())}")
    assert max(waits.values()) < flood_span / 2
    assert gpu_metrics.conflicts(outcome.records) == 0
    assert outcome.audit_ok, outcome.audit_summary


def test_a_two_gpu_task_is_not_starved_by_lower_priority_one_gpu_tasks(fleet):
    """Upstream issue 29474: free slots go to 1-slot tasks while a 2-slot task of higher priority waits. Here 1-GPU
    tasks of 3 and 5 seconds keep both GPUs busy with staggered ends; once the 2-GPU task is runnable, the GPUs they
    free are held for it, so it starts as soon as the running ones end, before any waiting 1-GPU task."""
    scenario = Scenario(
        "wide", "modelfleet", {"gpu-1": 2}, {"team": Team(2)},
        [Pipeline("wide__short", "team", 1, 3.0, tier="batch"), Pipeline("wide__long", "team", 1, 5.0, tier="batch"),
         Pipeline("wide__large", "team", 2, 4.0, tier="critical")],
        # short and long runs alternate, so the two running 1-GPU tasks always end at different times
        [*(Arrival(0, dag_id) for _ in range(5) for dag_id in ("wide__short", "wide__long")),
         Arrival(0, "wide__large", 1, when_leased=2)],
    )
    outcome = fleet.run(scenario)
    assert set(outcome.run_states.values()) == {"success"}
    [large] = [r for r in outcome.records if r["gpus"] == 2]
    small = sorted((r for r in outcome.records if r["gpus"] == 1), key=lambda r: r["started"])
    runnable, _ = fleet.task_times(large["dag_id"], large["run_id"])
    admitted = {r["run_id"]: fleet.task_times(r["dag_id"], r["run_id"])[1] for r in small}
    held_from = runnable + 2.0  # one controller pass (every 1 s) sees the waiting task and holds the GPUs
    jumped = [r["run_id"] for r in small if held_from < admitted[r["run_id"]] and r["started"] < large["started"]]
    waiting = [r for r in small if admitted[r["run_id"]] > runnable]
    assert waiting, "the 2-GPU task must become runnable while 1-GPU tasks still wait"
    assert not jumped, f"1-GPU tasks took GPUs held for the 2-GPU task: {jumped}"
    assert sorted(large["devices"]) == [0, 1]
    waited = large["started"] - runnable
    print(f"\nk-GPU: the 2-GPU task waited {waited:.1f}s after it became runnable; "
          f"{len([r for r in waiting if r['started'] > large['started']])} waiting 1-GPU tasks went after it")
    # it waits only for the 1-GPU tasks that already held (or, within one controller pass, took) a GPU
    last_to_end = max(r["ended"] for r in small if admitted[r["run_id"]] <= held_from)
    assert large["started"] <= last_to_end + 4.0
    assert gpu_metrics.conflicts(outcome.records) == 0
    assert outcome.audit_ok, outcome.audit_summary
