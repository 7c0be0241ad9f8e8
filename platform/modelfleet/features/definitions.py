"""A tenant's Feast entities and feature views, generated from its model specs.

No team writes Feast Python: the specs already say everything Feast needs.
For every view a spec lists under `features.views` (named `<team>__<view>`),
the view's schema is the union of the feature columns of the specs that list
it; a feature column is every validation column except the join keys, the
timestamp and the label (a partition key stays a feature). Each join key is
an entity named `<team>__<key>`.

Building the definitions is pure and cheap (DAG factories call it at parse
time); `feast_objects()` turns them into Feast objects and is the only part
that imports Feast.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelfleet.specs.errors import SpecError, SpecProblem, problem
from modelfleet.specs.loader import PipelineSpec
from modelfleet.specs.model import ModelSpec, render_ds

FEAST_TYPES: dict[str, str] = {
    "int": "Int64",
    "float": "Float64",
    "str": "String",
    "category": "String",
    "bool": "Bool",
    "datetime": "UnixTimestamp",
}
"""Spec dtype -> name in `feast.types`."""

ENTITY_VALUE_TYPES: dict[str, str] = {
    "int": "INT64",
    "float": "DOUBLE",
    "str": "STRING",
    "category": "STRING",
    "bool": "BOOL",
    "datetime": "UNIX_TIMESTAMP",
}
"""Spec dtype of a join key -> name in `feast.ValueType`."""

TENANT_TAG = "modelfleet_tenant"
FINGERPRINT_TAG = "modelfleet_definitions"
GENERATOR_VERSION = 1
"""Bump when the way Feast objects are built changes: every tenant is re-applied once."""


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True)
class ViewInput:
    """A spec's input that feeds a view: its data path template (`{ds}` = logical date) and format."""

    path: str
    format: str = "parquet"

    def for_date(self, ds: str) -> str:
        return render_ds(self.path, ds)


@dataclass(frozen=True)
class EntityDefinition:
    name: str
    join_key: Column


@dataclass(frozen=True)
class ViewDefinition:
    """One feature view: its keys, features and the data files that feed it."""

    name: str
    join_keys: tuple[Column, ...]
    features: tuple[Column, ...]
    timestamp_column: str
    ttl_seconds: int
    source_path: str
    """Folder of parquet files (one per logical date and input) that is the view's batch source."""
    inputs: tuple[ViewInput, ...] = field(default=(), compare=False)
    """The inputs of the specs that list the view."""
    pipelines: tuple[str, ...] = field(default=(), compare=False)

    @property
    def key_names(self) -> list[str]:
        return [c.name for c in self.join_keys]

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.features]

    def entity_names(self, tenant_id: str) -> list[str]:
        return [entity_name(tenant_id, key.name) for key in self.join_keys]


