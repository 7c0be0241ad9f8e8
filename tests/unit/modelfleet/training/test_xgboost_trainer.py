"""XGBoostTrainer on CPU: per-round metrics for both splits, determinism, ranking with query groups."""

from __future__ import annotations

import numpy as np

from modelfleet.training.xgboost_trainer import XGBoostTrainer


def test_classification_learns_deterministically_and_logs_every_round(fit):
    _, first, logged, y_valid = fit(XGBoostTrainer(), "classification", {"num_boost_round": 12})
    _, second, _, _ = fit(XGBoostTrainer(), "classification", {"num_boost_round": 12})
    np.testing.assert_array_equal(first, second)
    assert ((first >= 0) & (first <= 1)).all() and ((first > 0.5) == y_valid).mean() > 0.8
    assert sorted({step for step, _ in logged}) == list(range(12))
    assert {name for _, values in logged for name in values} == {"train_logloss", "valid_logloss"}


def test_regression_uses_rmse(fit):
    _, predictions, logged, y_valid = fit(XGBoostTrainer(), "regression", {"num_boost_round": 30})
    assert {name for _, values in logged for name in values} == {"train_rmse", "valid_rmse"}
    assert np.sqrt(np.mean((predictions - y_valid) ** 2)) < 1.0


def test_ranking_with_query_groups(arrays):
    x, y, xv, _ = arrays("regression")
    relevance = np.clip(np.round(y - 8), 0, 4)
    groups = np.repeat(np.arange(30), 10)[::-1]  # unsorted on purpose: the trainer sorts by group
    model = XGBoostTrainer().fit(x, relevance, xv, np.zeros(len(xv)), task="ranking", hyperparameters={"num_boost_round": 5},
                                 seed=1, log_epoch=lambda *_: None, groups_train=groups)
    assert XGBoostTrainer().predict(model, xv).shape == (len(xv),)


def test_pip_requirements_pin_the_installed_version():
    import xgboost

    assert XGBoostTrainer().pip_requirements() == [f"xgboost=={xgboost.__version__}"]
