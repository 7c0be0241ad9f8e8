"""The Airflow Assets of the fleet: what each pipeline reads and writes, so lineage also shows in Airflow's UI.

Per pipeline: its input folder (read by the sensor and validation), its
training set (written by build_features, read by the trainers) and its
registered model (written by register). Asset events carry the lineage of
what was written (rows and feature view versions; model versions and runs).
Names start with the tenant id, so one team's assets never collide with
another's; a team may schedule a pipeline on its own `<model>__model` asset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow.sdk import Asset

from modelfleet.specs.model import DS_PLACEHOLDER


def tenant_asset(tenant_id: str, name: str) -> Asset:
    """A tenant's Asset (e.g. `<team>__features`): one naming rule for producers and consumers."""
    return Asset(name=name, uri=f"modelfleet://{tenant_id}/{name}")


def input_asset(data_path: str) -> Asset:
    """The folder of a pipeline's daily input files (`file://` or `s3://`): the part of its path before `{ds}`."""
    folder = data_path.split(DS_PLACEHOLDER, 1)[0].rsplit("/", 1)[0]
    return Asset(uri=folder if "://" in folder else f"file://{folder}")


def training_set_asset(tenant_id: str, model_name: str) -> Asset:
    return tenant_asset(tenant_id, f"{tenant_id}__{model_name}__training_set")


def model_asset(tenant_id: str, model_name: str) -> Asset:
    return tenant_asset(tenant_id, f"{tenant_id}__{model_name}__model")


def describe_outlet_event(context: Mapping[str, Any], asset: Asset, extra: dict[str, Any]) -> None:
    """Attach `extra` to the asset event this task emits (Airflow records it when the task succeeds).

    Stage tests run operators without Airflow's context accessors; there is no event to describe then.
    """
    events = context.get("outlet_events")
    if events is not None:
        events[asset].extra = extra
