"""The model server component: `python -m modelfleet.serving.server`, started and supervised by `modelfleet up`.

At start it loads the champion of every online model; afterwards deploys
stage and switch versions through the API. MLflow's registry and Feast's
online store are the platform's own (MLFLOW_TRACKING_URI, the Feast
configuration every task uses).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from modelfleet.serving.app import ServingState, create_app
from modelfleet.serving.catalog import Catalog
from modelfleet.serving.features import CachedFeatureReader
from modelfleet.serving.slots import ModelSlots

DEFAULT_PORT = 5070
RETRY_CHAMPION_AFTER_S = 10.0

log = logging.getLogger("modelfleet.serving")


def load_version(name: str, version: str) -> Any:
    from modelfleet.training.loading import load_fleet_model

    return load_fleet_model(f"models:/{name}/{version}")


class ChampionAdopter:
    """Makes a model's registry champion live when the server has none (at start, or later on first request).

    Asks the registry at most once per RETRY_CHAMPION_AFTER_S per model, so a
    model without a champion does not cost a registry call per request.
    """

    def __init__(self, slots: ModelSlots, registry: Any) -> None:
        self.slots = slots
        self.registry = registry
        self._asked: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> None:
        from modelfleet.hooks.mlflow_registry import CHAMPION

        with self._lock:
            if time.monotonic() - self._asked.get(name, float("-inf")) < RETRY_CHAMPION_AFTER_S:
                return
            self._asked[name] = time.monotonic()
        slot = self.slots.slot(name)
        try:
            champion = self.registry.alias_version(name, CHAMPION)
            if champion is None:
                slot.error = None
                return
            self.slots.stage(name, str(champion.version))
            self.slots.switch(name, str(champion.version))
            log.info("%s: champion v%s is live", name, champion.version)
        except Exception as exc:  # noqa: BLE001 - one model's failure must not stop the others
            slot.error = f"loading the champion failed: {type(exc).__name__}: {exc}"
            log.error("%s: %s", name, slot.error)


def build_state(tracking_uri: str | None = None) -> ServingState:
    from modelfleet.features.config import config_file
    from modelfleet.hooks.feast import FeastHook
    from modelfleet.hooks.mlflow_registry import MlflowRegistryHook

    registry = MlflowRegistryHook(tracking_uri=tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"))
    registry.activate()
    reader = CachedFeatureReader(FeastHook(feature_store_yaml=str(config_file())))
    slots = ModelSlots(load_version)
    adopter = ChampionAdopter(slots, registry)
    return ServingState(Catalog(), slots, reader, refresh_features=reader.refresh, adopt_champion=adopter)


def adopt_all(state: ServingState) -> None:
    for name in state.catalog.models(fresh=True):
        if state.adopt_champion is not None:
            state.adopt_champion(name)


def main() -> None:
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    state = build_state()
    adopt_all(state)
    port = int(os.environ.get("MODELFLEET_SERVING_PORT", str(DEFAULT_PORT)))
    uvicorn.run(create_app(state), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
