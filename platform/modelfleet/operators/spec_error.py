"""The single task of a placeholder DAG: fail with the spec's problems, never retry."""

from __future__ import annotations

from typing import Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowFailException


class SpecErrorOperator(BaseOperator):
    template_fields = ()

    def __init__(self, *, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = message

    def execute(self, context: Any) -> None:
        raise AirflowFailException(f"pipeline disabled, its spec is invalid:\n{self.message}")
