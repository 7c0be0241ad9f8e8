"""Make `DAG.test()` work on DAGs with Deadline Alerts (Airflow 3.3.2).

`dag.test()` runs a DAG deserialised in memory, whose `deadline` still holds
the encoded alerts, not the ids of their `deadline_alert` rows (those exist
only in DAGs read back from the database). When the run succeeds,
`DagRun.update_state` looks each entry up with `DeadlineAlertModel.get_by_id`
to prune the run's deadlines, and fails on the encoded dict. The scheduler
path is unaffected. While a test runs, an encoded entry is read as the
unsaved row it describes, so the run's deadlines are pruned as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def encoded_deadlines_readable() -> Iterator[None]:
    from unittest import mock

    from airflow.models.deadline_alert import DeadlineAlert as DeadlineAlertModel

    original = DeadlineAlertModel.get_by_id

    def get_by_id(deadline_alert_id: Any, **kwargs: Any) -> Any:
        if isinstance(deadline_alert_id, dict):
            return DeadlineAlertModel(reference=deadline_alert_id["reference"], interval=deadline_alert_id["interval"],
                                      callback_def=deadline_alert_id["callback"], name=deadline_alert_id.get("name"))
        return original(deadline_alert_id, **kwargs)

    with mock.patch.object(DeadlineAlertModel, "get_by_id", get_by_id):
        yield
