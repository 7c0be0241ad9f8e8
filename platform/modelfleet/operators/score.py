"""Batch scoring: the current champion predicts on one logical date's rows; one file per date."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowSkipException

from modelfleet import paths
from modelfleet.operators.stage import PipelineStageOperator
from modelfleet.specs.loader import registered_model_name

if TYPE_CHECKING:
    import pandas as pd


def scores_path(dag_id: str, ds: str) -> Path:
    """`<state>/scores/<tenant>__<model>/<ds>.parquet`: keyed by logical date, so a rerun replaces it."""
    return paths.state_dir() / "scores" / dag_id / f"{ds}.parquet"


class ScoreBatchOperator(PipelineStageOperator):
    """Loads `models:/<name>@champion` (pinned to the version the alias names now) and scores the day's file.

    Partitioned pipelines score each partition's rows with that partition's
    champion. The output holds the join keys, timestamp, partition, the
    prediction and the model name and version that made it; it is written to
    a temporary file and renamed, so readers never see half a file. Skips
    (AirflowSkipException) while no champion exists yet.
    """

    ui_color = "#d2e3fc"

    def features_for(self, frame: pd.DataFrame, context: Any) -> pd.DataFrame:
        """The rows to score: the day's entities (keys, timestamp, partition) with features read online.

        Features come from the Feast online store, as materialized by the
        pipeline or the team's feature DAG, not from the raw file: scoring sees
        what serving would see.
        """
        import pandas as pd

        from modelfleet.features import model_online_features

        spec = self.pipeline.model
        keys = spec.features.join_keys
        online = model_online_features(self.pipeline, frame[keys])
        identity = [c for c in (*keys, spec.features.timestamp_column) if c in frame.columns]
        if spec.partitions and spec.partitions.key not in online.columns:
            identity.append(spec.partitions.key)
        return pd.concat([frame[identity].reset_index(drop=True), online.drop(columns=keys)], axis=1)

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.training.loading import load_fleet_model
        import pandas as pd

        from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook
        from modelfleet.io import read_frame, rendered_data_path

        pipeline, spec = self.pipeline, self.pipeline.model
        hook = MlflowRegistryHook()
        hook.activate()
        partitions: list[str | None] = list(spec.partitions.values) if spec.partitions else [None]
        champions = {p: hook.alias_version(registered_model_name(pipeline.dag_id, p), CHAMPION) for p in partitions}
        missing = sorted(registered_model_name(pipeline.dag_id, p) for p, v in champions.items() if v is None)
        if len(missing) == len(partitions):
            raise AirflowSkipException(
                f"no champion yet for {', '.join(missing)}: nothing to score for {context['ds']}; "
                f"scoring starts after the pipeline {pipeline.dag_id} deploys its first model"
            )
        if missing:
            self.log.warning("no champion yet for %s: their rows are not scored", ", ".join(missing))

        data_path = rendered_data_path(pipeline, context["ds"])
        frame = self.features_for(read_frame(data_path, spec.data.format), context)
        keep = [c for c in (*spec.features.join_keys, spec.features.timestamp_column) if c in frame.columns]
        parts = []
        used: dict[str, str] = {}
        for partition, version in champions.items():
            if version is None:
                continue
            name = registered_model_name(pipeline.dag_id, partition)
            rows = frame if partition is None else frame[frame[spec.partitions.key].astype(str) == partition]  # type: ignore[union-attr]
            if rows.empty:
                continue
            model = load_fleet_model(f"models:/{name}/{version.version}")
            out = rows[keep + ([spec.partitions.key] if partition is not None else [])].copy()  # type: ignore[union-attr]
            out["prediction"] = pd.Series(list(model.predict(rows)), index=rows.index, dtype=float)
            out["model_name"], out["model_version"] = name, str(version.version)
            parts.append(out)
            used[name] = str(version.version)
            self.log.info("%s v%s scored %d rows", name, version.version, len(rows))
        scored = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*keep, "prediction", "model_name", "model_version"])
        target = scores_path(pipeline.dag_id, context["ds"])
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        scored.to_parquet(tmp, index=False)
        os.replace(tmp, target)
        self.log.info("%d of %d rows scored -> %s (models %s)", len(scored), len(frame), target, used)
        return {"path": str(target), "rows": len(scored), "input_rows": len(frame), "data": data_path,
                "model_versions": used, "unscored_models": missing}
