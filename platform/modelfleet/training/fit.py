"""Fit one candidate on a training set and score it on the seeded hold-out: the one code path of training.

The train task and `modelfleet reproduce` both call `fit_candidate`, so a
reproduction runs exactly what the task ran, given the same spec and rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelfleet.training.base import EpochLogger, Trainer, get_trainer
from modelfleet.training.encoding import FeatureEncoder

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from modelfleet.specs.model import ModelSpec


@dataclass
class FittedCandidate:
    """A trained candidate and what it was trained and judged on."""

    framework: str
    hyperparameters: dict[str, Any]
    trainer: Trainer
    encoder: FeatureEncoder
    model: Any
    train: pd.DataFrame
    holdout: pd.DataFrame
    holdout_predictions: np.ndarray
    metric_name: str
    metric: float


def candidate_config(spec: ModelSpec, candidate: str) -> tuple[str, dict[str, Any]]:
    """The framework and hyperparameters of `main` (the spec's training block) or of a named challenger."""
    for entry in spec.candidates:
        if entry.name == candidate:
            return entry.framework, dict(entry.hyperparameters)
    if candidate != "main":
        raise ValueError(f"{spec.name} has no candidate {candidate!r} (candidates: main, {', '.join(c.name for c in spec.candidates)})")
    return spec.framework, dict(spec.training.hyperparameters)


def _no_epoch_log(step: int, values: dict[str, float]) -> None:
    """Default epoch logger: reproduction needs the metric, not the curve."""


def fit_candidate(
    spec: ModelSpec,
    frame: pd.DataFrame,
    *,
    candidate: str = "main",
    partition: str | None = None,
    log_epoch: EpochLogger = _no_epoch_log,
) -> FittedCandidate:
    """Select the partition's rows, split by the spec's seed (whole query groups for ranking), fit, score."""
    from modelfleet.training.metrics import score
    from modelfleet.training.split import holdout_mask

    framework, hyperparameters = candidate_config(spec, candidate)
    if partition and spec.partitions:
        frame = frame[frame[spec.partitions.key].astype(str) == str(partition)].reset_index(drop=True)
    group_key = spec.features.join_keys[0] if spec.task == "ranking" else None
    held = holdout_mask(frame, spec.training.seed, group_key)
    train, holdout = frame[~held], frame[held]

    encoder = FeatureEncoder.from_spec(spec)
    label = spec.features.label
    x_train, y_train = encoder.transform(train), train[label].to_numpy(dtype=float)
    x_hold, y_hold = encoder.transform(holdout), holdout[label].to_numpy(dtype=float)
    trainer = get_trainer(framework)
    model = trainer.fit(
        x_train, y_train, x_hold, y_hold, task=spec.task, hyperparameters=hyperparameters,
        seed=spec.training.seed, log_epoch=log_epoch,
        groups_train=train[group_key].to_numpy() if group_key else None,
    )
    predictions = trainer.predict(model, x_hold)
    groups = holdout[group_key].to_numpy() if group_key else None
    value = score(spec.evaluation.metric, y_hold, predictions, groups)
    return FittedCandidate(framework, hyperparameters, trainer, encoder, model, train, holdout, predictions,
                           spec.evaluation.metric, value)
