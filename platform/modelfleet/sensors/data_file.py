"""Wait for a tenant's input: present, at least the minimum size, modified within the maximum age of the data interval end."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseSensorOperator
from airflow.sdk.exceptions import AirflowSensorTimeout

from modelfleet.data_interval import data_interval_end
from modelfleet.error_class import ClassifiedErrors
from modelfleet.hooks.data_store import DataStoreHook
from modelfleet.triggers.data_file import DataFileTrigger


class DataFileSensor(ClassifiedErrors, BaseSensorOperator):
    """Deferrable by default: the first check runs inline, then the triggerer waits.

    `path` is templated (`{{ ds }}` selects the logical date's file); local
    paths and s3:// URIs are both accepted. `max_age` is measured back from
    the end of the run's data interval, so a backfill over files that landed
    long ago finds them ready. On timeout the failure says what was missing,
    too small or too old. Errors are classified like the stages' (ClassifiedErrors).
    """

    template_fields: Sequence[str] = ("path",)
    ui_color = "#fff4d6"

    def __init__(
        self,
        *,
        path: str,
        min_size_bytes: int = 1,
        max_age: timedelta = timedelta(days=2),
        aws_conn_id: str | None = None,
        deferrable: bool = True,
        poke_interval: float = 15.0,
        timeout: float = 6 * 3600,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        self.path = path
        self.min_size_bytes = min_size_bytes
        self.max_age = max_age
        self.aws_conn_id = aws_conn_id or ("aws_default" if path.startswith("s3://") else None)
        self.deferrable = deferrable

    def poke(self, context: Any) -> bool:
        check = DataStoreHook(aws_conn_id=self.aws_conn_id).check(
            self.path, self.min_size_bytes, self.max_age, data_interval_end(context))
        self.log.info(check.reason)
        return check.ready

    def execute(self, context: Any) -> Any:
        if not self.deferrable:
            return super().execute(context)
        if self.poke(context):
            return None
        self.defer(
            trigger=DataFileTrigger(
                self.path, self.min_size_bytes, self.max_age.total_seconds(), data_interval_end(context).isoformat(),
                self.poke_interval, self.aws_conn_id, self.timeout,
            ),
            method_name="execute_complete",
        )

    def execute_complete(self, context: Any, event: dict[str, Any] | None = None) -> None:
        if not event or not event.get("ready"):
            reason = (event or {}).get("reason", f"{self.path} was not checked")
            raise AirflowSensorTimeout(f"data not ready after {timedelta(seconds=self.timeout)}: {reason}")
        self.log.info(event["reason"])
