"""The features stage on a real tenant spec, with real Feast in a temporary state folder."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from modelfleet.specs.loader import load_pipeline

DS = "2026-11-20"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MODELFLEET_HOME", str(tmp_path / "state"))
    for name in ("MODELFLEET_DATA_ROOT", "MODELFLEET_FEAST_HOME", "MODELFLEET_FEAST_CONFIG", "MODELFLEET_TENANTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "state"


def land(*models: str, rows: int = 300) -> pd.DataFrame:
    """The payments generator's data of DS for these models; returns the first one's frame."""
    from modelfleet.io import read_frame, rendered_data_path
    from modelfleet.runtime.landing import land as land_data

    pipelines = [load_pipeline("payments", m) for m in models]
    land_data(pipelines, date.fromisoformat(DS), rows=rows)
    return read_frame(rendered_data_path(pipelines[0], DS))


def context() -> dict:
    return {"ds": DS, "run_id": "test", "ti": None}


def test_build_features_writes_the_training_set_the_trainers_read(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from modelfleet.features.definitions import load_tenant_definitions
    from modelfleet.features.offline import read_view
    from modelfleet.operators.features import BuildFeaturesOperator
    from modelfleet.training.encoding import FeatureEncoder

    day = land("card_fraud_regional")
    operator = BuildFeaturesOperator(task_id="build_features", tenant_id="payments", model_name="card_fraud_regional")
    cold = "feast" not in sys.modules
    start = time.perf_counter()
    result = operator.execute(context())
    elapsed = time.perf_counter() - start

    spec = operator.pipeline.model
    path = state / "runs" / "payments__card_fraud_regional" / DS / "training_set.parquet"
    assert result["training_set"] == str(path) and result["rows"] == len(day) and result["applied"] is True
    frame = pd.read_parquet(path)
    features = [c.name for c in spec.validation.columns if c.name not in ("card_id", "event_timestamp", "is_fraud")]
    assert list(frame.columns) == ["card_id", "event_timestamp", *features, "is_fraud"]
    assert "region" in frame.columns  # the partition key the mapped train tasks filter on
    # Every event's own row is the latest at its timestamp: the training set is the day's data, in its order.
    pd.testing.assert_frame_equal(
        frame[["card_id", *features, "is_fraud"]], day[["card_id", *features, "is_fraud"]],
        check_dtype=False, check_exact=False,
    )
    assert FeatureEncoder.from_spec(spec).transform(frame).shape[0] == len(day)

    # Another pipeline of the same view, same date: no apply, and the view holds the day's rows once.
    again = BuildFeaturesOperator(task_id="build_features", tenant_id="payments", model_name="card_fraud").execute(context())
    assert again["applied"] is False and again["rows"] == len(day)
    view = load_tenant_definitions("payments").view("payments__card_transactions")
    assert len(read_view(view)) == len(day)
    with capsys.disabled():
        print(f"\n[feast timings] BuildFeaturesOperator.execute first run {elapsed:.2f}s ({'with' if cold else 'without'} importing Feast)")


def test_materialize_publishes_every_view_of_the_tenant_online(state: Path) -> None:
    from modelfleet.features import model_online_features
    from modelfleet.operators.materialize import MaterializeFeaturesOperator

    day = land("card_fraud", "account_takeover", "merchant_risk", rows=200)
    result = MaterializeFeaturesOperator(task_id="materialize", tenant_id="payments").execute(context())
    assert result["applied"] is True
    assert result["rows"] == {"payments__card_transactions": 200, "payments__login_events": 200, "payments__merchant_daily": 200}
    assert set(result["materialized"]) == set(result["rows"])

    pipeline = load_pipeline("payments", "card_fraud")
    online = model_online_features(pipeline, day.head(5))
    assert online["card_id"].tolist() == day["card_id"].head(5).tolist()
    assert online["amount"].tolist() == pytest.approx(day["amount"].head(5).tolist())
    assert online["region"].tolist() == day["region"].head(5).tolist()

    rerun = MaterializeFeaturesOperator(task_id="materialize", tenant_id="payments").execute(context())
    assert rerun["applied"] is False and all(v == f"rematerialized {DS}" for v in rerun["materialized"].values())
