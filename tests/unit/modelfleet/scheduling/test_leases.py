"""Device leases on a real SQLite database: atomic, one host per lease, expiry of dead holders, and the audit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from modelfleet import state_db
from modelfleet.scheduling import audit, leases
from modelfleet.scheduling.capacity import Capacity

CAPACITY = Capacity.model_validate({"gpu_classes": {"a10g": "test", "a100": "test"},
                                    "hosts": {"h1": {"a10g": [0, 1]}, "h2": {"a10g": [0, 1, 2]}, "h3": {"a100": [0]}}})


@pytest.fixture
def engine(tmp_path):
    return state_db.engine(f"sqlite:///{tmp_path / 'modelfleet.db'}")


def holder(task: str = "train", tenant: str = "acme") -> leases.Holder:
    return leases.Holder(tenant, f"{tenant}__m", "r1", task)


def test_a_lease_takes_k_devices_on_one_host_best_fit(engine):
    two = leases.try_acquire(CAPACITY, holder("a"), "a10g", 2, engine=engine)
    assert two.host == "h1" and two.devices == (0, 1) and two.visible_devices == "0,1"  # h1 fits exactly
    three = leases.try_acquire(CAPACITY, holder("b"), "a10g", 3, engine=engine)
    assert three.host == "h2" and three.devices == (0, 1, 2)
    assert leases.try_acquire(CAPACITY, holder("c"), "a10g", 1, engine=engine) is None
    leases.release(two, engine=engine)
    again = leases.try_acquire(CAPACITY, holder("c"), "a10g", 1, engine=engine)
    assert again.host == "h1"
    assert [(r.host, r.device) for r in leases.open_leases(engine)] == [("h1", 0), ("h2", 0), ("h2", 1), ("h2", 2)]


def test_a_named_host_only_leases_its_own_devices(engine):
    assert leases.try_acquire(CAPACITY, holder(), "a10g", 3, host="h1", engine=engine) is None
    assert leases.try_acquire(CAPACITY, holder(), "a10g", 2, host="h1", engine=engine).host == "h1"


def test_concurrent_acquires_never_share_a_device(engine):
    """Twenty threads race for five a10g devices: exactly five win, each on a device of its own."""
    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda i: leases.try_acquire(CAPACITY, holder(f"t{i}"), "a10g", 1, engine=engine), range(20)))
    won = [r for r in results if r is not None]
    assert len(won) == 5
    assert len({(r.host, r.devices) for r in won}) == 5
    assert audit.audit(engine).ok


def test_a_dead_holders_lease_expires_and_the_device_is_recovered(engine, tmp_path):
    """A holder killed with SIGKILL stops heartbeating; its lease ends at its expiry and the device is leased again."""
    url = f"sqlite:///{tmp_path / 'modelfleet.db'}"
    child = subprocess.Popen([sys.executable, "-c", f"""
import time
from modelfleet import state_db
from modelfleet.scheduling import leases
from modelfleet.scheduling.capacity import Capacity
capacity = Capacity.model_validate_json({CAPACITY.model_dump_json()!r})
holder = leases.Holder("acme", "acme__m", "r1", "doomed")
with leases.leased_devices(capacity, holder, "a100", 1, ttl=1.0, engine=state_db.engine({url!r})):
    print("held", flush=True)
    time.sleep(600)
"""], stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    try:
        assert child.stdout.readline().strip() == "held"
        assert leases.try_acquire(CAPACITY, holder("next"), "a100", 1, engine=engine) is None  # heartbeats keep it
        time.sleep(1.5)
        assert leases.try_acquire(CAPACITY, holder("next"), "a100", 1, engine=engine) is None  # still alive: still held
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        killed = time.time()
        recovered = None
        while time.time() - killed < 10:
            recovered = leases.try_acquire(CAPACITY, holder("next"), "a100", 1, engine=engine)
            if recovered:
                break
            time.sleep(0.05)
        waited = time.time() - killed
    finally:
        child.kill()
    assert recovered is not None and recovered.devices == (0,)
    assert waited <= 1.0 + 0.5  # within the lease's ttl (1 s) of the kill, plus polling
    report = audit.audit(engine)
    assert report.ok and report.expired == 1


def test_leased_devices_sets_cuda_visible_devices_and_releases(engine, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "untouched")
    with leases.leased_devices(CAPACITY, holder(), "a10g", 2, engine=engine) as lease:
        assert os.environ["CUDA_VISIBLE_DEVICES"] == lease.visible_devices == "0,1"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "untouched"
    assert leases.open_leases(engine) == []


def test_no_free_device_is_a_transient_error_never_a_shared_device(engine):
    first = leases.try_acquire(CAPACITY, holder("a"), "a100", 1, engine=engine)
    assert first is not None
    with pytest.raises(leases.NoDeviceFree, match="no host has 1 free a100 device"):
        with leases.leased_devices(CAPACITY, holder("b"), "a100", 1, wait=0.2, poll=0.05, engine=engine):
            pass


def test_audit_finds_an_overlap_and_a_task_that_ran_on_after_its_lease_expired(engine):
    rows = [
        {"lease_group": "g1", "gpu_class": "a10g", "host": "h1", "device": 0, "tenant": "acme", "dag_id": "d", "run_id": "r",
         "task_id": "a", "map_index": -1, "try_number": 1, "holder_pid": 1, "acquired_at": 100.0, "heartbeat_at": 100.0,
         "expires_at": 160.0, "released_at": 160.0, "end_reason": "expired"},
        {"lease_group": "g2", "gpu_class": "a10g", "host": "h1", "device": 0, "tenant": "acme", "dag_id": "d", "run_id": "r",
         "task_id": "b", "map_index": -1, "try_number": 1, "holder_pid": 2, "acquired_at": 170.0, "heartbeat_at": 170.0,
         "expires_at": 230.0, "released_at": 200.0, "end_reason": "released"},
    ]
    with engine.begin() as conn:
        conn.execute(state_db.gpu_leases.insert(), rows)
    assert audit.audit(engine, now=300.0).ok  # the leases alone do not overlap
    report = audit.audit(engine, task_ends=lambda keys: {k: 180.0 for k in keys}, now=300.0)  # but task a ran until 180
    assert not report.ok and len(report.conflicts) == 1
    conflict = report.conflicts[0]
    assert conflict.device == "a10g:h1:0" and conflict.overlap == pytest.approx(10.0)
    assert "d.a try 1" in str(conflict) and "expired, task ran on" in str(conflict)
