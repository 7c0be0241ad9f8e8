"""Check the logical date's data against the spec's rules before anything trains on it."""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from modelfleet.data_interval import data_interval_end
from modelfleet.io import read_frame, rendered_data_path
from modelfleet.operators.stage import PipelineStageOperator


class ValidateDataOperator(PipelineStageOperator):
    """Writes `validation_report.json` beside the run and returns the quality score.

    Policy: data nothing can be trained on (a required column missing, a
    column of the wrong type, fewer rows than `min_rows`) fails the task at
    once with an AirflowFailException listing every violation; bad data does
    not get better by retrying. Any other violation only lowers the quality
    score, and the quality gate downstream routes the run on it (full,
    reduced or alert-only). Freshness is judged at the end of the run's data
    interval, so a replay or backfill of a date sees what its first run saw.
    """

    ui_color = "#fde7e9"

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.validation.report import validate_frame

        spec = self.pipeline.model
        path = rendered_data_path(self.pipeline, context["ds"])
        report = validate_frame(read_frame(path, spec.data.format), spec.validation, judged_at=data_interval_end(context))
        report_path = self.run_dir(context) / "validation_report.json"
        report_path.write_text(json.dumps({"data": path, **report.to_dict()}, indent=2, default=str))
        self.log.info("validation of %s\n%s\nreport: %s", path, report.summary(), report_path)
        if report.unusable:
            raise AirflowFailException(f"data is unusable for training: {path}; report {report_path}\n{report.summary()}")
        return {"report": str(report_path), "quality_score": report.quality_score, "rows": report.rows,
                "violations": len(report.violations)}
