"""QualityGateOperator: which path a quality score takes, and what the gate refuses to be built with."""

from __future__ import annotations

import pytest

from modelfleet.operators.quality_gate import (
    ALERT,
    FULL,
    FULL_QUALITY,
    REDUCED,
    REDUCED_QUALITY,
    QualityGateOperator,
    quality_path,
)

BRANCHES = {FULL: ["build_features", "allow_deploy"], REDUCED: ["build_features"], ALERT: ["quality_alert"]}


def test_platform_thresholds():
    assert (FULL_QUALITY, REDUCED_QUALITY) == (0.98, 0.90)


@pytest.mark.parametrize(
    ("score", "path"),
    [
        pytest.param(1.0, FULL, id="clean"),
        pytest.param(0.98, FULL, id="at-full-threshold"),
        pytest.param(0.9799, REDUCED, id="just-below-full"),
        pytest.param(0.9, REDUCED, id="at-reduced-threshold"),
        pytest.param(0.8999, ALERT, id="just-below-reduced"),
        pytest.param(0.0, ALERT, id="nothing-passed"),
    ],
)
def test_quality_path(score, path):
    assert quality_path(score) == path


@pytest.mark.parametrize(("score", "branch"), [(1.0, BRANCHES[FULL]), (0.95, BRANCHES[REDUCED]), (0.5, BRANCHES[ALERT])])
def test_choose_branch_reads_the_validation_xcom(stage_run, score, branch):
    run = stage_run("2026-11-20")
    run.ti.xcoms["validate_data"] = {"quality_score": score, "rows": 10, "report": "r.json"}
    assert QualityGateOperator(task_id="quality_gate", branches=BRANCHES).choose_branch(run.context()) == branch


def test_custom_thresholds_route_the_same_score_differently(stage_run):
    run = stage_run("2026-11-20")
    run.ti.xcoms["validate_data"] = {"quality_score": 0.95}
    gate = QualityGateOperator(task_id="quality_gate", branches=BRANCHES, full_threshold=0.95, reduced_threshold=0.5)
    assert gate.route(run.context()) == (FULL, 0.95)


def test_missing_validation_result_fails_loudly(stage_run):
    with pytest.raises(ValueError, match="validate_data returned no quality_score"):
        QualityGateOperator(task_id="quality_gate", branches=BRANCHES).route(stage_run("2026-11-20").context())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"branches": {FULL: ["a"], REDUCED: ["b"]}}, "branches must name exactly", id="missing-path"),
        pytest.param({"branches": BRANCHES, "full_threshold": 0.8, "reduced_threshold": 0.9}, "thresholds must satisfy", id="reduced-above-full"),
        pytest.param({"branches": BRANCHES, "full_threshold": 1.5}, "thresholds must satisfy", id="above-one"),
    ],
)
def test_invalid_gate_is_refused_at_parse_time(kwargs, message):
    with pytest.raises(ValueError, match=message):
        QualityGateOperator(task_id="quality_gate", **kwargs)
