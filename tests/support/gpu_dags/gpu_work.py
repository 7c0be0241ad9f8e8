"""GPU work for scheduling scenarios: lease k devices (or not, as plain Airflow), sleep, record what happened.

A calibrated sleep costs no CPU, so a 2-core machine can stand in for a fleet of
8 virtual GPUs: the scheduler, the pools and the leases are the real ones.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from airflow.sdk import BaseOperator


class GpuSleepOperator(BaseOperator):
    def __init__(self, *, tenant: str, tier: str, gpu_class: str, gpus: int, seconds: float, lease: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant, self.tier, self.gpu_class, self.gpus, self.seconds, self.lease = tenant, tier, gpu_class, gpus, seconds, lease

    def execute(self, context: Any) -> dict[str, Any]:
        task_start = time.time()
        if self.lease:
            from modelfleet.scheduling.capacity import load_capacity
            from modelfleet.scheduling.leases import Holder, leased_devices

            ti = context["ti"]
            holder = Holder(self.tenant, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number)
            with leased_devices(load_capacity(), holder, self.gpu_class, self.gpus, wait=600, poll=0.1, ttl=30) as lease:
                started = time.time()
                time.sleep(self.seconds)
                ended = time.time()
            host, devices = lease.host, list(lease.devices)
        else:  # plain Airflow hands out no device: every task sees all GPUs and CUDA counts from device 0
            started = time.time()
            time.sleep(self.seconds)
            ended = time.time()
            host, devices = "any", list(range(self.gpus))  # a CPU task (gpus 0) uses none
        record = {"dag_id": context["ti"].dag_id, "run_id": context["run_id"], "tenant": self.tenant, "tier": self.tier,
                  "gpus": self.gpus, "host": host, "devices": devices, "task_start": task_start, "started": started,
                  "ended": ended}
        with open(os.environ["MODELFLEET_TIMELINE_FILE"], "a", encoding="utf-8") as timeline:
            timeline.write(json.dumps(record) + "\n")  # one short write per task: appends do not interleave
        return record
