"""Every pipeline of a loaded fleet as a DAG, isolated from each other's failures."""

from __future__ import annotations

import logging
from pathlib import Path

from airflow.sdk import DAG, get_parsing_context

from modelfleet.dag_factory.placeholder import build_placeholder_dag, placeholder_for_build_error
from modelfleet.dag_factory.pipeline import build_pipeline_dag
from modelfleet.dag_factory.scoring import build_scoring_dag, scoring_dag_id, wants_scoring_dag
from modelfleet.specs.loader import BrokenPipeline, Fleet, PipelineSpec, load_fleet

log = logging.getLogger(__name__)


def pipeline_dags(fleet: Fleet, wanted: str | None = None) -> dict[str, DAG]:
    """dag_id -> DAG for the fleet's specs, valid or placeholder, in sorted order (only `wanted` when given).

    A pipeline whose spec is valid but whose DAG cannot be built still gets
    a placeholder, so one bad pipeline never costs the others their DAGs.
    Valid pipelines deployed in batch also get a scoring DAG
    (`<dag_id>__scoring`); a broken spec gets none.
    """
    dags: dict[str, DAG] = {}
    items: list[PipelineSpec | BrokenPipeline] = sorted([*fleet.pipelines, *fleet.broken], key=lambda p: p.dag_id)
    for item in items:
        if isinstance(item, BrokenPipeline):
            if not wanted or item.dag_id == wanted:
                dags[item.dag_id] = build_placeholder_dag(item)
            continue
        builders = [(item.dag_id, build_pipeline_dag)]
        if wants_scoring_dag(item):
            builders.append((scoring_dag_id(item), build_scoring_dag))
        for dag_id, builder in builders:
            if wanted and dag_id != wanted:
                continue
            try:
                dags[dag_id] = builder(item)
            except Exception as exc:  # noqa: BLE001 - isolate this DAG, keep the rest
                log.exception("DAG %s could not be built", dag_id)
                dags[dag_id] = placeholder_for_build_error(exc, item.tenant.id, item.model.name, item.file, dag_id=dag_id)
    return dags


def build_fleet_dags(tenants: Path | None = None) -> dict[str, DAG]:
    """Every tenant's pipeline and scoring DAGs from one file (test scenarios); the fleet's DAG files are per team (dag_factory.tenant).

    When a worker parses the file to run one task, only that task's DAG is
    built (get_parsing_context).
    """
    return pipeline_dags(load_fleet(tenants), get_parsing_context().dag_id)
