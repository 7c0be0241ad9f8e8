"""Build the training set of one logical date from the validated input."""

from __future__ import annotations

from typing import Any

from modelfleet.io import read_frame, rendered_data_path
from modelfleet.operators.stage import PipelineStageOperator


class BuildFeaturesOperator(PipelineStageOperator):
    """Writes `training_set.parquet` (keys, timestamp, features, label) for the trainers.

    The Feast offline/online path (apply, materialize, point-in-time join)
    replaces the direct read here in the features issue; the file contract
    the trainers read stays the same.
    """

    ui_color = "#e6f4ea"

    def execute(self, context: Any) -> dict[str, Any]:
        spec = self.pipeline.model
        frame = read_frame(rendered_data_path(self.pipeline, context["ds"]), spec.data.format)
        wanted = [c.name for c in spec.validation.columns if c.name in frame.columns]
        out = self.run_dir(context) / "training_set.parquet"
        frame[wanted].to_parquet(out, index=False)
        self.log.info("training set: %d rows x %d columns -> %s", len(frame), len(wanted), out)
        return {"training_set": str(out), "rows": len(frame)}
