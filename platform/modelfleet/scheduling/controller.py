"""The quota controller: a platform component that lends idle GPU guarantees and reclaims them by resizing pools.

Every `interval` seconds it reads the GPU pools (sizes, running and queued
slots, waiting tasks) from Airflow's database, plans new sizes
(modelfleet.scheduling.quota) and writes them, shrinks before grows. It is
started, supervised and stopped with the other components (`modelfleet up`);
on SIGTERM it returns every pool to the guarantees. Killed outright, it
leaves the last sizes, which are safe (no plan ever over-commits a class),
and the next start converges from the live state.

`modelfleet pools sync` is one pass of the same code with lending off.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from modelfleet.scheduling.capacity import Capacity
from modelfleet.scheduling.pools import PoolLayout, plan, write_sizes
from modelfleet.scheduling.quota import ClassPlan
from modelfleet.specs.errors import SpecError

log = logging.getLogger("modelfleet.quota_controller")


class QuotaConfigError(SpecError):
    """The GPU configuration is malformed or over-committed: nothing is changed."""


def gpu_inputs() -> tuple[Any, Capacity, PoolLayout]:
    """The fleet, its capacity and pool layout; QuotaConfigError if capacity, quotas or a tenant file is invalid.

    `load_fleet` has already checked capacity and quotas; a tenant.yaml that did
    not load counts too, since its team's pools could not be sized.
    """
    from pathlib import PurePath

    from modelfleet.specs.loader import TENANT_FILE, CapacityView, load_fleet

    fleet = load_fleet()
    capacity = CapacityView.load()
    unloaded = [p for p in fleet.problems if p.file.endswith(TENANT_FILE) and PurePath(p.file).parent.name not in fleet.tenants]
    quota = [p for p in fleet.problems if p.field.startswith("gpu_quota")]
    problems = list(dict.fromkeys([*capacity.problems, *unloaded, *quota]))
    if problems or capacity.capacity is None:
        raise QuotaConfigError(problems)
    return fleet, capacity.capacity, PoolLayout.of(fleet, capacity.capacity)


def sync(lend: bool = False) -> tuple[list[ClassPlan], dict[str, tuple[int, int]]]:
    """One planning pass written to Airflow's pools; refuses (QuotaConfigError) and changes nothing on a bad config."""
    from airflow.utils.session import create_session

    fleet, capacity, layout = gpu_inputs()
    with create_session() as session:
        plans = plan(fleet, capacity, layout, session, lend=lend)
        return plans, write_sizes(plans, session)


@dataclass
class ReclaimClock:
    """When each team started waiting for its guarantee back, to record how long a reclaim took."""

    started: dict[tuple[str, str], float] = field(default_factory=dict)
    borrowed: dict[tuple[str, str], int] = field(default_factory=dict)

    def observe(self, plans: list[ClassPlan], now: float) -> list[dict[str, Any]]:
        events = []
        for class_plan in plans:
            for tenant in class_plan.allocation:
                key = (class_plan.gpu_class, tenant)
                short = class_plan.shortfall.get(tenant, 0)
                if short and key not in self.started:
                    self.started[key] = now
                    events.append(_event(now, key, "reclaim_start", short))
                elif not short and key in self.started:
                    began = self.started.pop(key)
                    events.append(_event(now, key, "reclaim_done", class_plan.granted[tenant], now - began))
                borrowed = class_plan.borrowed.get(tenant, 0)
                if borrowed != self.borrowed.get(key, 0):
                    self.borrowed[key] = borrowed
                    events.append(_event(now, key, "borrow", borrowed))
        return events


def _event(now: float, key: tuple[str, str], kind: str, gpus: int, seconds: float | None = None) -> dict[str, Any]:
    return {"at": now, "gpu_class": key[0], "tenant": key[1], "kind": kind, "gpus": gpus, "seconds": seconds}


class QuotaController:
    def __init__(self, interval: float = 2.0, reload_every: float = 30.0) -> None:
        self.interval = interval
        self.reload_every = reload_every
        self.clock = ReclaimClock()
        self._inputs: tuple[Any, Capacity, PoolLayout] | None = None
        self._loaded_at = float("-inf")

    def inputs(self) -> tuple[Any, Capacity, PoolLayout]:
        """Specs change rarely: re-read them every `reload_every` seconds; keep the last valid ones on a bad change."""
        if time.monotonic() - self._loaded_at >= self.reload_every or self._inputs is None:
            self._loaded_at = time.monotonic()
            try:
                self._inputs = gpu_inputs()
            except QuotaConfigError as exc:
                if self._inputs is None:
                    raise
                log.error("GPU configuration invalid; keeping the last valid one:\n%s", exc)
        return self._inputs

    def step(self) -> dict[str, tuple[int, int]]:
        from airflow.utils.session import create_session
        from sqlalchemy import insert

        from modelfleet import state_db

        fleet, capacity, layout = self.inputs()
        with create_session() as session:
            plans = plan(fleet, capacity, layout, session, lend=True)
            changes = write_sizes(plans, session)
        events = self.clock.observe(plans, time.time())
        if events:
            with state_db.engine().begin() as conn:
                conn.execute(insert(state_db.quota_events), events)
        for name, (old, new) in sorted(changes.items()):
            log.info("pool %s: %d -> %d slots", name, old, new)
        for event in events:
            log.info("%s %s %s: %d GPU(s)%s", event["gpu_class"], event["tenant"], event["kind"], event["gpus"],
                     f" after {event['seconds']:.1f}s" if event["seconds"] is not None else "")
        return changes

    def run(self, stop: threading.Event) -> None:
        log.info("quota controller started (every %.1fs)", self.interval)
        while not stop.is_set():
            try:
                self.step()
            except Exception:  # noqa: BLE001 - a failed pass is retried; pools stay safe meanwhile
                log.exception("quota controller pass failed; retrying")
            stop.wait(self.interval)
        try:
            _, changes = sync(lend=False)
            log.info("quota controller stopped; pools back at guarantees (%d changed)", len(changes))
        except QuotaConfigError as exc:
            log.error("quota controller stopped; GPU configuration invalid, pools left as they are:\n%s", exc)


def main() -> int:
    import os

    from modelfleet.runtime.daemon import serve

    return serve(QuotaController(interval=float(os.environ.get("MODELFLEET_QUOTA_INTERVAL", "2")),
                                 reload_every=float(os.environ.get("MODELFLEET_QUOTA_RELOAD", "30"))).run)


if __name__ == "__main__":
    sys.exit(main())
