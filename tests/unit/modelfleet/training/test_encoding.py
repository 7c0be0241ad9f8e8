"""FeatureEncoder: features from the spec (not from the day's data), one-hot by `allowed`, NaN as 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelfleet.specs.loader import load_pipeline
from modelfleet.training.encoding import FeatureEncoder


def test_card_fraud_features_exclude_keys_label_timestamp():
    encoder = FeatureEncoder.from_spec(load_pipeline("payments", "card_fraud").model)
    assert "card_id" not in encoder.columns and "is_fraud" not in encoder.columns
    assert "event_timestamp" not in encoder.columns
    assert encoder.categorical["channel"] == ["chip", "contactless", "online", "manual"]
    assert encoder.width == len(encoder.numeric) + 3 + 7 + 4


def test_partition_key_is_not_a_feature():
    encoder = FeatureEncoder.from_spec(load_pipeline("payments", "card_fraud_regional").model)
    assert "region" not in encoder.columns


def test_transform_is_fixed_by_the_spec_not_the_data():
    encoder = FeatureEncoder(numeric=["amount", "flag"], categorical={"channel": ["web", "pos"]})
    frame = pd.DataFrame({"amount": [1.5, np.nan, 3.0], "flag": [True, False, True], "channel": ["pos", "carrier_pigeon", "web"]})
    np.testing.assert_array_equal(encoder.transform(frame), [[1.5, 1, 0, 1], [0, 0, 0, 0], [3.0, 1, 1, 0]])
