"""RegisterModelOperator: one model version per logical date, alias `challenger`; rejected models stay out."""

from __future__ import annotations

from modelfleet.operators.evaluate import EvaluateModelOperator
from modelfleet.operators.register import RegisterModelOperator


def test_rerun_of_the_same_logical_date_reuses_its_model_version(stages):
    name = "payments__merchant_risk"
    run = stages.through("merchant_risk", stages.day, last="register")
    first = run.ti.xcoms["register"][name]
    assert first == {"version": "1", "decision": "promote", "partition": None}

    again = run.run(stages.operator(RegisterModelOperator, "register", "merchant_risk"))
    assert again[name] == first
    versions = stages.client.search_model_versions(f"name='{name}'")
    assert [(v.version, v.tags["logical_date"]) for v in versions] == [(1, run.ds)]
    trained = stages.client.get_run(versions[0].run_id).data.metrics["holdout_auc"]
    assert (versions[0].tags["metric"], float(versions[0].tags["holdout_metric"])) == ("auc", trained)  # the Fleet page's trend
    assert stages.client.get_model_version_by_alias(name, "challenger").version == 1
    model = stages.client.get_registered_model(name)
    assert model.tags == {"tenant": "payments", "dag_id": name}

    # A whole rerun of the day (new training run) still maps to the same version.
    rerun = stages.through("merchant_risk", stages.day, last="register")
    assert rerun.ti.xcoms["register"][name]["version"] == "1"
    assert len(stages.client.search_model_versions(f"name='{name}'")) == 1


def test_a_rejected_model_is_not_registered(stages):
    stages.home.edit_spec("merchant_risk", lambda spec: spec["evaluation"].update(threshold=0.9999))
    run = stages.train("merchant_risk", stages.day)
    run.run(stages.operator(EvaluateModelOperator, "evaluate", "merchant_risk", train_task_ids=["train"]))
    assert run.run(stages.operator(RegisterModelOperator, "register", "merchant_risk")) == {}
    assert stages.client.search_model_versions("name='payments__merchant_risk'") == []
