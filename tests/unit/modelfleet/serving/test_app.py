"""The model server's API on the small test fleet: which models are online, and clear errors for bad requests."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from modelfleet.serving.app import ServingState, create_app
from modelfleet.serving.catalog import Catalog
from modelfleet.serving.slots import ModelSlots
from modelfleet.specs.loader import load_fleet


def never_load(name: str, version: str) -> None:
    raise OSError(f"no artifacts for {name} v{version}")


@pytest.fixture
def client(fleet_dir):
    """acme's fraud model is online; churn stays batch."""
    path = fleet_dir / "acme" / "models" / "fraud.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["deployment"] = {"target": "online"}
    path.write_text(yaml.safe_dump(spec))
    state = ServingState(Catalog(lambda: load_fleet(fleet_dir)), ModelSlots(never_load), features=None)
    return TestClient(create_app(state))


def test_only_online_models_are_listed(client):
    assert [m["name"] for m in client.get("/v1/models").json()] == ["acme__fraud"]


def test_a_batch_or_unknown_model_is_a_404_naming_the_online_ones(client):
    answer = client.post("/v1/models/acme__churn/predict", json={"entities": [{"card_id": 1}]})
    assert answer.status_code == 404 and "online models: acme__fraud" in answer.json()["detail"]


def test_an_online_model_without_a_champion_is_a_503(client):
    answer = client.post("/v1/models/acme__fraud/predict", json={"entities": [{"card_id": 1}]})
    assert answer.status_code == 503 and "no champion deployed yet" in answer.json()["detail"]


def test_entities_without_the_join_keys_are_a_422_naming_them(client):
    answer = client.post("/v1/models/acme__fraud/predict", json={"entities": [{"card_id": 1}, {"card": 1}]})
    assert answer.status_code == 422 and "every entity needs the join keys ['card_id']" in answer.json()["detail"]
    assert client.post("/v1/models/acme__fraud/predict", json={"entities": []}).status_code == 422


def test_a_version_never_staged_is_a_404_saying_how_to_stage_it(client):
    answer = client.post("/v1/models/acme__fraud/versions/1/predict", json={"entities": [{"card_id": 1}]})
    assert answer.status_code == 404 and "PUT /v1/models/acme__fraud/versions/1 first" in answer.json()["detail"]


def test_a_version_that_cannot_load_is_a_502_with_the_reason_and_nothing_changes(client):
    answer = client.put("/v1/models/acme__fraud/versions/3")
    assert answer.status_code == 502 and "no artifacts for acme__fraud v3" in answer.json()["detail"]
    assert client.put("/v1/models/acme__fraud/live", json={"version": "3"}).status_code == 409
    assert client.get("/v1/models").json()[0]["live_version"] is None


def test_a_partitioned_online_pipeline_serves_one_model_per_partition(fleet_dir):
    from modelfleet.serving.catalog import online_models

    path = fleet_dir / "acme" / "models" / "fraud.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["deployment"] = {"target": "online"}
    spec["partitions"] = {"key": "channel", "values": ["web", "pos"]}
    path.write_text(yaml.safe_dump(spec))
    models = online_models(load_fleet(fleet_dir))
    assert {name: m.partition for name, m in models.items()} == {"acme__fraud__web": "web", "acme__fraud__pos": "pos"}
    assert {m.pipeline.dag_id for m in models.values()} == {"acme__fraud"}
