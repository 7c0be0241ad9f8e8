"""DeployModelOperator: the champion moves on success, moves back on a failed smoke test, and never disappears."""

from __future__ import annotations

import threading
import time

import pandas as pd
import pytest
from airflow.sdk.exceptions import AirflowFailException

from modelfleet.operators.deploy import DeployModelOperator
from modelfleet.operators.register import RegisterModelOperator

NAME = "payments__merchant_risk"


class AliasWatcher:
    """Reads the champion alias in a loop from another thread while a deploy runs."""

    def __init__(self, client, name: str) -> None:
        self.client, self.name = client, name
        self.seen: list[str] = []
        self.absent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        from mlflow.exceptions import MlflowException

        while not self._stop.is_set():
            try:
                self.seen.append(str(self.client.get_model_version_by_alias(self.name, "champion").version))
            except MlflowException as exc:
                if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                    self.absent += 1
            time.sleep(0.005)

    def __enter__(self) -> AliasWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def promote_next(stages, day):
    """Train on `day` and register the result as a challenger the evaluation chose to promote."""
    run = stages.train("merchant_risk", day)
    result = run.ti.xcoms["train"]
    run.ti.xcoms["evaluate"] = {NAME: {**result, "decision": "promote", "reason": "forced by the test"}}
    run.run(stages.operator(RegisterModelOperator, "register", "merchant_risk"))
    return run


def test_first_deploy_makes_the_champion_and_the_next_one_moves_it(stages):
    first = stages.through("merchant_risk", stages.day)
    assert first.ti.xcoms["deploy"] == {NAME: "1"} and stages.champion(NAME) == "1"
    second = promote_next(stages, stages.next_day)
    assert second.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk")) == {NAME: "2"}
    assert stages.champion(NAME) == "2"


def test_deploy_param_off_keeps_the_champion(stages):
    stages.through("merchant_risk", stages.day)
    run = promote_next(stages, stages.next_day)
    run.params["deploy"] = False
    assert run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk")) == {}
    assert stages.champion(NAME) == "1"


def test_failed_smoke_test_restores_the_previous_champion_which_is_never_absent(stages):
    stages.through("merchant_risk", stages.day)
    assert stages.champion(NAME) == "1"
    run = promote_next(stages, stages.next_day)
    # The smoke fixture is the day's hold-out: spoil it so that the new version cannot predict on it.
    holdout = stages.home.run_dir("merchant_risk", run.ds) / "holdout.parquet"
    pd.read_parquet(holdout)[["merchant_id"]].to_parquet(holdout, index=False)

    with AliasWatcher(stages.client, NAME) as watcher, pytest.raises(AirflowFailException) as failure:
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))

    assert "deploy failed, rolled back" in str(failure.value)
    assert f"{NAME} v2:" in str(failure.value) and "champion rolled back to v1" in str(failure.value)
    assert stages.champion(NAME) == "1"
    assert watcher.absent == 0 and watcher.seen and set(watcher.seen) <= {"1", "2"}
    assert stages.client.get_model_version_by_alias(NAME, "challenger").version == 2


def test_failed_first_deploy_leaves_no_champion(stages):
    run = stages.through("merchant_risk", stages.day, last="register")
    holdout = stages.home.run_dir("merchant_risk", run.ds) / "holdout.parquet"
    pd.read_parquet(holdout)[["merchant_id"]].to_parquet(holdout, index=False)
    with pytest.raises(AirflowFailException, match="no previous champion; alias removed"):
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))
    assert stages.champion(NAME) is None


def test_redeploying_the_champion_is_a_no_op_even_with_a_broken_fixture(stages):
    """A rerun whose challenger is already the champion moves nothing, so a failing smoke test cannot 'roll back' to itself."""
    first = stages.through("merchant_risk", stages.day)
    assert stages.champion(NAME) == "1"
    holdout = stages.home.run_dir("merchant_risk", first.ds) / "holdout.parquet"
    pd.read_parquet(holdout)[["merchant_id"]].to_parquet(holdout, index=False)
    assert first.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk")) == {NAME: "1"}
    assert stages.champion(NAME) == "1"
