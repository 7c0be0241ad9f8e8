"""Champions and their metric trend from MLflow's REST API: two paged searches for the whole fleet.

The API server reads this for every page load, so it goes over HTTP with a
short timeout (httpx, as the rest of the runtime does) instead of importing
mlflow there, and a registry that does not answer costs one timeout, not the
MLflow client's minutes of retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from modelfleet.lineage import tags

MAX_AGE_S = 30.0
"""How old the API server's copy of MLflow's answer may get before it is read again (the page refreshes as often)."""
CHAMPION = "champion"
"""hooks.mlflow_registry.CHAMPION (not imported: that module imports mlflow)."""
TIMEOUT_S = 5.0


class RegistryUnavailable(RuntimeError):
    """MLflow did not answer, or answered with an error."""


@dataclass
class VersionRow:
    version: str
    logical_date: str | None
    metric: str | None
    value: float | None
    trace_id: str | None


@dataclass
class ModelRow:
    name: str
    dag_id: str
    champion: str | None
    versions: list[VersionRow] = field(default_factory=list)


def _pages(client: httpx.Client, path: str, key: str, page_size: int) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        params: dict[str, Any] = {"max_results": page_size}
        if token:
            params["page_token"] = token
        response = client.get(path, params=params)
        if response.status_code != 200:
            raise RegistryUnavailable(f"{path}: HTTP {response.status_code} {response.text[:200]}")
        body = response.json()
        yield from body.get(key, [])
        token = body.get("next_page_token")
        if not token:
            return


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def read_models(tracking_url: str, timeout: float = TIMEOUT_S) -> dict[str, ModelRow]:
    """Registered model name -> its pipeline, champion version and versions in order; raises RegistryUnavailable."""
    try:
        with httpx.Client(base_url=tracking_url.rstrip("/"), timeout=timeout) as client:
            models = {}
            for model in _pages(client, "/api/2.0/mlflow/registered-models/search", "registered_models", 1000):
                model_tags = {t["key"]: t["value"] for t in model.get("tags", [])}
                aliases = {a["alias"]: a["version"] for a in model.get("aliases", [])}
                models[model["name"]] = ModelRow(model["name"], model_tags.get("dag_id", model["name"]), aliases.get(CHAMPION))
            for version in _pages(client, "/api/2.0/mlflow/model-versions/search", "model_versions", 10000):
                row = models.get(version["name"])
                if row is None:
                    continue
                version_tags = {t["key"]: t["value"] for t in version.get("tags", [])}
                row.versions.append(VersionRow(str(version["version"]), version_tags.get("logical_date"),
                                               version_tags.get(tags.METRIC), _float(version_tags.get(tags.HOLDOUT_METRIC)),
                                               version_tags.get(tags.TRACE_ID)))
    except httpx.HTTPError as exc:
        raise RegistryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    for row in models.values():
        row.versions.sort(key=lambda v: int(v.version))
    return models


def version_url(tracking_url: str, name: str, version: str) -> str:
    """A model version in the MLflow UI."""
    return f"{tracking_url.rstrip('/')}/#/models/{quote(name, safe='')}/versions/{version}"


class CachedModels:
    """MLflow's answer kept in the API server and refreshed behind the requests (stale-while-revalidate).

    Two searches over a 1,000-model registry take seconds; the page would pay
    them on every load. The first request reads synchronously; after that a
    request gets the copy at hand and, when it is older than `max_age`, starts
    one background read that replaces it. A failed read is kept like an
    answer, so an unreachable MLflow is reported (and retried after `max_age`)
    instead of waited for on every request.
    """

    def __init__(self, max_age: float = MAX_AGE_S, read: Callable[[str], dict[str, ModelRow]] = read_models) -> None:
        self.max_age = max_age
        self._read = read
        self._lock = threading.Lock()
        self._answers: dict[str, tuple[float, dict[str, ModelRow] | Exception]] = {}
        self._refreshing: set[str] = set()

    def _fetch(self, url: str) -> tuple[float, dict[str, ModelRow] | Exception]:
        try:
            answer: dict[str, ModelRow] | Exception = self._read(url)
        except RegistryUnavailable as exc:
            answer = exc
        entry = (time.monotonic(), answer)
        with self._lock:
            self._answers[url] = entry
            self._refreshing.discard(url)
        return entry

    def __call__(self, url: str) -> dict[str, ModelRow]:
        with self._lock:
            entry = self._answers.get(url)
            stale = entry is not None and time.monotonic() - entry[0] > self.max_age and url not in self._refreshing
            if stale:
                self._refreshing.add(url)
        if entry is None:
            entry = self._fetch(url)
        elif stale:
            threading.Thread(target=self._fetch, args=(url,), name="fleet-registry-refresh", daemon=True).start()
        answer = entry[1]
        if isinstance(answer, Exception):
            raise answer
        return answer
