"""Airflow DAG file of a benchmark DAG folder: the same pipeline with DVC left out, the baseline of the lineage-overhead benchmark.

The trainer still records the training set's md5 (hashlib), so every other
step, tag and file is the same; only `dvc add` and `dvc push` are missing.
Not a product switch: lineage without DVC could not be reproduced.
"""

import hashlib
from pathlib import Path

from modelfleet.dag_factory import pipeline as factory
from modelfleet.lineage.snapshots import Snapshot
from modelfleet.operators.train import TrainModelOperator
from modelfleet.specs.loader import load_pipeline


class TrainWithoutDvc(TrainModelOperator):
    def snapshot_data(self, run_dir: Path) -> list[Snapshot]:
        found = []
        for path in (run_dir / "training_set.parquet", run_dir / "validation_report.json"):
            if path.exists():
                data = path.read_bytes()
                found.append(Snapshot(path.name, hashlib.md5(data).hexdigest(), len(data), "none", "none"))
        return found


factory.TrainModelOperator = TrainWithoutDvc  # this file's DAG only: the benchmark platform parses nothing else
dag = factory.build_pipeline_dag(load_pipeline("lending", "application_default"))
