"""Device leases: a running GPU task holds k concrete devices of its class, on one host, and no one else does.

A pool slot says "some device of this class is free"; a lease says which one.
Acquiring is one transaction that first ends expired leases, then picks k
free devices on one host and writes a lease row per device. The holder
heartbeats; a holder that dies (kill -9) stops heartbeating, and its lease
ends `expired` at its expiry time, when the next transaction finds it. So a
device is free again at most `ttl` seconds after its holder died.

`modelfleet gpus audit` (modelfleet.scheduling.audit) checks the whole lease
history for overlaps on any device.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine

from modelfleet import state_db
from modelfleet.scheduling.capacity import Capacity
from modelfleet.state_db import gpu_devices, gpu_leases

log = logging.getLogger(__name__)

DEFAULT_TTL = 60.0
"""Seconds a lease lives without a heartbeat: how long a dead holder's devices stay taken."""
Clock = Callable[[], float]


class NoDeviceFree(RuntimeError):
    """No host has k free devices of the class although the pool admitted the task: a transient state, retried."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lease: the task instance (and its process) that trains on the devices."""

    tenant: str
    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int = 0
    pid: int = field(default_factory=os.getpid)


@dataclass(frozen=True)
class Lease:
    group: str
    gpu_class: str
    host: str
    devices: tuple[int, ...]
    holder: Holder

    @property
    def visible_devices(self) -> str:
        """The value of CUDA_VISIBLE_DEVICES for the holder: exactly its devices."""
        return ",".join(str(d) for d in self.devices)


def end_expired(conn: Connection, now: float) -> int:
    """End every open lease whose holder stopped heartbeating; it ends at its expiry, not now."""
    result = conn.execute(
        update(gpu_leases)
        .where(and_(gpu_leases.c.released_at.is_(None), gpu_leases.c.expires_at < now))
        .values(released_at=gpu_leases.c.expires_at, end_reason="expired")
    )
    return result.rowcount or 0


def try_acquire(capacity: Capacity, holder: Holder, gpu_class: str, gpus: int, *, host: str | None = None,
                ttl: float = DEFAULT_TTL, clock: Clock = time.time, engine: Engine | None = None) -> Lease | None:
    """Lease `gpus` free devices of `gpu_class` on one host (the given one, else the first that has them); None if none has."""
    engine = engine or state_db.engine()
    declared = [d for d in capacity.devices(gpu_class) if host in (None, d.host)]
    with engine.begin() as conn:
        _lock_inventory(conn, declared, gpu_class)
        now = clock()
        ended = end_expired(conn, now)
        if ended:
            log.warning("%d expired GPU lease(s) recovered (their holders stopped heartbeating)", ended)
        busy = {(row.host, row.device) for row in conn.execute(
            select(gpu_leases.c.host, gpu_leases.c.device)
            .where(and_(gpu_leases.c.gpu_class == gpu_class, gpu_leases.c.released_at.is_(None))))}
        by_host: dict[str, list[int]] = {}
        for device in declared:
            if (device.host, device.index) not in busy:
                by_host.setdefault(device.host, []).append(device.index)
        # Best fit: the host with the fewest free devices that still has enough, so large holes stay whole for k-GPU tasks.
        fitting = sorted((len(free), name) for name, free in by_host.items() if len(free) >= gpus)
        if not fitting:
            return None
        chosen_host = fitting[0][1]
        lease = Lease(uuid.uuid4().hex, gpu_class, chosen_host, tuple(by_host[chosen_host][:gpus]), holder)
        conn.execute(insert(gpu_leases), [
            {"lease_group": lease.group, "gpu_class": gpu_class, "host": chosen_host, "device": device,
             "tenant": holder.tenant, "dag_id": holder.dag_id, "run_id": holder.run_id, "task_id": holder.task_id,
             "map_index": holder.map_index, "try_number": holder.try_number, "holder_pid": holder.pid,
             "acquired_at": now, "heartbeat_at": now, "expires_at": now + ttl}
            for device in lease.devices
        ])
    return lease


def _lock_inventory(conn: Connection, declared: list[Any], gpu_class: str) -> None:
    """Make sure the class's devices have rows, and lock them (PostgreSQL; SQLite already holds its write lock)."""
    known = {(r.host, r.device) for r in conn.execute(select(gpu_devices).where(gpu_devices.c.gpu_class == gpu_class))}
    missing = [{"gpu_class": gpu_class, "host": d.host, "device": d.index} for d in declared if (d.host, d.index) not in known]
    if missing:
        conn.execute(insert(gpu_devices), missing)
    conn.execute(select(gpu_devices).where(gpu_devices.c.gpu_class == gpu_class).with_for_update()).all()


