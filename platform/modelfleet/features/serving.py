"""Online feature reads for scoring: the latest materialized values of a tenant's views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from modelfleet.specs.loader import PipelineSpec

if TYPE_CHECKING:
    import pandas as pd

    from modelfleet.features.definitions import TenantDefinitions


class OnlineFeatureSource(Protocol):
    """Reads a view's online values: FeastHook (under the platform's lock) or the model server's cached reader."""

    def online_features(
        self, view: str, entities: pd.DataFrame | Sequence[Mapping[str, Any]], features: Sequence[str] | None = None
    ) -> pd.DataFrame: ...


def online_features(
    tenant_id: str,
    view: str,
    entities: pd.DataFrame | Sequence[Mapping[str, Any]],
    features: Sequence[str] | None = None,
    *,
    hook: OnlineFeatureSource | None = None,
) -> pd.DataFrame:
    """Join keys plus `features` (default: all of the view's) for each entity row, in the rows' order.

    `entities` holds the view's join keys (a DataFrame or a list of dicts;
    other columns are ignored). Entities never materialized get nulls. A
    tenant reads only its own views (`<tenant>__<view>`).
    """
    if not view.startswith(f"{tenant_id}__"):
        raise ValueError(f"feature view {view!r} is not tenant {tenant_id!r}'s (its views are named {tenant_id}__<view>)")
    if hook is None:
        from modelfleet.hooks.feast import FeastHook

        hook = FeastHook()
    return hook.online_features(view, entities, features)


def model_online_features(
    pipeline: PipelineSpec,
    entities: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    definitions: TenantDefinitions | None = None,
    hook: OnlineFeatureSource | None = None,
) -> pd.DataFrame:
    """Join keys plus the feature columns the model trains on (its spec's), read online for `entities`.

    The columns come from the spec's views exactly as the training set takes
    them, so the frame can go straight to the model's encoder.
    """
    import pandas as pd

    from modelfleet.features.definitions import feature_refs, load_tenant_definitions

    spec = pipeline.model
    keys = spec.features.join_keys
    definitions = definitions or load_tenant_definitions(pipeline.tenant.id)
    if hook is None:
        from modelfleet.hooks.feast import FeastHook

        hook = FeastHook()
    by_view: dict[str, list[str]] = {}
    for ref in feature_refs(spec, definitions):
        view, name = ref.split(":", 1)
        by_view.setdefault(view, []).append(name)
    frame = entities if isinstance(entities, pd.DataFrame) else pd.DataFrame(list(entities))
    result = frame[keys].reset_index(drop=True)
    for view, names in by_view.items():
        values = online_features(pipeline.tenant.id, view, result[keys], names, hook=hook)
        for name in names:
            result[name] = values[name].to_numpy()
    return result
