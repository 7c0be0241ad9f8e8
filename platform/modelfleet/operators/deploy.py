"""Move `champion` to the challenger, smoke-test it, and move it back if anything fails."""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.evaluate import PROMOTE
from modelfleet.operators.stage import PipelineStageOperator


def smoke_test(model_uri: str, fixture: Any) -> None:
    """Load the model by alias and predict on a fixture: one finite prediction per row."""
    import mlflow.pyfunc
    import numpy as np

    predictions = np.asarray(mlflow.pyfunc.load_model(model_uri).predict(fixture), dtype=float)
    if predictions.shape[0] != len(fixture) or not np.isfinite(predictions).all():
        raise ValueError(f"smoke test: {predictions.shape[0]} predictions for {len(fixture)} rows, finite={np.isfinite(predictions).all()}")


class DeployModelOperator(PipelineStageOperator):
    """Once a champion exists there is never a moment without one: the alias moves, never disappears."""

    ui_color = "#e6f4ea"

    def smoke_fixture(self, context: Any, partition: str | None) -> Any:
        import pandas as pd

        suffix = f"_{partition}" if partition else ""
        return pd.read_parquet(self.run_dir(context) / f"holdout{suffix}.parquet").head(50)

    def execute(self, context: Any) -> dict[str, str]:
        from modelfleet.hooks.mlflow_registry import CHAMPION, MlflowRegistryHook

        hook = MlflowRegistryHook()
        hook.activate()
        registered: dict[str, dict[str, Any]] = context["ti"].xcom_pull(task_ids="register") or {}
        deployed: dict[str, str] = {}
        failures = []
        for name, entry in sorted(registered.items()):
            if entry["decision"] != PROMOTE or not context["params"].get("deploy", True):
                self.log.info("%s: champion stays (%s)", name, entry["decision"])
                continue
            previous = hook.alias_version(name, CHAMPION)
            if previous is not None and str(previous.version) == str(entry["version"]):
                self.log.info("%s: v%s is already the champion (a rerun); nothing to move", name, entry["version"])
                deployed[name] = entry["version"]
                continue
            hook.client.set_registered_model_alias(name, CHAMPION, entry["version"])
            try:
                smoke_test(f"models:/{name}@{CHAMPION}", self.smoke_fixture(context, entry.get("partition")))
            except Exception as exc:  # noqa: BLE001 - any failure means roll back
                if previous is not None:
                    hook.client.set_registered_model_alias(name, CHAMPION, previous.version)
                    rolled = f"champion rolled back to v{previous.version}"
                else:
                    hook.client.delete_registered_model_alias(name, CHAMPION)
                    rolled = "no previous champion; alias removed"
                self.log.error("%s v%s failed its smoke test: %s; %s", name, entry["version"], exc, rolled)
                failures.append(f"{name} v{entry['version']}: {exc} ({rolled})")
                continue
            self.log.info("%s: champion is now v%s (was %s)", name, entry["version"], previous.version if previous else "none")
            deployed[name] = entry["version"]
        if failures:
            raise AirflowFailException("deploy failed, rolled back:\n" + "\n".join(failures))
        return deployed