@dataclass(frozen=True)
class TenantDefinitions:
    tenant_id: str
    entities: tuple[EntityDefinition, ...]
    views: tuple[ViewDefinition, ...]

    def view(self, name: str) -> ViewDefinition:
        for view in self.views:
            if view.name == name:
                return view
        raise KeyError(f"tenant {self.tenant_id!r} has no feature view {name!r}; it has {self.view_names}")

    @property
    def view_names(self) -> list[str]:
        return [v.name for v in self.views]

    @property
    def entity_names(self) -> list[str]:
        return [e.name for e in self.entities]

    def fingerprint(self) -> str:
        """Hash of everything Feast stores for this tenant: equal hashes need no `apply`."""
        payload = {
            "generator": GENERATOR_VERSION,
            "tenant": self.tenant_id,
            "entities": [asdict(e) for e in self.entities],
            "views": [_stored_fields(view) for view in self.views],
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def view_version(self, name: str) -> str:
        """Hash of what Feast stores for one view (its schema, entities, source, TTL): the view's version in lineage."""
        payload = {"generator": GENERATOR_VERSION, "view": _stored_fields(self.view(name))}
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _stored_fields(view: ViewDefinition) -> dict[str, Any]:
    """A view's fields as Feast stores them: which pipelines read it and from which inputs is platform bookkeeping."""
    return {k: v for k, v in asdict(view).items() if k not in ("inputs", "pipelines")}


def entity_name(tenant_id: str, join_key: str) -> str:
    return f"{tenant_id}__{join_key}"


def feature_columns(spec: ModelSpec) -> list[Column]:
    """The spec's features: validation columns except join keys, timestamp and label (partition keys stay)."""
    excluded = {*spec.features.join_keys, spec.features.timestamp_column, spec.features.label}
    return [Column(c.name, c.dtype) for c in spec.validation.columns if c.name not in excluded]


def feature_refs(spec: ModelSpec, definitions: TenantDefinitions) -> list[str]:
    """`view:feature` references for a spec's training set; each column from the first of its views that has it."""
    refs, taken = [], set()
    for view_name in spec.features.views:
        view = definitions.view(view_name)
        for column in feature_columns(spec):
            if column.name not in taken and column.name in view.feature_names:
                refs.append(f"{view.name}:{column.name}")
                taken.add(column.name)
    return refs


def tenant_definitions(
    pipelines: Iterable[PipelineSpec], tenant_id: str, offline_root: Path | None = None
) -> TenantDefinitions:
    """Entities and views of one tenant from its valid pipelines, in sorted order.

    Raises SpecError (file, field, fix) when two specs disagree about a shared
    view: its join keys, its timestamp column or a feature's dtype.
    """
    if offline_root is None:
        from modelfleet.features.config import offline_dir

        offline_root = offline_dir()
    mine = sorted((p for p in pipelines if p.tenant.id == tenant_id), key=lambda p: p.dag_id)
    problems: list[SpecProblem] = []
    views: dict[str, dict[str, Any]] = {}
    key_types: dict[str, tuple[str, str]] = {}
    for pipeline in mine:
        spec = pipeline.model
        columns = {c.name: c for c in spec.validation.columns}
        keys = []
        for index, key in enumerate(spec.features.join_keys):
            if key not in columns:
                problems.append(problem(pipeline.file, f"features.join_keys[{index}]", f"join key {key!r} is not a validation column", f"declare {key} under validation.columns with its dtype"))
                continue
            keys.append(Column(key, columns[key].dtype))
            seen = key_types.setdefault(key, (columns[key].dtype, pipeline.file))
            if seen[0] != columns[key].dtype:
                problems.append(problem(pipeline.file, f"features.join_keys[{index}]", f"join key {key!r} is {columns[key].dtype} here but {seen[0]} in {seen[1]}", "give the key one dtype across the team's specs"))
        for view_name in spec.features.views:
            view = views.setdefault(view_name, {
                "keys": tuple(keys), "timestamp": spec.features.timestamp_column, "features": {}, "first": pipeline.file,
                "ttl": 0, "inputs": set(), "pipelines": set(),
            })
            where = f"features.views[{spec.features.views.index(view_name)}]"
            if view["keys"] != tuple(keys):
                problems.append(problem(pipeline.file, where, f"view {view_name!r} has join keys {[k.name for k in keys]} here but {[k.name for k in view['keys']]} in {view['first']}", "use the same join keys for every spec of a view, or name a new view"))
            if view["timestamp"] != spec.features.timestamp_column:
                problems.append(problem(pipeline.file, "features.timestamp_column", f"view {view_name!r} is stamped by {spec.features.timestamp_column!r} here but {view['timestamp']!r} in {view['first']}", "use one timestamp column per view"))
            for column in feature_columns(spec):
                known = view["features"].setdefault(column.name, (column, pipeline.file))
                if FEAST_TYPES[known[0].dtype] != FEAST_TYPES[column.dtype]:
                    problems.append(problem(pipeline.file, "validation.columns", f"column {column.name!r} of view {view_name!r} is {column.dtype} here but {known[0].dtype} in {known[1]}", "give the column one dtype in every spec of the view"))
            view["ttl"] = max(view["ttl"], int(spec.data.max_age.total_seconds()))
            view["inputs"].add(ViewInput(pipeline.data_path, spec.data.format))
            view["pipelines"].add(pipeline.dag_id)
    if problems:
        raise SpecError(problems)
    entities = {key.name: EntityDefinition(entity_name(tenant_id, key.name), key) for v in views.values() for key in v["keys"]}
    return TenantDefinitions(
        tenant_id=tenant_id,
        entities=tuple(entities[k] for k in sorted(entities)),
        views=tuple(
            ViewDefinition(
                name=name,
                join_keys=view["keys"],
                features=tuple(column for column, _ in view["features"].values()),
                timestamp_column=view["timestamp"],
                ttl_seconds=view["ttl"],
                source_path=str(offline_root / name),
                inputs=tuple(sorted(view["inputs"], key=lambda i: (i.path, i.format))),
                pipelines=tuple(sorted(view["pipelines"])),
            )
            for name, view in sorted(views.items())
        ),
    )


def feast_objects(definitions: TenantDefinitions) -> list[Any]:
    """Feast Entity and FeatureView objects (with their FileSources), tagged with the tenant and the fingerprint."""
    from datetime import timedelta

    from feast import Entity, FeatureView, Field, FileSource, ValueType
    from feast import types as feast_types

    tags = {TENANT_TAG: definitions.tenant_id, FINGERPRINT_TAG: definitions.fingerprint()}
    entities = {
        e.join_key.name: Entity(
            name=e.name,
            join_keys=[e.join_key.name],
            value_type=getattr(ValueType, ENTITY_VALUE_TYPES[e.join_key.dtype]),
            description=f"{e.join_key.name} of tenant {definitions.tenant_id}",
            tags=tags,
        )
        for e in definitions.entities
    }
    objects: list[Any] = list(entities.values())
    for view in definitions.views:
        schema = [Field(name=c.name, dtype=getattr(feast_types, FEAST_TYPES[c.dtype])) for c in (*view.join_keys, *view.features)]
        objects.append(
            FeatureView(
                name=view.name,
                entities=[entities[k] for k in view.key_names],
                ttl=timedelta(seconds=view.ttl_seconds),
                schema=schema,
                source=FileSource(name=f"{view.name}__offline", path=view.source_path, timestamp_field=view.timestamp_column, tags=tags),
                online=True,
                description=f"Feature view of tenant {definitions.tenant_id}, generated from its model specs.",
                tags=tags,
            )
        )
    return objects


def fleet_feast_objects(tenants: Path | None = None) -> dict[str, Any]:
    """Every valid tenant's objects by name: what `feature_repo/definitions.py` exposes to the feast CLI."""
    from modelfleet.specs.loader import load_fleet

    fleet = load_fleet(tenants)
    objects: dict[str, Any] = {}
    for tenant_id in sorted(fleet.tenants):
        if not fleet.for_tenant(tenant_id) or tenant_id in fleet.feature_problems:  # one team's conflict never hides the others' views
            continue
        for obj in feast_objects(tenant_definitions(fleet.pipelines, tenant_id)):
            objects[obj.name] = obj
    return objects


def load_tenant_definitions(tenant_id: str, tenants: Path | None = None) -> TenantDefinitions:
    """The definitions of one tenant from its specs on disk, as a task reads them at run time."""
    from modelfleet.specs.loader import load_fleet

    return tenant_definitions(load_fleet(tenants, only_tenant=tenant_id).pipelines, tenant_id)
