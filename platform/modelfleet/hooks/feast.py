"""The Feast feature store of the platform, configured from feature_repo/ and shared safely between tasks.

Configuration, in order: an explicit `feature_store_yaml`, the extra
`feature_store_yaml` of the connection `feast_default` (if it exists), the
environment variable MODELFLEET_FEAST_CONFIG, else the embedded default
`feature_repo/feature_store.yaml`. Secrets (the registry's database URL,
Redis' password) are environment variables substituted into the YAML, set
from the secrets backend, never written into the repository.

Every registry read or write goes through `locked()`: the file registry is
rewritten in place, so two pipelines applying or materializing at once
would otherwise corrupt it, and a reader could see half a file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

if TYPE_CHECKING:
    import pandas as pd
    from feast import FeatureStore, RepoConfig

    from modelfleet.features.definitions import TenantDefinitions
    from modelfleet.specs.model import ModelSpec

LOCK_TIMEOUT_S = 30 * 60


class FeastHook(BaseHook):
    conn_name_attr = "feast_conn_id"
    default_conn_name = "feast_default"
    conn_type = "generic"
    hook_name = "Feast feature store"

    def __init__(
        self,
        *,
        feast_conn_id: str = default_conn_name,
        feature_store_yaml: str | None = None,
        lock_timeout: float = LOCK_TIMEOUT_S,
    ) -> None:
        super().__init__()
        self.feast_conn_id = feast_conn_id
        self._explicit_yaml = feature_store_yaml
        self.lock_timeout = lock_timeout

    @cached_property
    def config_file(self) -> Path:
        from modelfleet.features.config import config_file

        from airflow.sdk.exceptions import AirflowNotFoundException

        chosen = self._explicit_yaml
        if chosen is None:
            try:
                chosen = self.get_connection(self.feast_conn_id).extra_dejson.get("feature_store_yaml")
            except AirflowNotFoundException:  # no connection: the environment or the default decides
                chosen = None
        return config_file(chosen)

    @cached_property
    def repo_config(self) -> RepoConfig:
        from modelfleet.features.config import load_repo_config

        return load_repo_config(self.config_file)

    @cached_property
    def store(self) -> FeatureStore:
        """Built on first use, inside `locked()` (constructing it may read the registry)."""
        from feast import FeatureStore

        from modelfleet.features.config import feast_home

        feast_home().mkdir(parents=True, exist_ok=True)
        return FeatureStore(config=self.repo_config, repo_path=str(feast_home()))

    @contextmanager
    def locked(self) -> Iterator[FeatureStore]:
        """The store, with the platform's Feast lock held (waits at most `lock_timeout` seconds)."""
        from filelock import FileLock  # pants: no-infer-dep (see BUILD: comes with dvc)

        from modelfleet.features.config import lock_file

        path = lock_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # Importing feast and reading its configuration takes seconds of CPU; done
        # inside the lock, that would serialize every pipeline's feature step on it.
        import feast  # noqa: F401

        self.repo_config  # noqa: B018 - built now, outside the lock
        with FileLock(str(path), timeout=self.lock_timeout):
            yield self.store

    def sync_definitions(self, definitions: TenantDefinitions) -> bool:
        """Apply the tenant's definitions if they changed; True when applied."""
        from modelfleet.features.store import sync_definitions

        with self.locked() as store:
            return sync_definitions(store, definitions)

    def refresh(self, definitions: TenantDefinitions, views: Sequence[str], ds: str) -> dict[str, Any]:
        """Apply if changed, then materialize `views` up to the end of `ds`: one lock, one registry read."""
        from modelfleet.features.store import materialize_day, sync_definitions

        with self.locked() as store:
            applied = sync_definitions(store, definitions)
            return {"applied": applied, "materialized": materialize_day(store, definitions, views, ds)}

    def training_frame(self, spec: ModelSpec, definitions: TenantDefinitions, day: pd.DataFrame) -> pd.DataFrame:
        from modelfleet.features.store import training_frame

        with self.locked() as store:
            return training_frame(store, spec, definitions, day)

    def online_features(
        self, view: str, entities: pd.DataFrame | Sequence[Mapping[str, Any]], features: Sequence[str] | None = None
    ) -> pd.DataFrame:
        from modelfleet.features.store import online_features

        with self.locked() as store:
            return online_features(store, view, entities, features)
