"""Online feature reads for the model server, without the platform's Feast lock on every request.

Tasks read the Feast registry under the platform's lock because materialize
rewrites it in place. A server cannot wait behind a materialization for each
prediction, so it reads the registry once under the lock and keeps that copy
(`cache_ttl_seconds: 0`), reading the online store itself lock-free. It reads
the registry again, under the lock, when asked (a deploy stages a model) or
when a view it is asked for is not in its copy.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from feast import FeatureStore

    from modelfleet.hooks.feast import FeastHook


class CachedFeatureReader:
    def __init__(self, hook: FeastHook) -> None:
        self.hook = hook
        self._store: FeatureStore | None = None
        self._refreshing = threading.Lock()

    def refresh(self) -> None:
        """Re-read the Feast registry under the platform's lock."""
        with self._refreshing, self.hook.locked() as store:
            store.refresh_registry()
            self._store = store

    def online_features(
        self, view: str, entities: pd.DataFrame | Sequence[Mapping[str, Any]], features: Sequence[str] | None = None
    ) -> pd.DataFrame:
        from feast.errors import FeatureViewNotFoundException

        from modelfleet.features.store import online_features

        if self._store is None:
            self.refresh()
        try:
            return online_features(self._store, view, entities, features)  # type: ignore[arg-type]
        except FeatureViewNotFoundException:  # applied after our copy of the registry was read
            self.refresh()
            return online_features(self._store, view, entities, features)  # type: ignore[arg-type]
