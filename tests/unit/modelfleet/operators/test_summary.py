"""RunSummaryOperator: the join records what the run did, including a reduced run that deployed nothing."""

from __future__ import annotations

import json

from modelfleet.operators.summary import RunSummaryOperator


def test_reduced_run_summary_says_the_champion_is_unchanged(tenant_home, stage_run):
    run = stage_run("2026-11-20")
    run.ti.xcoms.update({
        ("quality_gate", "quality"): {"path": "reduced", "quality_score": 0.95},
        "evaluate": {"payments__card_fraud": {"decision": "promote", "reason": "auc 0.91 beats champion v1"}},
        "register": {"payments__card_fraud": {"version": "2", "decision": "promote", "partition": None}},
        # deploy was skipped: no XCom
    })
    outcome = run.run(RunSummaryOperator(task_id="summarize", tenant_id="payments", model_name="card_fraud"))
    assert outcome == {
        "logical_date": "2026-11-20", "quality_path": "reduced", "quality_score": 0.95,
        "models": {"payments__card_fraud": {"decision": "promote", "reason": "auc 0.91 beats champion v1",
                                            "registered_version": "2", "champion": "unchanged"}},
    }
    assert json.loads((tenant_home.run_dir("card_fraud", "2026-11-20") / "outcome.json").read_text()) == outcome


def test_full_run_summary_names_the_new_champion(tenant_home, stage_run):
    run = stage_run("2026-11-20")
    run.ti.xcoms.update({
        ("quality_gate", "quality"): {"path": "full", "quality_score": 1.0},
        "evaluate": {"payments__card_fraud": {"decision": "promote", "reason": "first model"}},
        "register": {"payments__card_fraud": {"version": "1", "decision": "promote", "partition": None}},
        "deploy": {"payments__card_fraud": "1"},
    })
    outcome = run.run(RunSummaryOperator(task_id="summarize", tenant_id="payments", model_name="card_fraud"))
    assert outcome["models"]["payments__card_fraud"]["champion"] == "moved to v1"
