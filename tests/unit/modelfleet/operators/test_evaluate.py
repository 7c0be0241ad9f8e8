"""EvaluateModelOperator: the first model is promoted; a challenger that is not better by min_improvement is not."""

from __future__ import annotations

import pytest

from modelfleet.operators.evaluate import KEEP, PROMOTE, REJECT, EvaluateModelOperator


@pytest.mark.parametrize("model", [pytest.param("merchant_risk", id="xgboost"), pytest.param("account_takeover", id="torch")])
def test_first_model_is_promoted_then_an_equal_challenger_keeps_the_champion(stages, model):
    name = f"payments__{model}"
    # Evaluation is under test, not serving: deploy to the batch target even where the spec says online.
    stages.home.edit_spec(model, lambda spec: spec["deployment"].update(target="batch"))
    spec = stages.home.pipeline(model).model
    assert spec.evaluation.min_improvement > 0

    first = stages.through(model, stages.day)
    decision = first.ti.xcoms["evaluate"][name]
    assert decision["decision"] == PROMOTE and decision["reason"].startswith("first model")
    assert decision["champion_metric"] is None and stages.champion(name) == "1"

    # Same data and seed: the challenger scores exactly what the champion scores on the same hold-out.
    again = stages.train(model, stages.day)
    again.run(stages.operator(EvaluateModelOperator, "evaluate", model, train_task_ids=["train"]))
    decision = again.ti.xcoms["evaluate"][name]
    assert decision["decision"] == KEEP, decision["reason"]
    assert decision["champion_metric"] == pytest.approx(decision["metric"]) and decision["champion_version"] == "1"
    assert f"by {spec.evaluation.min_improvement}" in decision["reason"]
    assert stages.client.get_run(decision["run_id"]).data.tags["decision"] == KEEP
    assert stages.champion(name) == "1"


def test_a_model_below_the_threshold_is_rejected(stages):
    stages.home.edit_spec("merchant_risk", lambda spec: spec["evaluation"].update(threshold=0.9999))
    run = stages.train("merchant_risk", stages.day)
    run.run(stages.operator(EvaluateModelOperator, "evaluate", "merchant_risk", train_task_ids=["train"]))
    decision = run.ti.xcoms["evaluate"]["payments__merchant_risk"]
    assert decision["decision"] == REJECT and "misses the threshold 0.9999" in decision["reason"]
