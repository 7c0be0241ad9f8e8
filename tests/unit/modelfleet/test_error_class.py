"""The classification table: which failures are retried (transient) and which fail at once (permanent).

The exceptions are the platform's real types, built as the code raises them;
the stage tests (operators/test_stage.py) and a real Airflow run
(tests/dags/test_error_classes.py) prove the classes on real failures.
"""

from __future__ import annotations

import sqlite3

import httpx
import pytest
import sqlalchemy.exc
from airflow.sdk.exceptions import AirflowFailException, AirflowSensorTimeout, AirflowTaskTimeout

from modelfleet.error_class import PERMANENT, TRANSIENT, ClassifiedErrors, PermanentFailure, classify, explain
from modelfleet.hooks.mlflow_registry import RegistryUnavailable
from modelfleet.hooks.model_server import ModelServerError, ModelServerUnavailable
from modelfleet.operators.deploy import SmokeTestFailed
from modelfleet.scheduling.leases import NoDeviceFree
from modelfleet.specs.errors import SpecError, problem


def chained(outer: BaseException, cause: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as inner:
            raise outer from inner
    except BaseException as raised:
        return raised


LOCKED = sqlalchemy.exc.OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

TABLE = [
    pytest.param(RegistryUnavailable("registry answered 503"), TRANSIENT, id="registry-5xx-or-down"),
    pytest.param(ModelServerUnavailable("no answer"), TRANSIENT, id="model-server-down"),
    pytest.param(ModelServerError(503, "loading"), TRANSIENT, id="model-server-503"),
    pytest.param(ModelServerError(429, "busy"), TRANSIENT, id="model-server-429"),
    pytest.param(NoDeviceFree("no host has 1 free a10g"), TRANSIENT, id="no-gpu-lease"),
    pytest.param(AirflowTaskTimeout("timeout"), TRANSIENT, id="task-timeout"),
    pytest.param(TimeoutError("timed out"), TRANSIENT, id="timeout"),
    pytest.param(ConnectionRefusedError(111, "refused"), TRANSIENT, id="connection-refused"),
    pytest.param(httpx.ConnectError("refused"), TRANSIENT, id="httpx-connect"),
    pytest.param(LOCKED, TRANSIENT, id="sqlite-database-is-locked"),
    pytest.param(KeyError("unclassified"), TRANSIENT, id="unknown-is-transient"),
    pytest.param(AirflowFailException("data is unusable"), PERMANENT, id="validation-failed"),
    pytest.param(AirflowSensorTimeout("data not ready"), PERMANENT, id="sensor-timeout"),
    pytest.param(SpecError([problem("tenants/a/models/m.yaml", "task", "bad", "fix it")]), PERMANENT, id="invalid-spec"),
    pytest.param(SmokeTestFailed("3 of 50 predictions are not finite"), PERMANENT, id="smoke-test-failed"),
    pytest.param(ModelServerError(422, "bad version"), PERMANENT, id="model-server-4xx"),
    pytest.param(PermanentFailure("bad"), PERMANENT, id="permanent-failure"),
    pytest.param(chained(SmokeTestFailed("server refused"), ModelServerError(409, "conflict")), PERMANENT, id="smoke-test-from-4xx"),
    pytest.param(chained(RegistryUnavailable("alias read failed"), ModelServerError(404, "x")), TRANSIENT, id="outermost-known-decides"),
    pytest.param(chained(RuntimeError("wrapped"), SpecError([])), PERMANENT, id="unknown-wrapping-permanent"),
]


@pytest.mark.parametrize(("exc", "expected"), TABLE)
def test_classification_table(exc, expected):
    assert classify(exc) == expected


def test_no_exception_is_transient_and_the_decider_is_named():
    assert explain(None).error_class == TRANSIENT
    assert explain(chained(RuntimeError("x"), SmokeTestFailed("y"))).cause == "SmokeTestFailed"


class Flaky(ClassifiedErrors):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def execute(self, context: object) -> None:
        raise self.exc


class Child(Flaky):
    def execute(self, context: object) -> None:
        super().execute(context)


@pytest.mark.parametrize("cls", [Flaky, Child], ids=["direct", "subclass-calling-super"])
def test_the_mixin_fails_permanent_errors_at_once_and_reraises_transient_ones(cls):
    smoke = SmokeTestFailed("nan predictions")
    with pytest.raises(AirflowFailException) as failed:
        cls(smoke).execute({})
    assert failed.value.__cause__ is smoke and "SmokeTestFailed" in str(failed.value)
    outage = RegistryUnavailable("503")
    with pytest.raises(RegistryUnavailable) as retried:
        cls(outage).execute({})
    assert retried.value is outage
