"""The join at the end of a pipeline run: what the run did, in one XCom and one file."""

from __future__ import annotations

import json
from typing import Any

from modelfleet.operators.quality_gate import XCOM_KEY as QUALITY_XCOM_KEY
from modelfleet.operators.stage import PipelineStageOperator


class RunSummaryOperator(PipelineStageOperator):
    """Collects the quality path, each model's decision, registered version and deploy result.

    Runs after `register` and `deploy` with trigger rule
    `none_failed_min_one_success`, so it also runs on the reduced path (deploy
    skipped); writes `outcome.json` into the run folder for on-call.
    """

    ui_color = "#e8eaed"

    def execute(self, context: Any) -> dict[str, Any]:
        ti = context["ti"]
        gate: dict[str, Any] = ti.xcom_pull(task_ids="quality_gate", key=QUALITY_XCOM_KEY) or {}
        decisions: dict[str, dict[str, Any]] = ti.xcom_pull(task_ids="evaluate") or {}
        registered: dict[str, dict[str, Any]] = ti.xcom_pull(task_ids="register") or {}
        deployed: dict[str, str] = ti.xcom_pull(task_ids="deploy") or {}
        models = {
            name: {
                "decision": decision.get("decision"),
                "reason": decision.get("reason"),
                "registered_version": registered.get(name, {}).get("version"),
                "champion": f"moved to v{deployed[name]}" if name in deployed else "unchanged",
            }
            for name, decision in sorted(decisions.items())
        }
        outcome = {"logical_date": context["ds"], "quality_path": gate.get("path"),
                   "quality_score": gate.get("quality_score"), "models": models}
        (self.run_dir(context) / "outcome.json").write_text(json.dumps(outcome, indent=2, default=str))
        for name, model in models.items():
            self.log.info("%s: quality %s, %s, registered v%s, champion %s", name, outcome["quality_path"],
                          model["decision"], model["registered_version"], model["champion"])
        return outcome
