"""validate_frame: every violation collected at once, its severity, and the quality score."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest

from modelfleet.specs.model import ValidationRules
from modelfleet.validation.report import DEGRADED, UNUSABLE, ValidationReport, validate_frame

RULES = ValidationRules.model_validate({
    "min_rows": 5,
    "max_null_fraction": 0.25,
    "freshness_column": "ts",
    "max_staleness": "1d",
    "columns": [
        {"name": "id", "dtype": "int", "nullable": False, "min": 1},
        {"name": "ts", "dtype": "datetime", "nullable": False},
        {"name": "amount", "dtype": "float", "min": 0, "max": 100, "mean_between": [5, 50]},
        {"name": "channel", "dtype": "str", "nullable": False, "allowed": ["web", "pos"]},
    ],
})


AT = datetime(2026, 11, 20, tzinfo=timezone.utc)
"""The data interval end every frame is judged at: a fixed instant, so no verdict depends on the day the test runs."""


def frame(n: int = 8, **overrides) -> pd.DataFrame:
    data = {"id": np.arange(1, n + 1, dtype="int64"), "ts": pd.Series([AT - timedelta(hours=i) for i in range(n)]),
            "amount": np.linspace(10.0, 30.0, n), "channel": ["web", "pos"] * (n // 2)}
    data.update(overrides)
    return pd.DataFrame(data)


def checks(report: ValidationReport) -> dict[tuple[str, str], str]:
    return {(v["column"], v["check"]): v["severity"] for v in report.violations}


def test_clean_frame_passes_with_score_one():
    report = validate_frame(frame(), RULES, judged_at=AT)
    assert report.passed and report.violations == [] and report.quality_score == 1.0
    # 3 frame checks + freshness, plus 1 (dtype/presence) + rule checks per column
    assert report.checks == 4 + (1 + 1) + (1 + 1) + (1 + 3) + (1 + 1)


def test_degraded_values_are_collected_together():
    amount = [10.0, -1.0, 30.0, 20.0, 10.0, 400.0, np.nan, 10.0]  # mean 68
    report = validate_frame(frame(amount=amount, channel=["web", "pos", "fax", "web", "pos", "web", "pos", "web"]), RULES, judged_at=AT)
    assert checks(report) == {
        ("amount", "greater_than_or_equal_to(0.0)"): DEGRADED,
        ("amount", "less_than_or_equal_to(100.0)"): DEGRADED,
        ("amount", "mean between 5.0 and 50.0"): DEGRADED,
        ("channel", "isin(['web', 'pos'])"): DEGRADED,
    }
    assert not report.passed and report.unusable == []
    assert report.quality_score == round(1 - 4 / report.checks, 4)


def test_nullable_column_within_the_null_budget_passes_and_beyond_it_fails():
    assert validate_frame(frame(amount=[np.nan, 10.0, 20, 30, 10, 20, 30, 10]), RULES, judged_at=AT).passed
    over = validate_frame(frame(amount=[np.nan, np.nan, np.nan, 30, 10, 20, 30, 10]), RULES, judged_at=AT)
    assert checks(over) == {("(frame)", "nulls per column at most 25.0%"): DEGRADED}


def test_stale_data_and_duplicates_are_degraded():
    old = frame()
    old["ts"] = old["ts"] - timedelta(days=3)
    doubled = pd.concat([old.head(4), old.head(4)], ignore_index=True)
    assert checks(validate_frame(doubled, RULES, judged_at=AT)) == {
        ("(frame)", "newest ts within 1 day, 0:00:00 of the data interval end"): DEGRADED,
        ("(frame)", "duplicate rows at most 0.0%"): DEGRADED,
    }


def test_freshness_is_measured_from_the_data_interval_end():
    old = frame()
    old["ts"] = old["ts"] - timedelta(days=3)
    newest = old["ts"].max().to_pydatetime()
    fresh = validate_frame(old, RULES, judged_at=newest + timedelta(hours=23))
    assert fresh.passed and fresh.judged_at == (newest + timedelta(hours=23)).isoformat()
    assert checks(validate_frame(old, RULES, judged_at=newest + timedelta(hours=25))) == {
        ("(frame)", "newest ts within 1 day, 0:00:00 of the data interval end"): DEGRADED,
    }


@pytest.mark.parametrize(
    ("data", "check"),
    [
        pytest.param(lambda: frame(n=4), "at least 5 rows", id="too-few-rows"),
        pytest.param(lambda: frame().drop(columns=["channel"]), "column_in_dataframe", id="missing-column"),
        pytest.param(lambda: frame().assign(id=lambda f: f["id"].astype(str)), "dtype('int64')", id="wrong-type"),
    ],
)
def test_unusable_data(data, check):
    report = validate_frame(data(), RULES, judged_at=AT)
    assert check in {v["check"] for v in report.unusable}
    assert all(v["severity"] == UNUSABLE for v in report.unusable)
    assert "[unusable]" in report.summary()


def test_summary_is_capped():
    report = ValidationReport(False, 10, 30, [{"column": f"c{i}", "check": "x", "example": None, "count": 1, "severity": DEGRADED}
                                              for i in range(25)])
    lines = report.summary(limit=20).splitlines()
    assert lines[0] == "FAILED: 10 rows, 30 checks, quality score 0.1667"
    assert len(lines) == 22 and lines[-1] == "  ... and 5 more (see the report artifact)"
