"""The model server's HTTP API (FastAPI): predict by entity keys, stage and switch versions.

    POST /v1/models/{name}/predict                    {"entities": [{"card_id": 7}, ...]}
    POST /v1/models/{name}/versions/{version}/predict  the same, against a staged version
    POST /v1/models/{name}/invocations                 MLflow scoring protocol, raw feature rows
    PUT  /v1/models/{name}/versions/{version}          load a version next to the live one
    PUT  /v1/models/{name}/live                        {"version": "3"}: switch, atomically
    GET  /v1/models, GET /health

`predict` reads each entity's features from the Feast online store (the
columns the model trained on) and returns one prediction per entity, with
the version that made it. An entity the online store has no features for
gets `null` (and is counted in `entities_without_features`), not a guess.
Its `Server-Timing` header says how long the feature read and the model took.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

from modelfleet.serving.slots import LoadedVersion, ModelSlots, UnknownVersion

if TYPE_CHECKING:
    import pandas as pd

    from modelfleet.features.serving import OnlineFeatureSource
    from modelfleet.serving.catalog import Catalog, OnlineModel


def conform(frame: pd.DataFrame, schema: Any) -> pd.DataFrame:
    """Give columns back the integer and boolean types the model was logged with.

    An online read that misses one entity turns that column into floats (or
    objects) for the whole request, and MLflow refuses to cast them back,
    though the rows the model is asked about are complete.
    """
    from mlflow.types import DataType

    if schema is None:
        return frame
    for column in schema.inputs:
        name, kind = getattr(column, "name", None), getattr(column, "type", None)
        if name not in frame.columns or frame[name].isna().any():
            continue
        if kind in (DataType.long, DataType.integer):
            frame[name] = frame[name].astype("int64")
        elif kind == DataType.boolean:
            frame[name] = frame[name].astype(bool)
    return frame


class PredictRequest(BaseModel):
    entities: list[dict[str, Any]] = Field(min_length=1, description="One mapping of join keys per prediction.")


class LiveRequest(BaseModel):
    version: str


class ServingState:
    """Everything a request needs: what is online, what is loaded, where features come from."""

    def __init__(self, catalog: Catalog, slots: ModelSlots, features: OnlineFeatureSource,
                 refresh_features: Callable[[], None] | None = None,
                 adopt_champion: Callable[[str], None] | None = None) -> None:
        self.catalog = catalog
        self.slots = slots
        self.features = features
        self.refresh_features = refresh_features
        self.adopt_champion = adopt_champion
        """Called when a model has no live version: loads its registry champion, if any."""

    def model(self, name: str) -> OnlineModel:
        found = self.catalog.find(name)
        if found is None:
            online = ", ".join(sorted(self.catalog.models())) or "none"
            raise HTTPException(404, f"{name!r} is not an online model (deployment.target: online); online models: {online}")
        return found

    def loaded(self, name: str, version: str | None) -> LoadedVersion:
        self.model(name)
        loaded = self.slots.get(name, version)
        if loaded is None and version is None and self.adopt_champion is not None:
            self.adopt_champion(name)
            loaded = self.slots.get(name, None)
        if loaded is None:
            if version is not None:
                raise HTTPException(404, f"{name} v{version} is not loaded on this server; PUT /v1/models/{name}/versions/{version} first")
            error = self.slots.slot(name).error
            raise HTTPException(503, f"{name} has no live version" + (f": {error}" if error else ": no champion deployed yet"))
        return loaded

    def predict(self, name: str, version: str | None, entities: list[dict[str, Any]],
                timings: dict[str, float] | None = None) -> dict[str, Any]:
        """Predictions for `entities`; `timings` (if given) receives the feature read's and the model's milliseconds."""
        import numpy as np

        from modelfleet.features.serving import model_online_features

        model = self.model(name)
        keys = model.pipeline.model.features.join_keys
        absent = sorted({k for row in entities for k in keys if k not in row})
        if absent:
            raise HTTPException(422, f"every entity needs the join keys {keys}; missing: {absent}")
        loaded = self.loaded(name, version)
        started = time.perf_counter()
        frame = model_online_features(model.pipeline, entities, definitions=model.definitions, hook=self.features)
        read = time.perf_counter()
        features = frame.drop(columns=keys)  # join keys identify, they are not model inputs
        known = ~features.isna().all(axis=1).to_numpy()  # judged on what Feast returned, before the partition is added
        partitions = model.pipeline.model.partitions
        if partitions is not None and model.partition is not None and partitions.key not in features.columns:
            features[partitions.key] = model.partition
        predictions = np.full(len(frame), np.nan)
        if known.any():
            try:
                rows = conform(features[known].reset_index(drop=True), loaded.model.metadata.get_input_schema())
                predictions[known] = np.asarray(loaded.model.predict(rows), dtype=float).reshape(-1)
            except Exception as exc:  # noqa: BLE001 - the caller needs the model's reason, not a bare 500
                raise HTTPException(422, f"{name} v{loaded.version} could not predict: {type(exc).__name__}: {exc}") from exc
        if timings is not None:
            timings.update(features=(read - started) * 1000, model=(time.perf_counter() - read) * 1000)
        return {
            "model": name, "version": loaded.version,
            "predictions": [p if math.isfinite(p) else None for p in predictions.tolist()],
            "entities_without_features": int((~known).sum()),
        }


def timed(response: Response, call: Callable[[dict[str, float]], dict[str, Any]]) -> dict[str, Any]:
    """Run `call` and report where its time went in a Server-Timing header (features, model), as browsers and tools read it."""
    timings: dict[str, float] = {}
    result = call(timings)
    response.headers["Server-Timing"] = ", ".join(f"{part};dur={ms:.2f}" for part, ms in timings.items())
    return result


def create_app(state: ServingState) -> FastAPI:
    app = FastAPI(title="modelfleet model server", docs_url="/docs", redoc_url=None)
    app.state.serving = state

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "live": {n: state.slots.slot(n).live for n in state.slots.names()}}

    @app.get("/v1/models")
    def models() -> list[dict[str, Any]]:
        rows = []
        for name, model in sorted(state.catalog.models().items()):
            slot = state.slots.slot(name)
            rows.append({"name": name, "pipeline": model.pipeline.dag_id, "live_version": slot.live,
                         "previous_version": slot.previous, "loaded_versions": sorted(slot.versions, key=int),
                         "error": slot.error})
        return rows

    @app.post("/v1/models/{name}/predict")
    def predict(name: str, body: PredictRequest, response: Response) -> dict[str, Any]:
        return timed(response, lambda timings: state.predict(name, None, body.entities, timings))

    @app.post("/v1/models/{name}/versions/{version}/predict")
    def predict_version(name: str, version: str, body: PredictRequest, response: Response) -> dict[str, Any]:
        return timed(response, lambda timings: state.predict(name, version, body.entities, timings))

    @app.post("/v1/models/{name}/invocations")
    async def invocations(name: str, request: Request) -> Response:
        """MLflow's scoring protocol (dataframe_split, dataframe_records, ...) on the live version, raw features."""
        import asyncio

        from mlflow.pyfunc import scoring_server

        loaded = state.loaded(name, None)
        data = await request.body()
        schema = loaded.model.metadata.get_input_schema()
        result = await asyncio.to_thread(scoring_server.invocations, data, request.headers.get("content-type", "application/json"),
                                         loaded.model, schema)
        return Response(content=result.response, status_code=result.status, media_type=result.mimetype,
                        headers={"x-model-version": loaded.version})

    @app.put("/v1/models/{name}/versions/{version}")
    def stage(name: str, version: str) -> dict[str, Any]:
        state.catalog.models(fresh=True)  # a spec may have just turned online
        state.model(name)
        if state.refresh_features is not None:
            state.refresh_features()  # the deploying pipeline may have applied new views
        try:
            state.slots.stage(name, version)
        except Exception as exc:  # noqa: BLE001 - the deploy needs the reason, not a 500 page
            raise HTTPException(502, f"cannot load {name} v{version}: {type(exc).__name__}: {exc}") from exc
        return {"name": name, "version": version, "live_version": state.slots.slot(name).live}

    @app.put("/v1/models/{name}/live")
    def switch(name: str, body: LiveRequest) -> dict[str, Any]:
        state.model(name)
        try:
            replaced = state.slots.switch(name, body.version)
        except UnknownVersion as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"name": name, "live_version": body.version, "replaced": replaced}

    return app
