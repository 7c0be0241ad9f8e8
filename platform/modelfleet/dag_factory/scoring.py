"""One batch scoring DAG per deployed batch model: wait for the day's data, score it with the champion.

Parse-time only, like the pipeline factory: wires two operators, no I/O.
"""

from __future__ import annotations

from airflow.sdk import DAG

from modelfleet.dag_factory.defaults import START_DATE, attach_callbacks, task_args, tenant_tags
from modelfleet.dag_tags import SCORING_TAG
from modelfleet.operators.score import ScoreBatchOperator
from modelfleet.dag_factory.pipeline import wait_for_input
from modelfleet.specs.loader import PipelineSpec

DEFAULT_SCORING_SCHEDULE = "@daily"


def scoring_dag_id(pipeline: PipelineSpec) -> str:
    return f"{pipeline.dag_id}__scoring"


def wants_scoring_dag(pipeline: PipelineSpec) -> bool:
    return pipeline.model.deployment.target == "batch"


def build_scoring_dag(pipeline: PipelineSpec) -> DAG:
    spec, tenant = pipeline.model, pipeline.tenant
    with DAG(
        dag_id=scoring_dag_id(pipeline),
        schedule=spec.deployment.scoring_schedule or DEFAULT_SCORING_SCHEDULE,
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=[*tenant_tags(tenant), SCORING_TAG, *spec.tags],
        doc_md=(
            f"# {tenant.name}: {spec.name} (batch scoring)\n\n"
            f"Scores `{pipeline.data_path}` with `models:/{pipeline.dag_id}@champion` into "
            f"`scores/{pipeline.dag_id}/<ds>.parquet` under the platform's state folder. "
            f"Training pipeline: `{pipeline.dag_id}`; spec: `{pipeline.file}`."
        ),
        description=f"batch scoring of {pipeline.dag_id} with its champion"[:200],
        default_args=task_args(tenant, pipeline.owners, spec.retries, spec.priority_tier),
    ) as dag:
        sensor = wait_for_input(pipeline)
        score = ScoreBatchOperator(task_id="score", tenant_id=tenant.id, model_name=spec.name)
        sensor >> score
    return attach_callbacks(dag, tenant, spec.priority_tier)
