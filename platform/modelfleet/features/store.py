"""What the platform does with a Feast FeatureStore: apply when changed, materialize a day, join a training set, read online.

Functions take the store as an argument (the hook builds it from the
configuration and holds the lock around them), so tests run them on a store
in a temporary folder.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from modelfleet.features.definitions import (
    FINGERPRINT_TAG,
    TENANT_TAG,
    Column,
    TenantDefinitions,
    feast_objects,
    feature_columns,
    feature_refs,
)
from modelfleet.features.offline import conform, offline_dates, to_utc
from modelfleet.specs.model import ModelSpec

if TYPE_CHECKING:
    import pandas as pd
    from feast import FeatureStore

log = logging.getLogger(__name__)

ENTITY_TIMESTAMP = "event_timestamp"
"""The entity dataframe's timestamp column, as Feast expects it."""


def day_window(ds: str) -> tuple[datetime, datetime]:
    """[start, end) of a logical date, in UTC."""
    start = datetime.fromisoformat(ds).replace(tzinfo=timezone.utc)
    return start, start + timedelta(days=1)


def registered_fingerprints(store: FeatureStore, tenant_id: str) -> dict[str, str]:
    """Name -> fingerprint tag of the tenant's entities and feature views in the registry (read fresh)."""
    tags = {TENANT_TAG: tenant_id}
    objects: list[Any] = [*store.list_entities(allow_cache=False, tags=tags), *store.list_feature_views(allow_cache=False, tags=tags)]
    return {obj.name: obj.tags.get(FINGERPRINT_TAG, "") for obj in objects}


def sync_definitions(store: FeatureStore, definitions: TenantDefinitions) -> bool:
    """`apply` the tenant's entities and views unless the registry already holds exactly these.

    The fingerprint is stored as a tag on every object in the registry itself,
    so the check is right for any registry (file or SQL) and any worker.
    Objects of the tenant that the specs no longer declare are deleted.
    Returns True when it applied.
    """
    wanted = definitions.fingerprint()
    names = {*definitions.entity_names, *definitions.view_names}
    registered = registered_fingerprints(store, definitions.tenant_id)
    if set(registered) == names and all(value == wanted for value in registered.values()):
        log.info("feature definitions of %s unchanged (%s): apply skipped", definitions.tenant_id, wanted[:12])
        return False
    stale_names = set(registered) - names
    mine: list[Any] = [
        *store.list_feature_views(allow_cache=True, tags={TENANT_TAG: definitions.tenant_id}),
        *store.list_entities(allow_cache=True, tags={TENANT_TAG: definitions.tenant_id}),
    ]
    stale = [obj for obj in mine if obj.name in stale_names]
    store.apply(feast_objects(definitions), objects_to_delete=stale, partial=not stale)
    log.info(
        "applied feature definitions of %s (%s): views %s%s",
        definitions.tenant_id, wanted[:12], definitions.view_names,
        f"; deleted {sorted(stale_names)}" if stale_names else "",
    )
    return True


def materialize_day(store: FeatureStore, definitions: TenantDefinitions, views: Sequence[str], ds: str) -> dict[str, str]:
    """Bring the online store up to the end of `ds` for each view; returns what was done per view.

    - never materialized: from the first logical date in the offline source to the end of `ds`;
    - behind: incrementally, from the last materialized end to the end of `ds`;
    - `ds` is the last materialized date (a rerun): that day again, so replaced rows reach the online store;
    - `ds` is older (a backfill): nothing, the online store already holds newer values.
    """
    start, end = day_window(ds)
    done: dict[str, str] = {}
    for name in views:
        last = store.get_feature_view(name, allow_registry_cache=True).most_recent_end_time
        last = last.replace(tzinfo=timezone.utc) if last is not None and last.tzinfo is None else last
        if last is None:
            dates = offline_dates(definitions.view(name))
            first = day_window(dates[0])[0] if dates else start
            store.materialize(start_date=min(first, start), end_date=end, feature_views=[name])
            done[name] = f"materialized {min(first, start).date()}..{end.isoformat()}"
        elif end > last:
            store.materialize_incremental(end_date=end, feature_views=[name])
            done[name] = f"materialized incrementally {last.isoformat()}..{end.isoformat()}"
        elif end == last:
            store.materialize(start_date=start, end_date=end, feature_views=[name])
            done[name] = f"rematerialized {ds}"
        else:
            done[name] = f"skipped: online store already at {last.isoformat()}"
        log.info("%s: %s", name, done[name])
    return done


