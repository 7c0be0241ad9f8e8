"""Feast definitions generated from the specs: names, schemas, dtypes, conflicts and the fingerprint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelfleet.features.definitions import (
    FINGERPRINT_TAG,
    TENANT_TAG,
    feast_objects,
    feature_refs,
    load_tenant_definitions,
    tenant_definitions,
)
from modelfleet.specs.errors import SpecError
from modelfleet.specs.loader import load_fleet


def test_payments_views_come_from_its_specs() -> None:
    fleet = load_fleet(only_tenant="payments")
    definitions = tenant_definitions(fleet.pipelines, "payments")
    declared = sorted({v for p in fleet.pipelines for v in p.model.features.views})
    assert definitions.view_names == declared
    assert definitions.entity_names == ["payments__account_id", "payments__card_id", "payments__merchant_id"]

    cards = definitions.view("payments__card_transactions")
    assert cards.key_names == ["card_id"] and cards.timestamp_column == "event_timestamp"
    assert "region" in cards.feature_names  # card_fraud_regional's partition key stays a feature
    assert not {"card_id", "event_timestamp", "is_fraud"} & set(cards.feature_names)
    assert cards.ttl_seconds == 2 * 86_400  # the longest data.max_age of the three specs sharing it
    assert cards.pipelines == ("payments__card_fraud", "payments__card_fraud_mlp", "payments__card_fraud_regional")
    assert len(cards.inputs) == 1 and cards.inputs[0].path.endswith("payments/card_transactions/{ds}.parquet")

    regional = next(p for p in fleet.pipelines if p.model.name == "card_fraud_regional")
    assert feature_refs(regional.model, definitions)[:2] == ["payments__card_transactions:region", "payments__card_transactions:amount"]


def test_feast_objects_carry_dtypes_tenant_and_fingerprint() -> None:
    from feast import Entity, FeatureView, ValueType
    from feast.types import Bool, Float64, Int64, String

    definitions = load_tenant_definitions("payments")
    objects = {o.name: o for o in feast_objects(definitions)}
    assert isinstance(objects["payments__card_id"], Entity) and objects["payments__card_id"].value_type == ValueType.INT64
    view = objects["payments__card_transactions"]
    assert isinstance(view, FeatureView)
    dtypes = {f.name: f.dtype for f in view.schema}
    assert (dtypes["card_id"], dtypes["amount"], dtypes["region"], dtypes["is_international"], dtypes["txn_count_1h"]) == (
        Int64, Float64, String, Bool, Int64,
    )
    assert view.batch_source.path == definitions.view("payments__card_transactions").source_path
    assert view.tags == {TENANT_TAG: "payments", FINGERPRINT_TAG: definitions.fingerprint()}


def test_fingerprint_follows_what_feast_stores(fleet_dir: Path, data_root: Path) -> None:
    before = tenant_definitions(load_fleet(fleet_dir, data_root).pipelines, "acme")
    again = tenant_definitions(load_fleet(fleet_dir, data_root).pipelines, "acme")
    assert before.fingerprint() == again.fingerprint()

    spec_file = fleet_dir / "acme" / "models" / "churn.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["description"] = "only words changed"
    spec_file.write_text(yaml.safe_dump(spec))
    assert tenant_definitions(load_fleet(fleet_dir, data_root).pipelines, "acme").fingerprint() == before.fingerprint()

    spec["validation"]["columns"].append({"name": "hour", "dtype": "int"})
    spec_file.write_text(yaml.safe_dump(spec))
    after = tenant_definitions(load_fleet(fleet_dir, data_root).pipelines, "acme")
    assert after.fingerprint() != before.fingerprint() and "hour" in after.view("acme__tx").feature_names


def test_specs_that_disagree_about_a_shared_view_name_the_file(fleet_dir: Path, data_root: Path) -> None:
    spec_file = fleet_dir / "acme" / "models" / "fraud.yaml"
    spec = yaml.safe_load(spec_file.read_text())
    spec["validation"]["columns"][2]["dtype"] = "str"  # amount: float in churn.yaml
    spec["validation"]["columns"][2].pop("min"), spec["validation"]["columns"][2].pop("max")
    spec_file.write_text(yaml.safe_dump(spec))
    with pytest.raises(SpecError, match=r"acme/models/fraud.yaml: validation.columns: column 'amount' of view 'acme__tx' is str here but float"):
        tenant_definitions(load_fleet(fleet_dir, data_root).pipelines, "acme")
