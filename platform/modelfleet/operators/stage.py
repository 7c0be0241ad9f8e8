"""What every pipeline stage shares: its spec (re-read at run time), its run folder and its error classes."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from airflow.sdk import BaseOperator

from modelfleet import paths
from modelfleet.error_class import ClassifiedErrors
from modelfleet.lineage.tracing import annotate
from modelfleet.specs.loader import PipelineSpec, load_pipeline


class PipelineStageOperator(ClassifiedErrors, BaseOperator):
    """Base of the stage operators.

    Operators carry only the tenant and model names (cheap to parse, trivially
    serialisable); the spec itself is re-read from the tenant's YAML when the
    task runs, so the file stays the single source of truth.

    Every subclass's `execute` is wrapped by ClassifiedErrors: a permanent
    failure (modelfleet.error_class) fails the task at once, without
    retries; a transient one is re-raised for Airflow's retries with backoff.

    With tracing on, the task's span (Airflow's `worker.<task_id>`, current
    while the task runs) carries `modelfleet.tenant` and `modelfleet.model`;
    a stage adds its own attributes with modelfleet.lineage.tracing.annotate.
    """

    ui_color = "#e8f0fe"

    def __init__(self, *, tenant_id: str, model_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tenant_id = tenant_id
        self.model_name = model_name

    def pre_execute(self, context: Any) -> None:
        """Runs in the task's span before `execute` (and before `execute_complete` after a deferral)."""
        super().pre_execute(context)
        annotate(tenant=self.tenant_id, model=self.model_name)

    @cached_property
    def pipeline(self) -> PipelineSpec:
        return load_pipeline(self.tenant_id, self.model_name)

    def run_dir(self, context: Any) -> Path:
        """Per logical date, so a rerun of the same date overwrites instead of duplicating."""
        folder = paths.state_dir() / "runs" / self.pipeline.dag_id / context["ds"]
        folder.mkdir(parents=True, exist_ok=True)
        return folder