def entity_frame(spec: ModelSpec, day: pd.DataFrame) -> pd.DataFrame:
    """Join keys, event_timestamp and label of the day's rows: what the training set is joined onto."""
    dtypes = {c.name: c.dtype for c in spec.validation.columns}
    keys = spec.features.join_keys
    entity = conform(day, [Column(k, dtypes[k]) for k in keys])
    entity[ENTITY_TIMESTAMP] = to_utc(day[spec.features.timestamp_column])
    entity[spec.features.label] = day[spec.features.label].to_numpy()
    usable = entity.dropna(subset=[*keys, ENTITY_TIMESTAMP])
    if len(usable) < len(entity):
        log.warning("%d rows without join keys or timestamp left out of the training set", len(entity) - len(usable))
    return usable.reset_index(drop=True)


def training_frame(store: FeatureStore, spec: ModelSpec, definitions: TenantDefinitions, day: pd.DataFrame) -> pd.DataFrame:
    """Point-in-time correct training set: each row's features as they were at its timestamp.

    Columns, in order: join keys, the spec's timestamp column, the spec's
    features, the label; one row per usable row of the day, in its order.
    Feast is asked once per distinct (keys, timestamp) and the answer joined
    back: its Dask/File store drops a request whose every match lies after
    it, and collapses requests sharing keys and timestamp (feast-dev/feast
    #6787); labels never enter Feast.
    """
    refs = feature_refs(spec, definitions)
    features = [ref.split(":", 1)[1] for ref in refs]
    missing = [c.name for c in feature_columns(spec) if c.name not in features]
    if missing:
        raise ValueError(f"features {missing} of {spec.name} are in none of its views {spec.features.views}")
    keys = spec.features.join_keys
    entity = entity_frame(spec, day)
    requests = entity[[*keys, ENTITY_TIMESTAMP]].drop_duplicates().reset_index(drop=True)
    answered = store.get_historical_features(entity_df=requests, features=refs).to_df()
    answered = answered[[*keys, ENTITY_TIMESTAMP, *features]]
    answered[ENTITY_TIMESTAMP] = to_utc(answered[ENTITY_TIMESTAMP])
    for key in keys:
        answered[key] = answered[key].astype(entity[key].dtype)
    joined = entity.merge(answered, on=[*keys, ENTITY_TIMESTAMP], how="left", validate="many_to_one")
    timestamp = spec.features.timestamp_column
    if timestamp != ENTITY_TIMESTAMP:
        joined = joined.rename(columns={ENTITY_TIMESTAMP: timestamp})
    return joined[[*keys, timestamp, *features, spec.features.label]]


def online_features(
    store: FeatureStore,
    view: str,
    entities: pd.DataFrame | Sequence[Mapping[str, Any]],
    features: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Latest materialized values of a view's features for the given entity keys (one row per entity, same order)."""
    import pandas as pd

    registered = store.get_feature_view(view, allow_registry_cache=True)
    keys = [column.name for column in registered.entity_columns]
    names = list(features) if features is not None else [f.name for f in registered.features]
    frame = entities if isinstance(entities, pd.DataFrame) else pd.DataFrame(list(entities))
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise ValueError(f"entity rows lack the join keys {missing} of view {view!r}")
    rows = frame[keys].to_dict("records")
    result = store.get_online_features(features=[f"{view}:{name}" for name in names], entity_rows=rows).to_df()
    return result[[*keys, *names]]
