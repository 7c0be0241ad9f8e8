"""The join at the end of a pipeline run: what the run did, in one XCom and one file."""

from __future__ import annotations

import json
from typing import Any

from modelfleet.operators.evaluate import PROMOTE
from modelfleet.operators.quality_gate import REDUCED
from modelfleet.operators.quality_gate import XCOM_KEY as QUALITY_XCOM_KEY
from modelfleet.operators.run_conf import deploy_enabled
from modelfleet.operators.stage import PipelineStageOperator

DEPLOYED = "deployed"
"""`champion` points at this run's model version."""
KEPT = "kept champion"
"""The challenger did not win (or deploys were off): the champion stays."""
REDUCED_PATH = "reduced path"
"""Data quality was below the full threshold: a challenger may be registered, nothing is deployed."""
NO_CHAMPION = "no champion"
"""After this run the model has no champion at all: nothing serves it. Never a green outcome."""
OUTCOMES = (DEPLOYED, KEPT, REDUCED_PATH, NO_CHAMPION)


def model_outcome(quality_path: str | None, quality_score: float | None, decision: dict[str, Any],
                  deployed_version: str | None, champion_version: str | None, deploy_enabled: bool = True) -> tuple[str, str]:
    """One model's outcome of a run and why, from what the run's tasks returned and the registry now.

    `champion_version` is the version `champion` points at after the run (None: no champion).
    """
    if deployed_version is not None:
        return DEPLOYED, f"champion is v{deployed_version}: {decision.get('reason')}"
    if quality_path == REDUCED:
        why = f"reduced path: data quality {quality_score} below the full threshold, nothing deployed"
    elif decision.get("decision") == PROMOTE and not deploy_enabled:
        why = f"the challenger won ({decision.get('reason')}) but this run had deploy=false"
    else:
        why = f"{decision.get('decision')}: {decision.get('reason')}"
    if champion_version is None:
        return NO_CHAMPION, why
    if quality_path == REDUCED:
        return REDUCED_PATH, f"{why}; champion stays v{champion_version}"
    return KEPT, f"{why}; champion stays v{champion_version}"


class RunSummaryOperator(PipelineStageOperator):
    """Says per model whether the run deployed a new champion, kept it, took the reduced path, or left none.

    Runs after `register` and `deploy` with trigger rule
    `none_failed_min_one_success`, so it also runs on the reduced path (deploy
    skipped); writes `outcome.json` into the run folder for on-call, and
    `modelfleet run` prints the same outcomes.
    """

    ui_color = "#e8eaed"

    def execute(self, context: Any) -> dict[str, Any]:
        from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook

        ti = context["ti"]
        gate: dict[str, Any] = ti.xcom_pull(task_ids="quality_gate", key=QUALITY_XCOM_KEY) or {}
        decisions: dict[str, dict[str, Any]] = ti.xcom_pull(task_ids="evaluate") or {}
        registered: dict[str, dict[str, Any]] = ti.xcom_pull(task_ids="register") or {}
        deployed: dict[str, str] = ti.xcom_pull(task_ids="deploy") or {}
        hook = MlflowRegistryHook()
        models = {}
        for name, decision in sorted(decisions.items()):
            champion = hook.alias_version(name, CHAMPION)
            champion_version = None if champion is None else str(champion.version)
            verdict, why = model_outcome(gate.get("path"), gate.get("quality_score"), decision, deployed.get(name),
                                         champion_version, deploy_enabled=deploy_enabled(context))
            models[name] = {
                "outcome": verdict,
                "why": why,
                "decision": decision.get("decision"),
                "reason": decision.get("reason"),
                "registered_version": registered.get(name, {}).get("version"),
                "champion_version": champion_version,
            }
        outcome = {"logical_date": context["ds"], "quality_path": gate.get("path"),
                   "quality_score": gate.get("quality_score"), "models": models}
        (self.run_dir(context) / "outcome.json").write_text(json.dumps(outcome, indent=2, default=str))
        for name, model in models.items():
            log = self.log.warning if model["outcome"] == NO_CHAMPION else self.log.info
            log("%s: %s (%s); registered v%s", name, model["outcome"], model["why"], model["registered_version"])
        return outcome
