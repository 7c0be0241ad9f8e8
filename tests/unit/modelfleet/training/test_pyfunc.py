"""FleetModel: the logged model takes raw frames and applies the spec's encoder before the trainer's predict."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelfleet.training.encoding import FeatureEncoder
from modelfleet.training.pyfunc import FleetModel
from modelfleet.training.xgboost_trainer import XGBoostTrainer


def test_predicts_on_raw_columns(fit):
    model, _, _, _ = fit(XGBoostTrainer(), "classification", {"num_boost_round": 3})
    encoder = FeatureEncoder(numeric=["a", "b", "c", "d"])
    frame = pd.DataFrame(np.random.default_rng(1).normal(size=(5, 4)), columns=["a", "b", "c", "d"]).assign(extra="ignored")
    expected = XGBoostTrainer().predict(model, frame[["a", "b", "c", "d"]].to_numpy())
    np.testing.assert_array_equal(FleetModel("xgboost", encoder, model).predict(None, frame), expected)
