"""A broken spec still shows up in the UI: a paused, clearly marked DAG carrying the error."""

from __future__ import annotations

from airflow.sdk import DAG

from modelfleet.dag_factory.defaults import START_DATE
from modelfleet.dag_factory.docs import broken_doc
from modelfleet.operators.spec_error import SpecErrorOperator
from modelfleet.specs.errors import SpecError, problem
from modelfleet.dag_tags import BROKEN_TAG
from modelfleet.specs.loader import BrokenPipeline

__all__ = ["BROKEN_TAG", "build_placeholder_dag", "placeholder_for_build_error"]


def build_placeholder_dag(broken: BrokenPipeline, dag_id: str | None = None) -> DAG:
    """`dag_id` defaults to the pipeline's; a companion DAG (e.g. scoring) passes its own."""
    message = "\n".join(str(p) for p in broken.problems)
    with DAG(
        dag_id=dag_id or broken.dag_id,
        schedule=None,
        start_date=START_DATE,
        catchup=False,
        is_paused_upon_creation=True,
        tags=[f"tenant:{broken.tenant_id}", BROKEN_TAG],
        doc_md=broken_doc(broken),
        description=f"BROKEN SPEC: {message}"[:200],
        default_args={"owner": broken.tenant_id, "retries": 0},
    ) as dag:
        SpecErrorOperator(task_id="spec_error", message=message)
    return dag


def placeholder_for_build_error(
    exc: Exception, tenant_id: str, model_name: str, file: str, dag_id: str | None = None, what: str = "DAG"
) -> DAG:
    """The placeholder for a DAG whose specs loaded but which could not be built.

    A SpecError keeps its own problems (file, field, fix); anything else is
    reported as one problem in `file` that sends the team to platform on-call.
    """
    problems = exc.problems if isinstance(exc, SpecError) else [
        problem(file, "", f"{what} could not be built: {exc}", "report to platform on-call with this message")
    ]
    return build_placeholder_dag(BrokenPipeline(tenant_id, model_name, problems[0].file, problems), dag_id=dag_id)
