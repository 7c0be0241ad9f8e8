"""Register the winning candidate as a model version with alias `challenger` (once per logical date), carrying its run's lineage tags."""

from __future__ import annotations

from typing import Any

from modelfleet.operators.evaluate import REJECT
from modelfleet.operators.stage import PipelineStageOperator


class RegisterModelOperator(PipelineStageOperator):
    ui_color = "#e8eaed"

    def execute(self, context: Any) -> dict[str, dict[str, Any]]:
        from modelfleet.dag_factory.assets import describe_outlet_event, model_asset
        from modelfleet.hooks.mlflow_registry import CHALLENGER, MlflowRegistryHook
        from modelfleet.lineage import tags
        from modelfleet.lineage.tags import lineage_tags
        from modelfleet.lineage.tracing import annotate

        hook = MlflowRegistryHook()
        decisions: dict[str, dict[str, Any]] = context["ti"].xcom_pull(task_ids="evaluate") or {}
        registered: dict[str, dict[str, Any]] = {}
        for name, decision in sorted(decisions.items()):
            if decision["decision"] == REJECT:
                self.log.warning("%s: not registered: %s", name, decision["reason"])
                continue
            hook.ensure_registered_model(name, {"tenant": self.tenant_id, "dag_id": self.pipeline.dag_id})
            version = hook.version_for_logical_date(name, context["ds"])
            if version is None:
                run_tags = hook.client.get_run(decision["run_id"]).data.tags
                version = hook.client.create_model_version(
                    name=name, source=decision["model_uri"], run_id=decision["run_id"],
                    model_id=decision["model_uri"].removeprefix("models:/"),
                    tags={**lineage_tags(run_tags), tags.RUN_ID: decision["run_id"], "logical_date": context["ds"],
                          "decision": decision["decision"], "candidate": decision["candidate"],
                          tags.METRIC: self.pipeline.model.evaluation.metric, tags.HOLDOUT_METRIC: repr(float(decision["metric"]))},
                    description=decision["reason"],
                )
                self.log.info("%s: registered version %s from run %s", name, version.version, decision["run_id"])
            else:
                self.log.info("%s: version %s already registered for %s; reusing it", name, version.version, context["ds"])
            hook.client.set_registered_model_alias(name, CHALLENGER, version.version)
            registered[name] = {"version": str(version.version), "decision": decision["decision"],
                                "partition": decision.get("partition")}
        describe_outlet_event(context, model_asset(self.tenant_id, self.pipeline.model.name), {
            "logical_date": context["ds"],
            "versions": {name: {"version": entry["version"], "run_id": decisions[name]["run_id"]} for name, entry in registered.items()},
        })
        annotate(model_versions=[f"{name}:{entry['version']}" for name, entry in registered.items()])
        return registered
