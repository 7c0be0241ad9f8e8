"""Evaluate and deploy while the registry fails: they raise (Airflow retries with backoff) and change nothing.

Against a real `mlflow server` behind a proxy that answers 503 on purpose.
Before the fix, a failed alias read meant "no champion": evaluate promoted
the challenger as a first model, and deploy could delete the champion alias.
"""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowFailException
from support.mlflow_server import mlflow_server

from modelfleet.hooks.mlflow_registry import RegistryUnavailable
from modelfleet.operators.deploy import DeployModelOperator
from modelfleet.operators.evaluate import EvaluateModelOperator
from modelfleet.operators.register import RegisterModelOperator

NAME = "payments__merchant_risk"
ALIAS_READ = r"GET .*/registered-models/alias"
ALIAS_WRITE = r"POST .*/registered-models/alias"


@pytest.fixture
def served(tmp_path, tenant_home, monkeypatch):
    """Stage runs whose MLflow is a real server (behind a FaultyProxy), with no client-side retries."""
    from ..conftest import Stages

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    with mlflow_server(tmp_path / "mlflow") as proxy:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", proxy.url)
        yield Stages(tenant_home, proxy.url), proxy


def evaluate(stages, run):
    return run.run(stages.operator(EvaluateModelOperator, "evaluate", "merchant_risk", train_task_ids=["train"]))


def test_evaluate_during_an_outage_raises_and_never_promotes_as_first_model(served):
    stages, proxy = served
    stages.through("merchant_risk", stages.day)
    assert stages.champion(NAME) == "1"
    run = stages.train("merchant_risk", stages.next_day)
    run_id = run.ti.xcoms["train"]["run_id"]

    proxy.fail(ALIAS_READ)
    with pytest.raises(RegistryUnavailable) as outage:
        evaluate(stages, run)
    assert not isinstance(outage.value, AirflowFailException)  # retried by Airflow, with backoff
    proxy.heal()
    assert "decision" not in stages.client.get_run(run_id).data.tags  # nothing was decided during the outage

    decision = evaluate(stages, run)[NAME]
    assert decision["champion_version"] == "1" and not decision["reason"].startswith("first model")


def test_deploy_during_an_outage_raises_and_the_champion_never_changes_or_vanishes(served):
    stages, proxy = served
    stages.through("merchant_risk", stages.day)
    run = stages.train("merchant_risk", stages.next_day)
    run.ti.xcoms["evaluate"] = {NAME: {**run.ti.xcoms["train"], "decision": "promote", "reason": "forced by the test"}}
    run.run(stages.operator(RegisterModelOperator, "register", "merchant_risk"))
    deploy = stages.operator(DeployModelOperator, "deploy", "merchant_risk")

    proxy.fail(ALIAS_READ)  # the read of the current champion fails
    with pytest.raises(RegistryUnavailable):
        run.run(deploy)
    proxy.heal()
    assert stages.champion(NAME) == "1"

    proxy.fail(ALIAS_WRITE)  # the move itself fails, after the smoke test passed
    with pytest.raises(Exception, match="503|TEMPORARILY_UNAVAILABLE") as failure:
        run.run(deploy)
    assert not isinstance(failure.value, AirflowFailException)
    assert any(r.startswith("POST") for r in proxy.failed)
    proxy.heal()
    assert stages.champion(NAME) == "1"
    assert not any(r.startswith("DELETE") for r in proxy.failed)

    assert run.run(deploy) == {NAME: "2"}  # the retry, once the registry answers
    assert stages.champion(NAME) == "2"
