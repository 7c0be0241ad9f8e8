"""Which registered models the model server serves: every model of an online pipeline."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from modelfleet.features.definitions import TenantDefinitions, tenant_definitions
from modelfleet.specs.loader import Fleet, PipelineSpec, load_fleet, registered_model_name


@dataclass(frozen=True)
class OnlineModel:
    """One registered model the server answers for, the pipeline (spec) it belongs to, its tenant's views."""

    name: str
    pipeline: PipelineSpec
    definitions: TenantDefinitions
    partition: str | None = None


def online_models(fleet: Fleet) -> dict[str, OnlineModel]:
    """Registered model name -> its pipeline, for every valid pipeline with `deployment.target: online`.

    A partitioned pipeline registers one model per partition, so it gets one
    endpoint per partition.
    """
    found: dict[str, OnlineModel] = {}
    definitions: dict[str, TenantDefinitions] = {}
    for pipeline in fleet.pipelines:
        if pipeline.model.deployment.target != "online":
            continue
        tenant = pipeline.tenant.id
        if tenant not in definitions:
            definitions[tenant] = tenant_definitions(fleet.pipelines, tenant)
        partitions = pipeline.model.partitions.values if pipeline.model.partitions else [None]
        for partition in partitions:
            name = registered_model_name(pipeline.dag_id, partition)
            found[name] = OnlineModel(name, pipeline, definitions[tenant], partition)
    return found


class Catalog:
    """The online models as the specs on disk say now; re-read at most once per `min_interval` seconds.

    A team that switches a model to `online` needs no server restart: the
    deploy that follows stages it, and staging re-reads the specs.
    """

    def __init__(self, load: Callable[[], Fleet] = load_fleet, min_interval: float = 1.0) -> None:
        self._load = load
        self._min_interval = min_interval
        self._models: dict[str, OnlineModel] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def models(self, fresh: bool = False) -> dict[str, OnlineModel]:
        with self._lock:
            if fresh or time.monotonic() - self._read_at >= self._min_interval and not self._models:
                self._reload()
            return dict(self._models)

    def find(self, name: str) -> OnlineModel | None:
        """The model, re-reading the specs once if it is not (yet) known."""
        with self._lock:
            if name not in self._models and time.monotonic() - self._read_at >= self._min_interval:
                self._reload()
            return self._models.get(name)

    def _reload(self) -> None:
        self._models = online_models(self._load())
        self._read_at = time.monotonic()
