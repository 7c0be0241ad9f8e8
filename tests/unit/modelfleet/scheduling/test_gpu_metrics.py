"""The GPU scenario metrics the tests and the scheduling benchmark report: conflicts, waits, shares, inversions, bound."""

from __future__ import annotations

import pytest
from support import gpu_metrics


def job(run_id, tenant, tier, started, ended, devices=(0,), host="h", gpus=1):
    return {"run_id": run_id, "tenant": tenant, "tier": tier, "started": started, "ended": ended,
            "devices": list(devices), "host": host, "gpus": gpus}


RECORDS = [
    job("a", "payments", "critical", 1.0, 5.0, devices=(0,)),
    job("b", "adhoc", "batch", 1.0, 3.0, devices=(1,)),
    job("c", "adhoc", "batch", 3.0, 7.0, devices=(1,)),   # touches b's end: no overlap
    job("d", "payments", "critical", 5.0, 9.0, devices=(0, 1), gpus=2),  # overlaps c on device 1
]
ARRIVED = {"a": 0.0, "b": 0.0, "c": 0.0, "d": 2.0}


def test_conflicts_count_pairs_on_one_device_at_once():
    assert gpu_metrics.conflicts(RECORDS) == 1
    assert gpu_metrics.conflicts(RECORDS[:3]) == 0


def test_waits_shares_and_bound():
    assert gpu_metrics.waits(RECORDS, ARRIVED) == [1.0, 1.0, 3.0, 3.0]
    assert gpu_metrics.wait_by(RECORDS, ARRIVED, "tier") == {"batch": (2.0, pytest.approx(2.9)), "critical": (2.0, pytest.approx(2.9))}
    assert gpu_metrics.shares(RECORDS) == {"adhoc": pytest.approx(6 / 18), "payments": pytest.approx(12 / 18)}
    assert gpu_metrics.makespan_ratio(RECORDS, ARRIVED, devices=2) == (9.0, 9.0)  # work 18 GPU-s on 2 GPUs


def test_an_inversion_is_a_lower_tier_start_while_an_earlier_higher_tier_job_waits():
    assert gpu_metrics.priority_inversions(RECORDS, ARRIVED) == 0  # d arrived after c
    late_critical = [*RECORDS[:3], job("e", "payments", "critical", 8.0, 9.0)]
    assert gpu_metrics.priority_inversions(late_critical, {**ARRIVED, "e": 0.0}) == 2  # b and c started before e


def test_utilization_counts_only_instants_with_queued_work():
    assert gpu_metrics.utilization_while_queued([job("x", "t", "batch", 2.0, 4.0)], {"x": 0.0}, devices=2) == 0.0
    busy = [job("x", "t", "batch", 0.0, 4.0), job("y", "t", "batch", 2.0, 4.0, devices=(1,))]
    assert gpu_metrics.utilization_while_queued(busy, {"x": 0.0, "y": 0.0}, devices=2) == pytest.approx(0.5, abs=0.05)
