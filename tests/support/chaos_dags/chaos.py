"""Two small DAGs for the chaos tests, with the platform's retry policy (exponential backoff) and short delays.

- `chaos__flaky`: fails twice on a real transient error (a connection refused by
  a loopback port nothing listens on), succeeds on its third try.
- `chaos__gpu_train`: leases every a100 device (infra/capacity.yaml) with a short
  TTL and "trains" (sleeps) while heartbeating; the test kills its process.
"""

from __future__ import annotations

import socket
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from airflow.sdk import DAG, BaseOperator

from modelfleet.dag_factory.defaults import BACKOFF_MULTIPLIER, MAX_RETRY_DELAY
from modelfleet.error_class import ClassifiedErrors

FLAKY_RETRY_DELAY = timedelta(seconds=3)
GPU_CLASS, GPUS, LEASE_TTL = "a100", 2, 10.0


class FlakyOperator(ClassifiedErrors, BaseOperator):
    """Until its third try, connects to a port where nothing listens (ConnectionRefusedError: transient)."""

    def execute(self, context: Any) -> int:
        try_number = context["ti"].try_number
        if try_number < 3:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]  # bound, never listening: refused
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
        return try_number


class GpuTrainOperator(ClassifiedErrors, BaseOperator):
    """Holds a device lease (heartbeating) for `seconds`, as a GPU training task does."""

    def __init__(self, *, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seconds = seconds

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.scheduling.capacity import load_capacity
        from modelfleet.scheduling.leases import Holder, leased_devices

        ti = context["ti"]
        holder = Holder("chaos", ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)
        with leased_devices(load_capacity(), holder, GPU_CLASS, GPUS, wait=120, poll=0.5, ttl=LEASE_TTL) as lease:
            time.sleep(self.seconds)
            return {"host": lease.host, "devices": list(lease.devices)}


common = {"schedule": None, "start_date": datetime(2026, 1, 1, tzinfo=timezone.utc), "catchup": False, "tags": ["chaos"]}
backoff = {"retry_exponential_backoff": BACKOFF_MULTIPLIER, "max_retry_delay": MAX_RETRY_DELAY}

with DAG(dag_id="chaos__flaky", **common) as flaky:
    FlakyOperator(task_id="flaky", retries=3, retry_delay=FLAKY_RETRY_DELAY, **backoff)

with DAG(dag_id="chaos__gpu_train", **common) as gpu_train:
    GpuTrainOperator(task_id="train", seconds=20, retries=1, retry_delay=timedelta(seconds=1), **backoff)
