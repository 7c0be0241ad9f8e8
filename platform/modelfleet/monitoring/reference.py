"""Drift of each champion: its training rows (the reference) against the newest input data of its pipeline.

The reference is the training part of `training_set.parquet` in the run
folder of the logical date the champion was trained on (the champion's MLflow
run carries `logical_date` and `partition` tags; the hold-out split is the
seeded one the trainer used). The current data is the pipeline's input file
for the newest logical date that has landed. A (champion version, data date)
pair is checked once; results go to monitoring's store.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from modelfleet import paths
from modelfleet.monitoring.drift import ColumnDrift, frame_drift, prediction_drift
from modelfleet.specs.loader import PipelineSpec, registered_model_name
from modelfleet.specs.model import DS_PLACEHOLDER

if TYPE_CHECKING:
    import pandas as pd

    from modelfleet.specs.tenant import DriftThresholds

log = logging.getLogger(__name__)
_DATE_GLOB = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"


def compare(reference: pd.DataFrame, current: pd.DataFrame, pipeline: PipelineSpec, thresholds: DriftThresholds,
            predict: Callable[[pd.DataFrame], Any] | None) -> list[ColumnDrift]:
    """Per model input (the encoder's columns) and, given the champion's `predict`, on its predictions."""
    from modelfleet.training.encoding import FeatureEncoder

    encoder = FeatureEncoder.from_spec(pipeline.model)
    results = frame_drift(reference, current, encoder.numeric, list(encoder.categorical), thresholds)
    if predict is not None:
        results.append(prediction_drift(predict(reference), predict(current), thresholds))
    return results


def training_rows(pipeline: PipelineSpec, logical_date: str, partition: str | None) -> pd.DataFrame | None:
    """The rows the champion learnt from: its run folder's training set, less the seeded hold-out."""
    import pandas as pd

    from modelfleet.training.split import holdout_mask

    path = paths.state_dir() / "runs" / pipeline.dag_id / logical_date / "training_set.parquet"
    if not path.is_file():
        return None
    spec = pipeline.model
    frame = pd.read_parquet(path)
    if partition and spec.partitions:
        frame = frame[frame[spec.partitions.key].astype(str) == partition].reset_index(drop=True)
    group_key = spec.features.join_keys[0] if spec.task == "ranking" else None
    return frame[~holdout_mask(frame, spec.training.seed, group_key)]


def newest_input(pipeline: PipelineSpec) -> tuple[str, str] | None:
    """(logical date, path) of the newest landed input file; None for S3 roots or when nothing landed."""
    import glob

    template = pipeline.data_path
    if template.startswith("s3://") or DS_PLACEHOLDER not in template:
        return None
    pattern = re.compile("^" + r"(\d{4}-\d{2}-\d{2})".join(re.escape(part) for part in template.split(DS_PLACEHOLDER)) + "$")
    found = [(m.group(1), path) for path in glob.glob(template.replace(DS_PLACEHOLDER, _DATE_GLOB)) if (m := pattern.match(path))]
    return max(found) if found else None


def check_pipeline(pipeline: PipelineSpec, registry: Any, thresholds: DriftThresholds) -> list[dict[str, Any]]:
    """Check each champion of the pipeline against its newest data once; returns the new rows stored."""
    from modelfleet.training.loading import load_fleet_model

    from modelfleet.hooks.mlflow_registry import CHAMPION
    from modelfleet.io import read_frame
    from modelfleet.monitoring import store

    latest = newest_input(pipeline)
    if latest is None:
        return []
    ds, data_path = latest
    partitions = pipeline.model.partitions.values if pipeline.model.partitions else [None]
    stored: list[dict[str, Any]] = []
    for partition in partitions:
        name = registered_model_name(pipeline.dag_id, partition)
        champion = registry.alias_version(name, CHAMPION)
        if champion is None or store.drift_checked(name, str(champion.version), ds):
            continue
        trained_on = registry.client.get_run(champion.run_id).data.tags.get("logical_date", "")
        reference = training_rows(pipeline, trained_on, partition)
        if reference is None or trained_on >= ds:
            continue  # no reference left on disk, or no data newer than the champion's own
        current = read_frame(data_path, pipeline.model.data.format)
        if partition and pipeline.model.partitions:
            current = current[current[pipeline.model.partitions.key].astype(str) == partition]
        model = load_fleet_model(f"models:/{name}@{CHAMPION}")
        results = compare(reference, current, pipeline, thresholds, lambda frame: model.predict(frame))
        rows = [{"dag_id": pipeline.dag_id, "model_name": name, "champion_version": str(champion.version), "data_date": ds,
                 "column": r.column, "psi": r.psi, "ks_pvalue": r.ks_pvalue, "drifted": r.drifted} for r in results]
        store.save_drift(rows)
        stored += rows
        log.info("%s v%s on %s: %d of %d columns drifted", name, champion.version, ds, sum(r.drifted for r in results), len(results))
    return stored
