"""DataQualityAlertOperator: always fails (no retries), carrying the score, the report path and the violations."""

from __future__ import annotations

import json

import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.quality_alert import DataQualityAlertOperator


def test_alert_lists_at_most_limit_violations(tmp_path, stage_run):
    violations = [{"column": f"c{i}", "check": "not_nullable", "example": "nan", "count": i + 1} for i in range(5)]
    report = tmp_path / "validation_report.json"
    report.write_text(json.dumps({"data": "/d/x.parquet", "rows": 10, "violations": violations}))
    run = stage_run("2026-11-20")
    run.ti.xcoms["validate_data"] = {"quality_score": 0.5, "report": str(report)}
    with pytest.raises(AirflowFailException) as failure:
        run.run(DataQualityAlertOperator(task_id="quality_alert", limit=3))
    lines = str(failure.value).splitlines()
    assert lines[0] == f"data quality score 0.5 is too low to train on; report {report}"
    assert lines[1] == "data: /d/x.parquet (10 rows, 5 violated checks)"
    assert lines[2:5] == [f"  - c{i}: not_nullable (e.g. 'nan', {i + 1} rows)" for i in range(3)]
    assert lines[5] == "  ... and 2 more (see the report)"


def test_alert_without_a_report_still_fails(stage_run):
    with pytest.raises(AirflowFailException, match="data quality score None is too low"):
        stage_run("2026-11-20").run(DataQualityAlertOperator(task_id="quality_alert"))
