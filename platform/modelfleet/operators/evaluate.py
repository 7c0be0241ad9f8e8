"""Score each candidate and the current champion on the same hold-out; decide and record why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelfleet.operators.stage import PipelineStageOperator

PROMOTE, KEEP, REJECT = "promote", "keep_champion", "reject"


def train_results(ti: Any, task_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Flatten XComs of plain and mapped training tasks into one list of results."""
    results: list[dict[str, Any]] = []
    for task_id in task_ids:
        value = ti.xcom_pull(task_ids=task_id)
        if isinstance(value, dict):
            results.append(value)
        elif value is not None:
            results.extend(v for v in value if v)
    return results


class EvaluateModelOperator(PipelineStageOperator):
    ui_color = "#fef7e0"

    def __init__(self, *, train_task_ids: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.train_task_ids = list(train_task_ids)

    def execute(self, context: Any) -> dict[str, dict[str, Any]]:
        from modelfleet.training.loading import load_fleet_model
        import pandas as pd

        from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook
        from modelfleet.training.metrics import is_better, passes_threshold, score

        spec = self.pipeline.model
        lower, metric = spec.lower_is_better, spec.evaluation.metric
        hook = MlflowRegistryHook()
        hook.activate()
        decisions: dict[str, dict[str, Any]] = {}
        by_model: dict[str, list[dict[str, Any]]] = {}
        for result in train_results(context["ti"], self.train_task_ids):
            by_model.setdefault(result["model_name"], []).append(result)
        for name, results in sorted(by_model.items()):
            best = min(results, key=lambda r: r["metric"]) if lower else max(results, key=lambda r: r["metric"])
            champion = hook.alias_version(name, CHAMPION)
            champion_metric = None
            if champion is not None:
                suffix = f"_{best['partition']}" if best.get("partition") else ""
                holdout = pd.read_parquet(self.run_dir(context) / f"holdout{suffix}.parquet")
                predictions = load_fleet_model(f"models:/{name}@{CHAMPION}").predict(holdout)
                groups = holdout[spec.features.join_keys[0]].to_numpy() if spec.task == "ranking" else None
                champion_metric = score(metric, holdout[spec.features.label].to_numpy(dtype=float), predictions, groups)
            value = best["metric"]
            if not passes_threshold(lower, value, spec.evaluation.threshold):
                decision, reason = REJECT, f"{metric} {value:.4f} misses the threshold {spec.evaluation.threshold}"
            elif champion_metric is None:
                decision, reason = PROMOTE, f"first model: {metric} {value:.4f} passes the threshold {spec.evaluation.threshold}"
            elif is_better(lower, value, champion_metric, spec.evaluation.min_improvement):
                decision, reason = PROMOTE, f"{metric} {value:.4f} beats champion v{champion.version} ({champion_metric:.4f}) by >= {spec.evaluation.min_improvement}"
            else:
                decision, reason = KEEP, f"{metric} {value:.4f} does not beat champion v{champion.version} ({champion_metric:.4f}) by {spec.evaluation.min_improvement}"
            for result in results:
                chosen = result is best
                hook.client.set_tag(result["run_id"], "decision", decision if chosen else "not_selected")
                hook.client.set_tag(result["run_id"], "decision_reason", reason if chosen else f"{best['candidate']} scored better")
            self.log.info("%s: %s (%s); candidates: %s", name, decision, reason, {r["candidate"]: round(r["metric"], 4) for r in results})
            decisions[name] = {**best, "decision": decision, "reason": reason, "champion_metric": champion_metric,
                               "champion_version": str(champion.version) if champion else None}
        return decisions
