"""Options a person gives one run of a pipeline in its configuration: `{"deploy": false}` trains and registers but keeps the champion.

Given with the run (`airflow dags trigger <dag_id> -c '{"deploy": false}'`, or the
configuration of the UI's trigger form), they reach the tasks as params. The
pipeline DAG declares no Param for them: Airflow copies a DAG's Params into
every task and validates each against its JSON schema whenever the DAG is
serialized, about 1 ms per task on every parse. The value is checked here instead.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowFailException

DEPLOY = "deploy"


def deploy_enabled(context: Any) -> bool:
    """The run's `deploy` option (default true); a value that is not a boolean fails the task, naming the fix."""
    value = context["params"].get(DEPLOY, True)
    if not isinstance(value, bool):
        raise AirflowFailException(
            f"run configuration: `{DEPLOY}` is {value!r}, not true or false; trigger the run again with "
            f'{{"{DEPLOY}": false}} to keep the champion, or without it to deploy a winning challenger'
        )
    return value
