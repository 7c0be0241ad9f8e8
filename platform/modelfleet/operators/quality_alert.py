"""The alert-only path of the quality gate: fail visibly, with the violations, so the team is alerted."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


class DataQualityAlertOperator(BaseOperator):
    """Raises AirflowFailException (no retries: data does not improve by retrying) carrying the report.

    The run is marked failed and the tenant's failure notifier sends the
    message; nothing was trained, so the champion is untouched.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#f6aea9"

    def __init__(self, *, validate_task_id: str = "validate_data", limit: int = 20, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validate_task_id = validate_task_id
        self.limit = limit

    def execute(self, context: Any) -> None:
        result = context["ti"].xcom_pull(task_ids=self.validate_task_id) or {}
        report_path = result.get("report")
        lines = [f"data quality score {result.get('quality_score')} is too low to train on; report {report_path}"]
        if report_path and Path(report_path).is_file():
            report = json.loads(Path(report_path).read_text())
            violations = report.get("violations", [])
            lines.append(f"data: {report.get('data')} ({report.get('rows')} rows, {len(violations)} violated checks)")
            lines += [f"  - {v['column']}: {v['check']} (e.g. {v['example']!r}, {v['count']} rows)" for v in violations[: self.limit]]
            if len(violations) > self.limit:
                lines.append(f"  ... and {len(violations) - self.limit} more (see the report)")
        raise AirflowFailException("\n".join(lines))
