"""Hold-out metrics by task type; all return floats, direction per `LOWER_IS_BETTER`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def score(metric: str, y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray | None = None) -> float:
    import numpy as np
    from sklearn import metrics as skm

    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if metric == "auc":
        return float(skm.roc_auc_score(y_true, y_pred)) if len(np.unique(y_true)) > 1 else 0.5
    if metric == "f1":
        return float(skm.f1_score(y_true.astype(int), (y_pred >= 0.5).astype(int), zero_division=0))
    if metric == "rmse":
        return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
    if metric == "mae":
        return float(np.mean(np.abs(y_true - y_pred)))
    if metric == "mape":
        return float(np.mean(np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), 1e-9)))
    if metric == "ndcg":
        return _mean_ndcg(y_true, y_pred, groups)
    raise ValueError(f"unknown metric {metric!r}")


def _mean_ndcg(y_true: np.ndarray, y_pred: np.ndarray, groups: np.ndarray | None) -> float:
    import numpy as np
    from sklearn.metrics import ndcg_score

    if groups is None:
        groups = np.zeros(len(y_true))
    values = []
    for group in np.unique(groups):
        mask = groups == group
        if mask.sum() > 1:
            values.append(ndcg_score([y_true[mask]], [y_pred[mask]], k=10))
    return float(np.mean(values)) if values else 0.0


def is_better(metric_lower_is_better: bool, candidate: float, reference: float, margin: float = 0.0) -> bool:
    """True when `candidate` beats `reference` by at least `margin`."""
    return candidate <= reference - margin if metric_lower_is_better else candidate >= reference + margin


def passes_threshold(metric_lower_is_better: bool, value: float, threshold: float) -> bool:
    return value <= threshold if metric_lower_is_better else value >= threshold
