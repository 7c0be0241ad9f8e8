"""Each pipeline declares what it reads and writes as Assets, so Airflow's asset graph shows its lineage."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelfleet.dag_factory.assets import describe_outlet_event, input_asset, model_asset, training_set_asset
from modelfleet.dag_factory.pipeline import build_pipeline_dag


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from modelfleet.specs.loader import load_pipeline
    from support.tenant_copy import use_tenant_copy

    use_tenant_copy(tmp_path, monkeypatch)
    return load_pipeline("payments", "merchant_risk")


def test_the_pipeline_reads_its_input_writes_its_training_set_and_model(pipeline) -> None:
    dag = build_pipeline_dag(pipeline)
    source = input_asset(pipeline.data_path)
    training_set, model = training_set_asset("payments", "merchant_risk"), model_asset("payments", "merchant_risk")
    assert dag.get_task("wait_for_data").inlets == [source] and dag.get_task("validate_data").inlets == [source]
    assert dag.get_task("build_features").outlets == [training_set] and dag.get_task("train").inlets == [training_set]
    assert dag.get_task("register").outlets == [model]
    assert source.uri == "file://" + str(Path(pipeline.data_path).parent)
    assert training_set.name.startswith("payments__") and model.uri == "modelfleet://payments/payments__merchant_risk__model"


def test_input_assets_are_the_folder_before_the_date() -> None:
    assert input_asset("s3://lake/payments/{ds}/tx.parquet").uri == "s3://lake/payments"
    assert input_asset("/data/payments/tx_{ds}.parquet").uri == "file:///data/payments"


def test_an_outlet_event_carries_lineage_only_inside_airflow() -> None:
    asset = model_asset("payments", "merchant_risk")

    class Event:
        extra: dict = {}

    events = {asset: Event()}
    describe_outlet_event({"outlet_events": events}, asset, {"versions": {"payments__merchant_risk": {"version": "3"}}})
    assert events[asset].extra == {"versions": {"payments__merchant_risk": {"version": "3"}}}
    describe_outlet_event({}, asset, {"ignored": True})  # a stage test's context: nothing to describe, no error
