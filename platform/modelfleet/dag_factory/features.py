"""One feature pipeline per tenant: `<team>__features` waits for the team's inputs, materializes its views, publishes its Asset.

Training pipelines scheduled on `{asset: <team>__features}` run only after
this DAG has made the team's features ready for the logical date. Runs at
parse time, so it only wires operators: the views come from the specs
(YAML), nothing imports Feast or pandas here.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

from airflow.sdk import DAG, get_parsing_context

from modelfleet.dag_factory.defaults import START_DATE, attach_callbacks, task_args, tenant_tags
from modelfleet.dag_factory.pipeline import tenant_asset
from modelfleet.dag_tags import FEATURES_TAG
from modelfleet.features.definitions import TenantDefinitions, tenant_definitions
from modelfleet.operators.materialize import MaterializeFeaturesOperator
from modelfleet.sensors.data_file import DataFileSensor
from modelfleet.specs.errors import SpecError
from modelfleet.specs.loader import Fleet, PipelineSpec, dag_id_for, load_fleet
from modelfleet.specs.model import AIRFLOW_DS, DS_PLACEHOLDER, render_ds
from modelfleet.specs.tenant import TenantSpec

log = logging.getLogger(__name__)

FEATURES = FEATURES_TAG
FEATURES_SCHEDULE = "@daily"
"""Inputs land once per logical date (`{ds}`), so the views are refreshed daily."""
FEATURES_RETRIES = 3


def features_dag_id(tenant_id: str) -> str:
    return dag_id_for(tenant_id, FEATURES)


def features_asset_name(tenant_id: str) -> str:
    return f"{tenant_id}__{FEATURES}"


def _input_task_id(relative_path: str, taken: set[str]) -> str:
    """`card_transactions/{ds}.parquet` -> `wait_for_card_transactions` (suffixed if taken)."""
    stem = re.sub(r"\.(parquet|csv)$", "", relative_path.rsplit("://", 1)[-1]).replace(DS_PLACEHOLDER, "")
    slug = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_") or "input"
    task_id, n = f"wait_for_{slug}", 1
    while task_id in taken:
        n += 1
        task_id = f"wait_for_{slug}_{n}"
    taken.add(task_id)
    return task_id


def feature_doc(tenant: TenantSpec, definitions: TenantDefinitions, consumers: list[str]) -> str:
    lines = [
        f"# {tenant.name}: features",
        "Writes the logical date's rows into each view's offline source, applies the team's Feast "
        "definitions when the specs changed them, materializes the views to the online store, then "
        f"publishes the Asset `{features_asset_name(tenant.id)}`.",
        "",
        "| view | join keys | features | fed by |", "|---|---|---|---|",
    ]
    for view in definitions.views:
        lines.append(f"| `{view.name}` | {', '.join(view.key_names)} | {', '.join(view.feature_names)} | {', '.join(view.pipelines)} |")
    lines += ["", f"Scheduled on this DAG's Asset: {', '.join(consumers) or 'no pipeline yet'}."]
    return "\n".join(lines)


def build_feature_dag(tenant: TenantSpec, pipelines: list[PipelineSpec]) -> DAG:
    definitions = tenant_definitions(pipelines, tenant.id)
    asset_name = features_asset_name(tenant.id)
    consumers = sorted(
        p.dag_id for p in pipelines if not isinstance(p.model.schedule, str) and p.model.schedule.asset == asset_name
    )
    with DAG(
        dag_id=features_dag_id(tenant.id),
        schedule=FEATURES_SCHEDULE,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=[*tenant_tags(tenant), FEATURES],
        doc_md=feature_doc(tenant, definitions, consumers),
        description=f"Feast features of {tenant.name}: {len(definitions.views)} views"[:200],
        default_args=task_args(tenant, tenant.owners, FEATURES_RETRIES),
    ) as dag:
        materialize = MaterializeFeaturesOperator(
            task_id="materialize",
            tenant_id=tenant.id,
            outlets=[tenant_asset(tenant.id, asset_name)],
        )
        taken: set[str] = set()
        inputs: dict[str, list[PipelineSpec]] = {}
        for pipeline in pipelines:
            inputs.setdefault(pipeline.data_path, []).append(pipeline)
        for data_path, readers in sorted(inputs.items()):
            sensor = DataFileSensor(
                task_id=_input_task_id(readers[0].model.data.path, taken),
                path=render_ds(data_path, AIRFLOW_DS),
                min_size_bytes=min(p.model.data.min_size_bytes for p in readers),
                max_age=max((p.model.data.max_age for p in readers), default=timedelta(days=2)),
            )
            sensor >> materialize
    return attach_callbacks(dag, tenant)


def feature_dags(fleet: Fleet, wanted: str | None = None) -> dict[str, DAG]:
    """dag_id -> DAG: one feature pipeline per tenant of `fleet` with at least one valid spec, in sorted order.

    A tenant whose specs disagree about a shared view gets a placeholder
    carrying the problems; every other tenant's feature DAG still loads.
    """
    if wanted and not wanted.endswith(f"__{FEATURES}"):
        return {}
    from modelfleet.dag_factory.placeholder import placeholder_for_build_error

    taken = {p.dag_id for p in fleet.pipelines} | {b.dag_id for b in fleet.broken}
    dags: dict[str, DAG] = {}
    for tenant_id in sorted(fleet.tenants):
        dag_id = features_dag_id(tenant_id)
        pipelines = fleet.for_tenant(tenant_id)
        if (wanted and dag_id != wanted) or not pipelines:
            continue
        if dag_id in taken:
            log.error("%s is a model pipeline's DAG id: tenant %s gets no feature pipeline; rename its model `features`", dag_id, tenant_id)
            continue
        where = f"tenants/{tenant_id}/models"
        if tenant_id in fleet.feature_problems:  # found by load_fleet: `modelfleet validate` reports the same problems
            dags[dag_id] = placeholder_for_build_error(SpecError(fleet.feature_problems[tenant_id]), tenant_id, FEATURES, where)
            continue
        try:
            dags[dag_id] = build_feature_dag(fleet.tenants[tenant_id], pipelines)
        except Exception as exc:  # noqa: BLE001 - isolate this tenant, keep the others
            log.exception("feature pipeline of %s could not be built", tenant_id)
            dags[dag_id] = placeholder_for_build_error(exc, tenant_id, FEATURES, where, what="feature DAG")
    return dags


def build_feature_dags(tenants: Path | None = None) -> dict[str, DAG]:
    """Every tenant's feature DAG from one file (tests); the fleet's DAG files are per team (dag_factory.tenant)."""
    wanted = get_parsing_context().dag_id
    if wanted and not wanted.endswith(f"__{FEATURES}"):
        return {}
    return feature_dags(load_fleet(tenants), wanted)
