"""DeployModelOperator: the challenger is smoke-tested by version before `champion` moves; a failure moves nothing.

Online models are loaded on the real model server, smoke-tested through its
endpoint, then switched; the server answers throughout the switch.
"""

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


def spoil_holdout(stages, run, model="merchant_risk", key="merchant_id"):
    """The smoke fixture is the day's hold-out: keep only the key, so that no version can predict on it."""
    holdout = stages.home.run_dir(model, run.ds) / "holdout.parquet"
    pd.read_parquet(holdout)[[key]].to_parquet(holdout, index=False)


def test_failed_smoke_test_never_moves_the_champion(stages):
    stages.through("merchant_risk", stages.day)
    assert stages.champion(NAME) == "1"
    run = promote_next(stages, stages.next_day)
    spoil_holdout(stages, run)

    with AliasWatcher(stages.client, NAME) as watcher, pytest.raises(AirflowFailException) as failure:
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))

    assert "deploy failed, the champion did not change" in str(failure.value)
    assert f"{NAME} v2: in-process predict failed" in str(failure.value) and "champion stays v1" in str(failure.value)
    assert stages.champion(NAME) == "1"
    # Smoke-tested before the move: no reader ever saw v2 as the champion, and the alias never vanished.
    assert watcher.absent == 0 and watcher.seen and set(watcher.seen) == {"1"}
    assert stages.client.get_model_version_by_alias(NAME, "challenger").version == 2


def test_failed_first_deploy_leaves_no_champion(stages):
    run = stages.through("merchant_risk", stages.day, last="register")
    spoil_holdout(stages, run)
    with pytest.raises(AirflowFailException, match="no champion yet"):
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))
    assert stages.champion(NAME) is None


def test_redeploying_the_champion_is_a_no_op_even_with_a_broken_fixture(stages):
    """A rerun whose challenger is already the champion moves nothing, so a failing smoke test cannot 'roll back' to itself."""
    first = stages.through("merchant_risk", stages.day)
    assert stages.champion(NAME) == "1"
    spoil_holdout(stages, first)
    assert first.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk")) == {NAME: "1"}
    assert stages.champion(NAME) == "1"


# --- online: the real model server ---


@pytest.fixture
def online(stages, monkeypatch):
    """merchant_risk as an online model, its features materialized for both days, and a model server to deploy to."""
    from support.model_server import running_model_server

    from modelfleet.operators.features import BuildFeaturesOperator

    stages.home.edit_spec("merchant_risk", lambda spec: spec["deployment"].update(target="online"))
    for day in (stages.day, stages.next_day):
        stages.home.land("merchant_risk", day)
        stages.run_for(day).run(stages.operator(BuildFeaturesOperator, "build_features", "merchant_risk"))
    monkeypatch.delenv("AIRFLOW_CONN_MODEL_SERVER_DEFAULT", raising=False)
    with running_model_server(stages.mlflow_uri) as server:
        monkeypatch.setenv("MODELFLEET_SERVING_URL", server.url)
        yield server


def holdout_entities(stages, run, n):
    keys = pd.read_parquet(stages.home.run_dir("merchant_risk", run.ds) / "holdout.parquet")["merchant_id"].head(n)
    return [{"merchant_id": int(k)} for k in keys]


def live_predict(server, entities):
    import httpx

    response = httpx.post(f"{server.url}/v1/models/{NAME}/predict", json={"entities": entities}, timeout=30)
    return response.status_code, response.json()


def test_online_deploy_serves_the_champion_by_entity_key_with_feast_features(stages, online):
    import numpy as np

    from modelfleet.features import model_online_features
    from modelfleet.training.loading import load_fleet_model

    run = stages.through("merchant_risk", stages.day)
    assert run.ti.xcoms["deploy"] == {NAME: "1"} and stages.champion(NAME) == "1"
    entities = holdout_entities(stages, run, 5)
    status, answer = live_predict(online, entities)
    assert status == 200 and answer["version"] == "1" and answer["entities_without_features"] == 0
    import httpx

    timing = httpx.post(f"{online.url}/v1/models/{NAME}/predict", json={"entities": entities}, timeout=30).headers["server-timing"]
    assert [part.split(";dur=")[0] for part in timing.split(", ")] == ["features", "model"]
    # An entity the online store never saw gets null, and costs the others nothing.
    status, mixed = live_predict(online, [*entities, {"merchant_id": 987_654_321}])
    assert status == 200 and mixed["entities_without_features"] == 1
    assert mixed["predictions"][:5] == pytest.approx(answer["predictions"]) and mixed["predictions"][5] is None
    # The server's answer is the champion's prediction on the features Feast holds online for those keys.
    features = model_online_features(stages.home.pipeline("merchant_risk"), entities)
    expected = load_fleet_model(f"models:/{NAME}/1").predict(features)
    np.testing.assert_allclose(answer["predictions"], np.asarray(expected, dtype=float), rtol=1e-6)


