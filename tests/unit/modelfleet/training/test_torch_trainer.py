"""TorchTrainer on CPU: per-epoch losses, determinism, probabilities for classification, rescaled regression."""

from __future__ import annotations

import numpy as np

from modelfleet.training.torch_trainer import TorchTrainer

SMALL = {"epochs": 6, "hidden_units": 8}


def test_classification_learns_deterministically_and_logs_every_epoch(fit):
    _, first, logged, y_valid = fit(TorchTrainer(), "classification", SMALL)
    _, second, _, _ = fit(TorchTrainer(), "classification", SMALL)
    np.testing.assert_array_equal(first, second)
    assert ((first >= 0) & (first <= 1)).all() and ((first > 0.5) == y_valid).mean() > 0.8
    assert [step for step, _ in logged] == list(range(6))
    assert all(set(values) == {"train_loss", "valid_loss"} for _, values in logged)


def test_regression_is_rescaled_to_the_target(fit):
    _, predictions, _, y_valid = fit(TorchTrainer(), "regression", {"epochs": 30, "hidden_units": 16, "lr": 0.01})
    assert abs(predictions.mean() - y_valid.mean()) < 1.5


def test_pip_requirements_pin_the_installed_version():
    import torch

    assert TorchTrainer().pip_requirements() == [f"torch=={torch.__version__.split('+')[0]}"]
