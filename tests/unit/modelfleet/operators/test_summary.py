"""RunSummaryOperator: per model, the run says whether it deployed, kept the champion, took the reduced path, or left none."""

from __future__ import annotations

import json

import pytest

from modelfleet.operators.summary import DEPLOYED, KEPT, NO_CHAMPION, REDUCED_PATH, RunSummaryOperator, model_outcome

NAME = "payments__merchant_risk"


def summarize(run):
    return run.run(RunSummaryOperator(task_id="summarize", tenant_id="payments", model_name="merchant_risk"))


def test_full_run_that_deployed_names_the_new_champion(stages, tenant_home):
    run = stages.through("merchant_risk", stages.day)
    run.ti.xcoms[("quality_gate", "quality")] = {"path": "full", "quality_score": 1.0}
    outcome = summarize(run)
    model = outcome["models"][NAME]
    assert model["outcome"] == DEPLOYED and model["champion_version"] == model["registered_version"] == "1"
    assert model["why"].startswith("champion is v1: first model")
    assert json.loads((tenant_home.run_dir("merchant_risk", stages.day.isoformat()) / "outcome.json").read_text()) == outcome


def test_reduced_run_keeps_the_champion_and_says_why(stages):
    stages.through("merchant_risk", stages.day)  # v1 is the champion
    run = stages.through("merchant_risk", stages.next_day, last="register")  # deploy skipped on the reduced path
    run.ti.xcoms[("quality_gate", "quality")] = {"path": "reduced", "quality_score": 0.975}
    model = summarize(run)["models"][NAME]
    assert model["outcome"] == REDUCED_PATH and model["champion_version"] == "1"
    assert model["registered_version"] == "2"
    assert model["why"] == "reduced path: data quality 0.975 below the full threshold, nothing deployed; champion stays v1"


def test_reduced_first_run_leaves_no_champion(stages):
    run = stages.through("merchant_risk", stages.day, last="register")
    run.ti.xcoms[("quality_gate", "quality")] = {"path": "reduced", "quality_score": 0.975}
    model = summarize(run)["models"][NAME]
    assert model["outcome"] == NO_CHAMPION and model["champion_version"] is None
    assert model["why"].startswith("reduced path: data quality 0.975")


def test_deploy_off_is_named_as_the_reason(stages):
    run = stages.through("merchant_risk", stages.day, last="register")
    run.params["deploy"] = False
    run.ti.xcoms[("quality_gate", "quality")] = {"path": "full", "quality_score": 1.0}
    model = summarize(run)["models"][NAME]
    assert model["outcome"] == NO_CHAMPION and "but this run had deploy=false" in model["why"]


@pytest.mark.parametrize(
    ("path", "decision", "deployed", "champion", "expected"),
    [
        pytest.param("full", "promote", "3", "3", DEPLOYED, id="deployed"),
        pytest.param("full", "keep_champion", None, "2", KEPT, id="challenger-lost"),
        pytest.param("full", "reject", None, "2", KEPT, id="challenger-rejected"),
        pytest.param("full", "reject", None, None, NO_CHAMPION, id="rejected-first-model"),
        pytest.param("reduced", "promote", None, "2", REDUCED_PATH, id="reduced"),
        pytest.param("reduced", "promote", None, None, NO_CHAMPION, id="reduced-no-champion"),
    ],
)
def test_model_outcome(path, decision, deployed, champion, expected):
    outcome, why = model_outcome(path, 0.99, {"decision": decision, "reason": "r"}, deployed, champion)
    assert outcome == expected and why