def test_online_switch_leaves_no_moment_unserved(stages, online):
    """While v2 is staged, smoke-tested and switched, a client predicting in a loop always gets v1 or v2, never an error."""
    import httpx

    first = stages.through("merchant_risk", stages.day)
    entities = holdout_entities(stages, first, 1)
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(timeout=30) as http:
            while not stop.is_set():
                r = http.post(f"{online.url}/v1/models/{NAME}/predict", json={"entities": entities})
                answers.append((r.status_code, r.json().get("version") if r.status_code == 200 else r.text))

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    try:
        run = promote_next(stages, stages.next_day)
        assert run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk")) == {NAME: "2"}
        time.sleep(0.3)
    finally:
        stop.set()
        thread.join()
    assert stages.champion(NAME) == "2"
    assert answers and {status for status, _ in answers} == {200}
    versions = [v for _, v in answers]
    assert versions[-1] == "2" and set(versions) == {"1", "2"}
    assert versions == sorted(versions)  # once v2 answers, v1 never answers again
    assert online.state.slots.slot(NAME).previous == "1"  # kept loaded: a rollback is one switch


def test_online_smoke_test_failure_on_the_server_moves_nothing(stages, online):
    """v2 predicts in-process but the server cannot serve it (its features are not online): champion and live stay v1."""
    stages.through("merchant_risk", stages.day)
    run = promote_next(stages, stages.next_day)
    holdout = stages.home.run_dir("merchant_risk", run.ds) / "holdout.parquet"
    frame = pd.read_parquet(holdout)
    frame["merchant_id"] = frame["merchant_id"] + 10_000_000  # keys Feast has never seen
    frame.to_parquet(holdout, index=False)

    with pytest.raises(AirflowFailException) as failure:
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))

    assert "the online store has no features for any of the 50 smoke-test entities" in str(failure.value)
    assert "champion stays v1" in str(failure.value)
    assert stages.champion(NAME) == "1"
    assert live_predict(online, holdout_entities(stages, run, 1))[1]["version"] == "1"


def test_online_deploy_rolls_back_when_the_switch_fails(stages, online, monkeypatch):
    """A failure after the alias moved (the server refuses the switch) moves the alias back to the previous champion."""
    from modelfleet.serving.slots import ModelSlots, UnknownVersion

    stages.through("merchant_risk", stages.day)
    run = promote_next(stages, stages.next_day)
    real_switch = ModelSlots.switch

    def refuse_v2(self, name, version):
        if version == "2":
            raise UnknownVersion(f"{name} v2 vanished (test)")
        return real_switch(self, name, version)

    monkeypatch.setattr(ModelSlots, "switch", refuse_v2)
    with pytest.raises(Exception, match="409"):
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))
    assert stages.champion(NAME) == "1"
    assert live_predict(online, holdout_entities(stages, run, 1))[1]["version"] == "1"


def test_online_model_without_a_server_fails_before_anything_moves(stages, monkeypatch):
    stages.home.edit_spec("merchant_risk", lambda spec: spec["deployment"].update(target="online"))
    monkeypatch.delenv("AIRFLOW_CONN_MODEL_SERVER_DEFAULT", raising=False)
    monkeypatch.delenv("MODELFLEET_SERVING_URL", raising=False)
    run = stages.through("merchant_risk", stages.day, last="register")
    # A missing configuration is permanent: no retry can find a server nobody configured.
    with pytest.raises(AirflowFailException, match="permanent failure, not retried .*no model server for online models"):
        run.run(stages.operator(DeployModelOperator, "deploy", "merchant_risk"))
    assert stages.champion(NAME) is None
