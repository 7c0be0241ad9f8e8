"""The trainer interface and the registry that finds a framework's trainer by name."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

EpochLogger = Callable[[int, dict[str, float]], None]

TRAINERS: dict[str, str] = {
    "xgboost": "modelfleet.training.xgboost_trainer:XGBoostTrainer",
    "torch": "modelfleet.training.torch_trainer:TorchTrainer",
}
"""Short names -> import strings, so nothing heavy loads until a task trains (a full dotted path works too)."""


class Trainer(Protocol):
    def fit(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        *,
        task: str,
        hyperparameters: dict[str, Any],
        seed: int,
        log_epoch: EpochLogger,
        groups_train: np.ndarray | None = None,
    ) -> Any: ...

    def predict(self, model: Any, x: np.ndarray) -> np.ndarray: ...

    def pip_requirements(self) -> list[str]: ...


def import_string(target: str) -> Any:
    """`package.module:attr` (or `package.module.attr`) -> the object, naming what failed."""
    module_name, sep, attr = target.partition(":")
    if not sep:
        module_name, _, attr = target.rpartition(".")
    try:
        module = import_module(module_name)
    except ImportError as exc:
        raise ImportError(f"cannot import {module_name!r} for {target!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise ImportError(f"{module_name!r} has no attribute {attr!r} (from {target!r})") from exc


def get_trainer(framework: str) -> Trainer:
    return import_string(TRAINERS.get(framework, framework))()
