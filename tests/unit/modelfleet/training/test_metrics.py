"""Hold-out metrics and the promotion rules' direction handling."""

from __future__ import annotations

import numpy as np
import pytest

from modelfleet.training.metrics import is_better, passes_threshold, score

Y = np.array([0, 0, 1, 1], dtype=float)


@pytest.mark.parametrize(
    ("metric", "y_true", "y_pred", "expected"),
    [
        pytest.param("auc", Y, np.array([0.1, 0.2, 0.8, 0.9]), 1.0, id="auc-perfect"),
        pytest.param("auc", np.zeros(4), np.array([0.1, 0.2, 0.8, 0.9]), 0.5, id="auc-one-class"),
        pytest.param("f1", Y, np.array([0.1, 0.6, 0.8, 0.4]), 0.5, id="f1"),
        pytest.param("rmse", np.array([1.0, 3.0]), np.array([2.0, 1.0]), np.sqrt(2.5), id="rmse"),
        pytest.param("mae", np.array([1.0, 3.0]), np.array([2.0, 1.0]), 1.5, id="mae"),
        pytest.param("mape", np.array([2.0, 4.0]), np.array([1.0, 5.0]), 0.375, id="mape"),
    ],
)
def test_score(metric, y_true, y_pred, expected):
    assert score(metric, y_true, y_pred) == pytest.approx(expected)


def test_ndcg_per_group_ignores_singletons():
    groups = np.array([1, 1, 1, 2])
    perfect = score("ndcg", np.array([3.0, 2.0, 0.0, 1.0]), np.array([0.9, 0.5, 0.1, 0.3]), groups)
    assert perfect == pytest.approx(1.0)
    assert score("ndcg", np.array([3.0, 2.0, 0.0, 1.0]), np.array([0.1, 0.5, 0.9, 0.3]), groups) < perfect


def test_unknown_metric():
    with pytest.raises(ValueError, match="unknown metric 'r2'"):
        score("r2", Y, Y)


@pytest.mark.parametrize(
    ("lower", "candidate", "reference", "margin", "better"),
    [
        pytest.param(False, 0.81, 0.80, 0.005, True, id="higher-by-margin"),
        pytest.param(False, 0.803, 0.80, 0.005, False, id="higher-within-margin"),
        pytest.param(False, 0.80, 0.80, 0.0, True, id="equal-no-margin"),
        pytest.param(True, 0.9, 1.0, 0.05, True, id="lower-by-margin"),
        pytest.param(True, 0.99, 1.0, 0.05, False, id="lower-within-margin"),
    ],
)
def test_is_better(lower, candidate, reference, margin, better):
    assert is_better(lower, candidate, reference, margin) is better


def test_passes_threshold_both_directions():
    assert passes_threshold(False, 0.8, 0.75) and not passes_threshold(False, 0.7, 0.75)
    assert passes_threshold(True, 0.1, 0.2) and not passes_threshold(True, 0.3, 0.2)
