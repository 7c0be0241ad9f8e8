"""What a GPU scenario's timeline says: waits, utilization, shares, inversions, device conflicts, makespan bound.

Pure functions over the records GpuSleepOperator writes (one per task: team,
tier, GPUs, devices, when the work started and ended) and the runs' arrival
times, shared by the GPU sharing tests and the scheduling benchmark.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any

from modelfleet.specs.tenant import PRIORITY_WEIGHTS


def waits(records: list[dict[str, Any]], arrived: dict[str, float]) -> list[float]:
    return [r["started"] - arrived[r["run_id"]] for r in records]


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def wait_by(records: list[dict[str, Any]], arrived: dict[str, float], key: str) -> dict[str, tuple[float, float]]:
    """Queue wait p50 and p95 (seconds, trigger to start of GPU work) per value of `key` (tier or tenant)."""
    grouped: dict[str, list[float]] = defaultdict(list)
    for record, wait in zip(records, waits(records, arrived)):
        grouped[record[key]].append(wait)
    return {k: (percentile(v, 50), percentile(v, 95)) for k, v in sorted(grouped.items())}


def device_uses(records: list[dict[str, Any]]) -> list[tuple[str, float, float, str]]:
    """(device, start, end, holder) per device a task used. Plain Airflow assigns none: CUDA's default is device 0."""
    return [(f"{r['host']}:{d}", r["started"], r["ended"], r["run_id"]) for r in records for d in r["devices"]]


def conflicts(records: list[dict[str, Any]]) -> int:
    """Pairs of tasks that used one device at the same time."""
    by_device: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for device, start, end, _ in device_uses(records):
        by_device[device].append((start, end))
    count = 0
    for spans in by_device.values():
        spans.sort()
        for i, (start, end) in enumerate(spans):
            count += sum(1 for other_start, _ in spans[i + 1:] if other_start < end)
    return count


def busy_gpus_at(records: list[dict[str, Any]], t: float) -> int:
    return sum(r["gpus"] for r in records if r["started"] <= t < r["ended"])


def utilization_while_queued(records: list[dict[str, Any]], arrived: dict[str, float], devices: int, step: float = 0.1) -> float:
    """Mean share of GPUs busy over the instants when some task has arrived and not yet finished."""
    if not records:
        return float("nan")
    start = min(arrived[r["run_id"]] for r in records)
    end = max(r["ended"] for r in records)
    samples, busy = 0, 0.0
    t = start
    while t < end:
        if any(arrived[r["run_id"]] <= t < r["started"] for r in records):
            samples += 1
            busy += min(devices, busy_gpus_at(records, t)) / devices
        t += step
    return busy / samples if samples else 1.0


def shares(records: list[dict[str, Any]]) -> dict[str, float]:
    """Each team's share of all GPU-seconds used."""
    used: dict[str, float] = defaultdict(float)
    for r in records:
        used[r["tenant"]] += r["gpus"] * (r["ended"] - r["started"])
    total = sum(used.values()) or 1.0
    return {t: used[t] / total for t in sorted(used)}


def priority_inversions(records: list[dict[str, Any]], arrived: dict[str, float]) -> int:
    """Starts of a lower-tier task while a higher-tier task that arrived no later was still waiting."""
    count = 0
    for low in records:
        for high in records:
            if (PRIORITY_WEIGHTS[high["tier"]] > PRIORITY_WEIGHTS[low["tier"]]
                    and arrived[high["run_id"]] <= arrived[low["run_id"]] and high["started"] > low["started"]):
                count += 1
    return count


def makespan_ratio(records: list[dict[str, Any]], arrived: dict[str, float], devices: int) -> tuple[float, float]:
    """(makespan, its lower bound): the larger of total GPU work / devices and the longest single task."""
    first = min(arrived.values())
    makespan = max(r["ended"] for r in records) - first
    work = sum(r["gpus"] * (r["ended"] - r["started"]) for r in records)
    longest = max(r["ended"] - r["started"] for r in records)
    return makespan, max(work / devices, longest)
