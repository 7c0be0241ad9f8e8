"""Check the logical date's data against the spec's rules before anything trains on it."""

from __future__ import annotations

import json
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.stage import PipelineStageOperator
from modelfleet.io import read_frame, rendered_data_path


class ValidateDataOperator(PipelineStageOperator):
    """Writes `validation_report.json` beside the run; fails (without retrying) on any violation.

    Bad data does not get better by retrying, so a violation is an
    AirflowFailException carrying every violation, and the alert goes out with it.
    """

    ui_color = "#fde7e9"

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.validation.report import validate_frame

        spec = self.pipeline.model
        path = rendered_data_path(self.pipeline, context["ds"])
        report = validate_frame(read_frame(path, spec.data.format), spec.validation)
        report_path = self.run_dir(context) / "validation_report.json"
        report_path.write_text(json.dumps({"data": path, **report.to_dict()}, indent=2, default=str))
        self.log.info("validation of %s\n%s\nreport: %s", path, report.summary(), report_path)
        if not report.passed:
            raise AirflowFailException(f"data validation failed for {path}; report {report_path}\n{report.summary()}")
        return {"report": str(report_path), "quality_score": report.quality_score, "rows": report.rows}