def heartbeat(lease: Lease, *, ttl: float = DEFAULT_TTL, clock: Clock = time.time, engine: Engine | None = None) -> bool:
    """Extend the lease; False when it has already ended (expired): the holder must stop using the devices."""
    engine = engine or state_db.engine()
    with engine.begin() as conn:
        now = clock()
        result = conn.execute(
            update(gpu_leases)
            .where(and_(gpu_leases.c.lease_group == lease.group, gpu_leases.c.released_at.is_(None)))
            .values(heartbeat_at=now, expires_at=now + ttl)
        )
    return (result.rowcount or 0) == len(lease.devices)


def release(lease: Lease, *, clock: Clock = time.time, engine: Engine | None = None) -> None:
    engine = engine or state_db.engine()
    with engine.begin() as conn:
        conn.execute(
            update(gpu_leases)
            .where(and_(gpu_leases.c.lease_group == lease.group, gpu_leases.c.released_at.is_(None)))
            .values(released_at=clock(), end_reason="released")
        )


def open_leases(engine: Engine | None = None, now: float | None = None) -> list[Any]:
    """Leases held right now (an expired one counts as ended even before a transaction records it)."""
    engine = engine or state_db.engine()
    now = time.time() if now is None else now
    with engine.connect() as conn:
        return list(conn.execute(select(gpu_leases).where(and_(gpu_leases.c.released_at.is_(None), gpu_leases.c.expires_at >= now))
                                 .order_by(gpu_leases.c.gpu_class, gpu_leases.c.host, gpu_leases.c.device)))


@contextmanager
def leased_devices(capacity: Capacity, holder: Holder, gpu_class: str, gpus: int, *, wait: float = 120.0,
                   poll: float = 2.0, ttl: float = DEFAULT_TTL, host: str | None = None,
                   engine: Engine | None = None) -> Iterator[Lease]:
    """Hold a lease for the block: wait up to `wait` seconds for devices, heartbeat every ttl/4, release at the end.

    Sets CUDA_VISIBLE_DEVICES to exactly the leased devices for the block, so
    torch and xgboost use what they were given. Raises NoDeviceFree after
    `wait` (a transient error: the task's retries try again); never shares a device.
    """
    host = host or os.environ.get("MODELFLEET_GPU_HOST") or None
    deadline = time.monotonic() + wait
    while (lease := try_acquire(capacity, holder, gpu_class, gpus, host=host, ttl=ttl, engine=engine)) is None:
        if time.monotonic() >= deadline:
            raise NoDeviceFree(
                f"no {'host ' + host if host else 'host'} has {gpus} free {gpu_class} device(s) after {wait:.0f}s although the "
                "pool admitted the task: pools and infra/capacity.yaml disagree, or a dead holder's lease has not expired yet")
        time.sleep(poll)
    stop = threading.Event()
    lost = threading.Event()

    def beat() -> None:
        while not stop.wait(ttl / 4):
            try:
                if not heartbeat(lease, ttl=ttl, engine=engine):
                    lost.set()
                    log.error("GPU lease %s on %s:%s ended while held", lease.group, lease.host, lease.visible_devices)
                    return
            except Exception:  # noqa: BLE001 - a missed beat is retried; expiry is ttl away
                log.exception("GPU lease heartbeat failed; retrying")

    previous = os.environ.get("CUDA_VISIBLE_DEVICES")
    os.environ["CUDA_VISIBLE_DEVICES"] = lease.visible_devices
    thread = threading.Thread(target=beat, name="gpu-lease-heartbeat", daemon=True)
    thread.start()
    log.info("leased %s device(s) %s on %s (lease %s)", gpu_class, lease.visible_devices, lease.host, lease.group)
    try:
        yield lease
    finally:
        stop.set()
        thread.join(timeout=5)
        if previous is None:
            os.environ.pop("CUDA_VISIBLE_DEVICES", None)
        else:
            os.environ["CUDA_VISIBLE_DEVICES"] = previous
        release(lease, engine=engine)
        log.info("released %s device(s) %s on %s", gpu_class, lease.visible_devices, lease.host)
    if lost.is_set():
        raise NoDeviceFree(f"the lease on {lease.host}:{lease.visible_devices} expired while the task ran; "
                           "its work may have shared a device and is not trusted")
