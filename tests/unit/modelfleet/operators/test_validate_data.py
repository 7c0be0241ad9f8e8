"""ValidateDataOperator on the tenant's generated data: the report, the quality score and its route, the hard failures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.quality_alert import DataQualityAlertOperator
from modelfleet.operators.quality_gate import ALERT, FULL, REDUCED, QualityGateOperator
from modelfleet.operators.validate_data import ValidateDataOperator

BRANCHES = {FULL: ["build_features", "allow_deploy"], REDUCED: ["build_features"], ALERT: ["quality_alert"]}


def validate(tenant_home, stage_run, day):
    run = stage_run(day.isoformat())
    run.run(ValidateDataOperator(task_id="validate_data", tenant_id="payments", model_name="card_fraud"))
    return run


def report_of(tenant_home, run):
    return json.loads((tenant_home.run_dir("card_fraud", run.ds) / "validation_report.json").read_text())


def route(run):
    return QualityGateOperator(task_id="quality_gate", branches=BRANCHES).route(run.context())[0]


def test_clean_data_scores_one_and_takes_the_full_path(tenant_home, stage_run, day):
    data = tenant_home.land("card_fraud", day)
    run = validate(tenant_home, stage_run, day)
    result = run.ti.xcoms["validate_data"]
    assert result["quality_score"] == 1.0 and result["rows"] == 1000 and result["violations"] == 0
    report = report_of(tenant_home, run)
    assert report["passed"] and report["data"] == str(data) and report["violations"] == []
    assert route(run) == FULL


@pytest.mark.parametrize(
    ("bad_rows", "path"),
    [pytest.param(0.002, REDUCED, id="two-bad-rows-reduced"), pytest.param(0.05, ALERT, id="five-percent-bad-alert")],
)
def test_spoilt_rows_lower_the_score_and_route_the_run(tenant_home, stage_run, day, bad_rows, path):
    tenant_home.land("card_fraud", day, bad_rows=bad_rows)
    run = validate(tenant_home, stage_run, day)
    report = report_of(tenant_home, run)
    assert not report["passed"] and report["violations"]
    assert {v["severity"] for v in report["violations"]} == {"degraded"}
    assert run.ti.xcoms["validate_data"]["quality_score"] == report["quality_score"] < 0.98
    assert route(run) == path


def test_bad_data_fails_the_run_with_the_violations_before_training(tenant_home, stage_run, day):
    tenant_home.land("card_fraud", day, bad_rows=0.2)
    run = validate(tenant_home, stage_run, day)
    assert route(run) == ALERT
    with pytest.raises(AirflowFailException) as failure:
        run.run(DataQualityAlertOperator(task_id="quality_alert"))

    report = report_of(tenant_home, run)
    checks = {(v["column"], v["check"]) for v in report["violations"]}
    assert {("amount", "not_nullable"), ("hour_of_day", "less_than_or_equal_to(23.0)"),
            ("region", "isin(['na', 'eu', 'apac'])"), ("(frame)", "duplicate rows at most 0.0%")} <= checks
    message = str(failure.value)
    assert "too low to train on" in message and "validation_report.json" in message
    assert "amount: not_nullable" in message and "region: isin" in message
    # Nothing downstream ran: the run folder holds the report only.
    assert [p.name for p in tenant_home.run_dir("card_fraud", run.ds).iterdir()] == ["validation_report.json"]


@pytest.mark.parametrize(
    ("spoil", "check"),
    [
        pytest.param(lambda f: f.head(100), "at least 500 rows", id="too-few-rows"),
        pytest.param(lambda f: f.drop(columns=["amount"]), "column_in_dataframe", id="missing-column"),
        pytest.param(lambda f: f.assign(hour_of_day=f["hour_of_day"].astype(str)), "dtype('int64')", id="wrong-type"),
    ],
)
def test_unusable_data_fails_validation_itself(tenant_home, stage_run, day, spoil, check):
    data = tenant_home.land("card_fraud", day)
    spoil(pd.read_parquet(data)).to_parquet(data, index=False)
    with pytest.raises(AirflowFailException, match="data is unusable for training") as failure:
        validate(tenant_home, stage_run, day)
    assert check in str(failure.value) and "[unusable]" in str(failure.value)
    report = report_of(tenant_home, stage_run(day.isoformat()))
    assert any(v["check"] == check and v["severity"] == "unusable" for v in report["violations"])
