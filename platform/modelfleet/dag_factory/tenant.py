"""One team's DAGs, for the team's own DAG file (dags/tenants/<team>.py).

A DAG file per team is what lets the DAG processor treat teams apart: a
change to one team's specs re-parses only that team's file, a file that
fails to import costs only that team, and the processor's parsing processes
take teams in parallel. The team's specs are read once per parse, for its
pipelines, their scoring DAGs and its feature DAG alike.
"""

from __future__ import annotations

from pathlib import Path

from airflow.sdk import DAG, get_parsing_context

from modelfleet.dag_factory.features import feature_dags
from modelfleet.dag_factory.fleet import pipeline_dags
from modelfleet.specs.loader import load_fleet


def build_tenant_dags(tenant_id: str, tenants: Path | None = None) -> dict[str, DAG]:
    """dag_id -> DAG: the team's pipelines (or their placeholders), scoring DAGs and feature DAG.

    When a worker parses the file to run one task, only that task's DAG is
    built (get_parsing_context); a team whose folder is gone has no DAGs.
    """
    wanted = get_parsing_context().dag_id
    if wanted and not wanted.startswith(f"{tenant_id}__"):
        return {}
    fleet = load_fleet(tenants, only_tenant=tenant_id)
    return {**pipeline_dags(fleet, wanted), **feature_dags(fleet, wanted)}
