"""Smoke-test the challenger by its version, then move `champion` to it; online models switch on the server too.

Order matters: nothing a reader can see changes until the challenger has
passed. Batch: smoke test in-process -> alias moves. Online: smoke test
in-process -> the model server loads the version next to the live one ->
smoke test through the server's endpoint -> alias moves -> the server
switches live in one step -> one live request confirms it. A failure after
the alias moved (the switch, the confirmation) rolls both back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.sdk.exceptions import AirflowFailException

from modelfleet.error_class import PermanentFailure
from modelfleet.operators.evaluate import PROMOTE
from modelfleet.operators.run_conf import deploy_enabled
from modelfleet.operators.stage import PipelineStageOperator

if TYPE_CHECKING:
    import pandas as pd

    from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
    from modelfleet.hooks.model_server import ModelServerHook

SMOKE_ROWS = 50


class SmokeTestFailed(PermanentFailure):
    """The challenger cannot serve: nothing moved, and a retry would fail the same way."""


def check_predictions(predictions: Any, rows: int, where: str) -> None:
    """One finite prediction per row, or SmokeTestFailed saying what was wrong."""
    import numpy as np

    values = np.asarray([np.nan if p is None else p for p in predictions], dtype=float).reshape(-1)
    if values.shape[0] != rows:
        raise SmokeTestFailed(f"{where}: {values.shape[0]} predictions for {rows} rows")
    if not np.isfinite(values).all():
        raise SmokeTestFailed(f"{where}: {int((~np.isfinite(values)).sum())} of {rows} predictions are not finite")


def smoke_test(model_uri: str, fixture: pd.DataFrame) -> None:
    """Load the model by version and predict on a fixture in-process: one finite prediction per row."""
    from modelfleet.training.loading import load_fleet_model

    model = load_fleet_model(model_uri)  # a registry outage raises here and is retried
    try:
        predictions = model.predict(fixture)
    except Exception as exc:  # noqa: BLE001 - any failure to predict is the model's
        raise SmokeTestFailed(f"in-process predict failed: {type(exc).__name__}: {exc}") from exc
    check_predictions(predictions, len(fixture), "in-process")


def smoke_test_live(server: ModelServerHook, name: str, version: str, entities: list[dict[str, Any]]) -> None:
    """Stage `version` on the model server and predict through its endpoint, by entity keys, before it is live."""
    from modelfleet.hooks.model_server import ModelServerError

    try:
        server.stage(name, version)
        answer = server.predict(name, entities, version=version)
    except ModelServerError as exc:
        raise SmokeTestFailed(f"model server: {exc.detail}") from exc
    if answer.get("version") != version:
        raise SmokeTestFailed(f"model server answered with v{answer.get('version')}, not the staged v{version}")
    if answer.get("entities_without_features") == len(entities):
        raise SmokeTestFailed(f"the online store has no features for any of the {len(entities)} smoke-test entities; "
                              "materialize the views (the pipeline's build_features step) before deploying")
    check_predictions(answer["predictions"], len(entities), "model server")


class DeployModelOperator(PipelineStageOperator):
    """Once a champion exists there is never a moment without one: the alias moves, never disappears."""

    ui_color = "#e6f4ea"

    def smoke_fixture(self, context: Any, partition: str | None) -> pd.DataFrame:
        import pandas as pd

        suffix = f"_{partition}" if partition else ""
        return pd.read_parquet(self.run_dir(context) / f"holdout{suffix}.parquet").head(SMOKE_ROWS)

    @property
    def online(self) -> bool:
        return self.pipeline.model.deployment.target == "online"

    def execute(self, context: Any) -> dict[str, str]:
        from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
        from modelfleet.hooks.model_server import ModelServerHook

        registry = MlflowRegistryHook()
        registry.activate()
        server = ModelServerHook() if self.online else None
        registered: dict[str, dict[str, Any]] = context["ti"].xcom_pull(task_ids="register") or {}
        deployed: dict[str, str] = {}
        failures = []
        for name, entry in sorted(registered.items()):
            if entry["decision"] != PROMOTE or not deploy_enabled(context):
                self.log.info("%s: champion stays (%s)", name, entry["decision"])
                continue
            failure = self.deploy_one(registry, server, context, name, str(entry["version"]), entry.get("partition"))
            if failure:
                failures.append(failure)
            else:
                deployed[name] = str(entry["version"])
        if failures:
            raise AirflowFailException("deploy failed, the champion did not change:\n" + "\n".join(failures))
        return deployed

    def deploy_one(self, registry: MlflowRegistryHook, server: ModelServerHook | None, context: Any,
                   name: str, version: str, partition: str | None) -> str | None:
        """Deploy one model version; returns why it failed (champion unchanged), None on success.

        Registry and server outages raise instead: the task is retried with
        backoff, and whatever had moved is moved back first.
        """
        from modelfleet.hooks.mlflow_registry import CHAMPION

        previous = registry.alias_version(name, CHAMPION)
        previous_version = str(previous.version) if previous is not None else None
        if previous_version == version:
            self.log.info("%s: v%s is already the champion (a rerun); nothing to move", name, version)
            if server is not None:  # a rerun after a failed switch: make sure the server serves it
                server.stage(name, version)
                server.switch(name, version)
            return None
        fixture = self.smoke_fixture(context, partition)
        entities = fixture[self.pipeline.model.features.join_keys].to_dict("records")
        try:
            smoke_test(f"models:/{name}/{version}", fixture)
            if server is not None:
                smoke_test_live(server, name, version, entities)
        except SmokeTestFailed as exc:
            kept = f"champion stays v{previous_version}" if previous_version else "no champion yet"
            self.log.error("%s v%s failed its smoke test: %s; %s", name, version, exc, kept)
            return f"{name} v{version}: {exc} ({kept})"
        registry.client.set_registered_model_alias(name, CHAMPION, version)
        if server is not None:
            try:
                server.switch(name, version)
                live = server.predict(name, entities[:1])
                if live.get("version") != version:
                    raise SmokeTestFailed(f"after the switch the server answers with v{live.get('version')}")
            except Exception as exc:  # noqa: BLE001 - whatever failed, the registry must not name an unserved champion
                rolled = self.roll_back(registry, server, name, previous_version)
                if isinstance(exc, SmokeTestFailed):
                    return f"{name} v{version}: {exc} ({rolled})"
                self.log.error("%s v%s: switching the model server failed (%s); %s", name, version, exc, rolled)
                raise
        self.log.info("%s: champion is now v%s (was %s)", name, version, previous_version or "none")
        return None

    def roll_back(self, registry: MlflowRegistryHook, server: ModelServerHook, name: str, previous: str | None) -> str:
        """After a failed switch: the alias and, where it can, the server go back to the previous champion."""
        from modelfleet.hooks.mlflow_registry import CHAMPION

        if previous is None:
            registry.client.delete_registered_model_alias(name, CHAMPION)
            return "rolled back: no previous champion, alias removed"
        registry.client.set_registered_model_alias(name, CHAMPION, previous)
        try:
            server.switch(name, previous)
        except Exception as exc:  # noqa: BLE001 - the alias is back; the server adopts it when it answers again
            return f"champion alias rolled back to v{previous}; the server did not confirm ({exc})"
        return f"rolled back to v{previous}"
