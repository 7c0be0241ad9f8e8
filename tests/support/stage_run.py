"""Run pipeline stages in one process, in order, with XCom passed through a dict.

Used by the stage tests and by the platform-overhead benchmark's direct
baseline: the same operators, the same files and MLflow, without the
scheduler, executor and task processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from modelfleet.data_interval import start_of_day


class TaskInstanceStub:
    """Stands in for Airflow's task instance where stages only use XCom: xcom_pull over a dict.

    `xcoms[task_id]` holds a task's return value, `xcoms[(task_id, key)]` any
    other key. That is Airflow's plumbing; everything a stage does besides
    (files, MLflow, Feast, S3, HTTP) is real.
    """

    def __init__(self, xcoms: dict[Any, Any] | None = None) -> None:
        self.xcoms: dict[Any, Any] = dict(xcoms or {})

    def xcom_pull(self, task_ids: str | None = None, key: str = "return_value", **_: Any) -> Any:
        return self.xcoms.get(task_ids if key == "return_value" else (task_ids, key))


@dataclass
class StageRun:
    """One logical date of one pipeline: runs operators in order, feeding each one's result to the next as XCom."""

    ds: str
    ti: TaskInstanceStub = field(default_factory=TaskInstanceStub)
    params: dict[str, Any] = field(default_factory=lambda: {"deploy": True})

    def context(self) -> dict[str, Any]:
        """What Airflow hands a manual run of `ds`: its logical date is also its data interval's end."""
        logical = start_of_day(date.fromisoformat(self.ds))
        return {"ds": self.ds, "run_id": f"manual__{logical.isoformat()}", "params": self.params, "ti": self.ti,
                "logical_date": logical, "data_interval_start": logical, "data_interval_end": logical}

    def run(self, operator: Any) -> Any:
        result = operator.execute(self.context())
        self.ti.xcoms[operator.task_id] = result
        return result
