"""GPU scheduling scenarios as Airflow DAGs: one DAG per pipeline, one GPU task whose work is a calibrated sleep.

Read by the DAG processor of a platform started for the GPU sharing tests and
the scheduling benchmark (tests/support/gpu_fleet.py), never by the fleet's
own dags/ folder. The scenario file (MODELFLEET_SCENARIO_FILE) says, per
pipeline, its team, GPU class, GPUs per task, seconds of GPU work and tier,
and whether the platform's quota model is on (`modelfleet`) or plain Airflow
(`plain`: one shared `gpu` pool, default weights, no device leases).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

from airflow.sdk import DAG

from gpu_work import GpuSleepOperator  # pants: no-infer-dep (beside this file: the DAG folder is on sys.path)

SCENARIO = Path(os.environ.get("MODELFLEET_SCENARIO_FILE", "/nonexistent"))


def build(scenario: dict) -> list[DAG]:
    from modelfleet.scheduling.pools import gpu_pool_name
    from modelfleet.specs.tenant import PRIORITY_WEIGHTS

    dags = []
    plain = scenario["mode"] == "plain"
    for pipeline in scenario["pipelines"]:
        with DAG(dag_id=pipeline["dag_id"], schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
                 catchup=False, max_active_runs=64, tags=[f"scenario:{scenario['name']}", f"tenant:{pipeline['tenant']}"]) as dag:
            gpus = pipeline["gpus"]
            placement: dict = {} if plain else {"priority_weight": PRIORITY_WEIGHTS[pipeline["tier"]], "weight_rule": "absolute"}
            if gpus:  # gpus == 0: a CPU task in the default pool
                placement.update(pool="gpu" if plain else gpu_pool_name(pipeline["tenant"], scenario["gpu_class"], gpus),
                                 pool_slots=gpus, queue="gpu")
            GpuSleepOperator(task_id="train", tenant=pipeline["tenant"], tier=pipeline["tier"], gpu_class=scenario["gpu_class"],
                             gpus=gpus, seconds=pipeline["seconds"], lease=not plain and gpus > 0, retries=0, **placement)
        dags.append(dag)
    return dags


if SCENARIO.is_file():
    for _dag in build(json.loads(SCENARIO.read_text())):
        globals()[_dag.dag_id] = _dag
