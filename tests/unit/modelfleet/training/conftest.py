"""Small synthetic arrays for the trainers: a linear signal the models must pick up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest


def data(task: str, n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    signal = x[:, 0] - 0.5 * x[:, 1]
    y = (signal + rng.normal(scale=0.3, size=n) > 0).astype(float) if task == "classification" else 10 + 3 * signal
    return x[:300], y[:300], x[300:], y[300:]


@pytest.fixture
def fit() -> Callable[..., Any]:
    """fit(trainer, task, hyperparameters, **kwargs) -> (model, hold-out predictions, logged epochs, hold-out labels)."""

    def run(trainer: Any, task: str, hyperparameters: dict[str, Any], **kwargs: Any) -> Any:
        x, y, xv, yv = data(task)
        logged: list[tuple[int, dict[str, float]]] = []
        model = trainer.fit(x, y, xv, yv, task=task, hyperparameters=hyperparameters, seed=7,
                            log_epoch=lambda step, values: logged.append((step, values)), **kwargs)
        return model, trainer.predict(model, xv), logged, yv

    return run


@pytest.fixture
def arrays() -> Callable[..., Any]:
    return data
