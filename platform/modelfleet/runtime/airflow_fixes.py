"""Fixes to Airflow 3.3.2 itself, installed in every Airflow process by platform/airflow_local_settings.py.

Each fix names the bug it works around; delete it when Airflow ships the fix.

- Clearing a DAG run that has an unmissed `DAGRUN_QUEUED_AT` deadline fails
  (HTTP 500 from the API, so `modelfleet run`'s replay and `modelfleet dlq
  replay` fail): `taskinstance._recalculate_dagrun_queued_at_deadlines` does
  `timedelta(seconds=alert.interval)`, but the DAG serializer stores the
  interval as a serde-encoded timedelta (a dict). Every pipeline has such a
  deadline (`monitoring.deadline`), so every replay hit it. The fix decodes the
  interval the way Airflow's own decoder does (`airflow.sdk.serde`).
- `dag.test()` of a DAG with a Deadline Alert fails when the run succeeds:
  the in-memory DAG holds the encoded alerts, not the ids of their
  `deadline_alert` rows (only DAGs read back from the database have those),
  and `DagRun.update_state` looks each one up with `DeadlineAlert.get_by_id`.
  The fix reads an encoded alert as the unsaved row it describes, so the
  run's deadlines are pruned as in production; ids are looked up as before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

_FIXED = "_modelfleet_fixed"


def interval_of(stored: Any) -> timedelta | None:
    """A deadline alert's stored interval as a timedelta: old rows hold seconds, new ones serde's encoding.

    None for an interval that is not a fixed duration (a VariableInterval):
    such a deadline is left as it was computed.
    """
    if isinstance(stored, (int, float)):
        return timedelta(seconds=stored)
    from airflow.sdk.serde import deserialize

    value = deserialize(stored)
    return value if isinstance(value, timedelta) else None


def recalculate_queued_at_deadlines(dagrun: Any, new_queued_at: datetime, session: Any) -> None:
    """Airflow's `_recalculate_dagrun_queued_at_deadlines`, with the interval decoded (see the module docstring)."""
    from sqlalchemy import false, select

    from airflow.models.deadline import Deadline, ReferenceModels
    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel

    results = session.execute(
        select(Deadline, DeadlineAlertModel)
        .join(DeadlineAlertModel, Deadline.deadline_alert_id == DeadlineAlertModel.id)
        .where(
            Deadline.dagrun_id == dagrun.id,
            Deadline.missed == false(),
            DeadlineAlertModel.reference[ReferenceModels.REFERENCE_TYPE_FIELD].as_string()
            == ReferenceModels.DagRunQueuedAtDeadline.__name__,
        )
    ).all()
    for deadline, alert in results:
        interval = interval_of(alert.interval)
        if interval is not None:
            deadline.deadline_time = new_queued_at + interval


def _alert_by_id_or_encoding(original: Any) -> Any:
    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel

    def get_by_id(deadline_alert_id: Any, **kwargs: Any) -> Any:
        if isinstance(deadline_alert_id, dict):  # dag.test(): the encoded alert itself
            return DeadlineAlertModel(reference=deadline_alert_id["reference"], interval=deadline_alert_id["interval"],
                                      callback_def=deadline_alert_id["callback"], name=deadline_alert_id.get("name"))
        return original(deadline_alert_id, **kwargs)

    return get_by_id


def install() -> None:
    """Apply the fixes once per process."""
    import airflow.models.taskinstance as taskinstance
    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel

    if getattr(taskinstance._recalculate_dagrun_queued_at_deadlines, _FIXED, False):
        return
    setattr(recalculate_queued_at_deadlines, _FIXED, True)
    taskinstance._recalculate_dagrun_queued_at_deadlines = recalculate_queued_at_deadlines
    get_by_id = _alert_by_id_or_encoding(DeadlineAlertModel.get_by_id)
    setattr(get_by_id, _FIXED, True)
    DeadlineAlertModel.get_by_id = staticmethod(get_by_id)
