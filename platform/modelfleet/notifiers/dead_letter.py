"""Record a task instance that failed for good in the dead-letter queue (modelfleet.dead_letters)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


def _logical_date(context: Any) -> str | None:
    value = context.get("logical_date") or getattr(context.get("dag_run"), "logical_date", None)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if value else context.get("ds")


def _message(exc: BaseException | None) -> str:
    if exc is None:
        return "no exception reached the failure callback (the task process died, or was failed from outside)"
    return f"{type(exc).__name__}: {exc}"


class DeadLetterNotifier(BaseNotifier):
    """An `on_failure_callback`: Airflow calls it once a task instance is failed with no retry left.

    That is every permanent failure (no retries, modelfleet.error_class) and
    every transient one that exhausted its retries; both go to the queue
    with their class, so on-call can replay or discard them. Never raises:
    losing the record is logged as an error, and the task's own failure
    stays what it was.
    """

    def __init__(self, *, tenant_id: str) -> None:
        super().__init__()
        self.tenant_id = tenant_id

    def notify(self, context: Any) -> None:
        try:
            entry_id = self.record(context)
        except Exception:  # noqa: BLE001 - a callback must never fail the task twice
            log.exception("dead-letter entry NOT recorded for tenant %s", self.tenant_id)
            return
        log.error("DEAD LETTER #%d tenant=%s (modelfleet dlq show %d)", entry_id, self.tenant_id, entry_id)

    def record(self, context: Any) -> int:
        from modelfleet.dead_letters import Failure, record
        from modelfleet.error_class import explain

        ti = context["ti"]
        exc = context.get("exception")
        exc = exc if isinstance(exc, BaseException) else None
        verdict = explain(exc)
        map_index = getattr(ti, "map_index", -1)
        return record(Failure(
            tenant=self.tenant_id, dag_id=ti.dag_id, task_id=ti.task_id, run_id=ti.run_id,
            try_number=int(getattr(ti, "try_number", 0) or 0), map_index=-1 if map_index is None else int(map_index),
            logical_date=_logical_date(context), error_class=verdict.error_class,
            error_type=verdict.cause if exc is not None else "", message=_message(exc),
        ))
