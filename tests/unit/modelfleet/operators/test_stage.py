"""PipelineStageOperator applies the error class to every stage: each class proven on a real failure.

Transient (re-raised for Airflow's retries): the MLflow registry down (a real
`mlflow server` whose proxy is stopped), no free GPU device (real leases).
Permanent (AirflowFailException chained from the cause, no retries): data
that fails validation, a spec made invalid, a model that fails its smoke test.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from airflow.sdk.exceptions import AirflowFailException
from support.mlflow_server import mlflow_server

from modelfleet.error_class import PERMANENT, TRANSIENT, classify
from modelfleet.operators.deploy import DeployModelOperator
from modelfleet.operators.register import RegisterModelOperator
from modelfleet.operators.stage import PipelineStageOperator
from modelfleet.operators.validate_data import ValidateDataOperator
from modelfleet.specs.errors import SpecError

from .test_deploy import promote_next, spoil_holdout

NAME = "payments__merchant_risk"


def test_registry_down_is_transient_and_the_retry_registers_once(tmp_path, tenant_home, monkeypatch):
    from ..conftest import Stages

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("AIRFLOW_CONN_MLFLOW_DEFAULT", raising=False)
    with mlflow_server(tmp_path / "mlflow") as proxy:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", proxy.url)
        stages = Stages(tenant_home, proxy.url)
        run = stages.train("merchant_risk", stages.day)
        run.ti.xcoms["evaluate"] = {NAME: {**run.ti.xcoms["train"], "decision": "promote", "reason": "test"}}
        register = stages.operator(RegisterModelOperator, "register", "merchant_risk")
        proxy.stop()  # the registry is down: connections refused
        with pytest.raises(Exception) as outage:
            run.run(register)
        assert not isinstance(outage.value, AirflowFailException) and classify(outage.value) == TRANSIENT
        proxy.start()
        assert run.run(register)[NAME]["version"] == "1"  # the retry, once it is back
        assert len(stages.client.search_model_versions(f"name='{NAME}'")) == 1


class LeasingStage(PipelineStageOperator):
    """A stage that leases one a10g like a GPU train task (waiting briefly, so the test does not wait 2 minutes)."""

    def execute(self, context: Any) -> None:
        from modelfleet.scheduling.capacity import load_capacity
        from modelfleet.scheduling.leases import Holder, leased_devices

        holder = Holder(self.tenant_id, "payments__merchant_risk", context["run_id"], self.task_id)
        with leased_devices(load_capacity(), holder, "a10g", 1, wait=0.5, poll=0.1):
            return None


def test_no_free_gpu_is_transient(tmp_path, tenant_home, stage_run, day, monkeypatch):
    from modelfleet.scheduling.capacity import load_capacity
    from modelfleet.scheduling.leases import Holder, try_acquire

    capacity = tmp_path / "capacity.yaml"
    capacity.write_text(yaml.safe_dump({"gpu_classes": {"a10g": "test"}, "hosts": {"g1": {"a10g": [0]}}}))
    monkeypatch.setenv("MODELFLEET_CAPACITY_FILE", str(capacity))
    monkeypatch.setenv("MODELFLEET_DB_URL", f"sqlite:///{tmp_path / 'modelfleet.db'}")
    assert try_acquire(load_capacity(), Holder("payments", "other", "r", "train"), "a10g", 1) is not None
    with pytest.raises(Exception) as busy:
        stage_run(day.isoformat()).run(LeasingStage(task_id="train", tenant_id="payments", model_name="merchant_risk"))
    assert type(busy.value).__name__ == "NoDeviceFree" and classify(busy.value) == TRANSIENT


def test_data_failing_validation_is_permanent(tenant_home, stage_run, day):
    tenant_home.land("merchant_risk", day, rows=20)  # min_rows is 500
    with pytest.raises(AirflowFailException, match="data is unusable") as failed:
        stage_run(day.isoformat()).run(ValidateDataOperator(task_id="validate_data", tenant_id="payments", model_name="merchant_risk"))
    assert classify(failed.value) == PERMANENT


def test_a_spec_made_invalid_fails_the_stage_at_once_chained_from_the_spec_error(tenant_home, stage_run, day):
    tenant_home.land("merchant_risk", day)
    validate = ValidateDataOperator(task_id="validate_data", tenant_id="payments", model_name="merchant_risk")
    tenant_home.edit_spec("merchant_risk", lambda spec: spec.update(task="astrology"))  # after the DAG was parsed
    with pytest.raises(AirflowFailException, match="permanent failure, not retried \\(SpecError\\)") as failed:
        stage_run(day.isoformat()).run(validate)
    assert isinstance(failed.value.__cause__, SpecError) and "merchant_risk.yaml" in str(failed.value)
    assert classify(failed.value) == PERMANENT


def test_a_failed_smoke_test_is_permanent(stages):
    stages.through("merchant_risk", stages.day)
    run = promote_next(stages, stages.next_day)
    spoil_holdout(stages, run)
    with pytest.raises(AirflowFailException) as failed:
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))
    assert classify(failed.value) == PERMANENT and stages.champion(NAME) == "1"
