"""Drift of one dataset against a reference: PSI per column, plus a two-sample KS test for numeric columns.

PSI (population stability index) is computed by hand on binned counts:
deciles of the reference for numbers, the categories for categorical
columns; an empty bin counts as EPSILON so the log stays finite. KS is
scipy's `ks_2samp`. A numeric column drifts when PSI >= psi_threshold and the
KS p-value < ks_pvalue: large enough to matter and unlikely to be chance (KS
alone flags trivial shifts on large samples; PSI alone, noise on small ones).
A categorical column drifts on PSI alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from modelfleet.specs.tenant import DriftThresholds

PREDICTIONS = "__predictions__"
"""The column name drift results use for the champion's output."""

BINS = 10
EPSILON = 1e-4


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    psi: float
    ks_pvalue: float | None
    drifted: bool


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """PSI of two bin-count vectors: sum over bins of (a - e) * ln(a / e), on proportions."""
    import numpy as np

    e = np.maximum(expected / max(expected.sum(), 1), EPSILON)
    a = np.maximum(actual / max(actual.sum(), 1), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_drift(name: str, reference: np.ndarray, current: np.ndarray, thresholds: DriftThresholds) -> ColumnDrift:
    import numpy as np
    from scipy.stats import ks_2samp

    reference, current = reference[~np.isnan(reference)], current[~np.isnan(current)]
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, BINS + 1)[1:-1]))
    value = psi(np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1),
                np.bincount(np.searchsorted(edges, current, side="right"), minlength=len(edges) + 1))
    pvalue = float(ks_2samp(reference, current).pvalue)
    return ColumnDrift(name, value, pvalue, value >= thresholds.psi_threshold and pvalue < thresholds.ks_pvalue)


def categorical_drift(name: str, reference: pd.Series, current: pd.Series, thresholds: DriftThresholds) -> ColumnDrift:
    import numpy as np

    categories = sorted(set(reference.dropna().astype(str)) | set(current.dropna().astype(str)))
    ref_counts = reference.dropna().astype(str).value_counts()
    cur_counts = current.dropna().astype(str).value_counts()
    value = psi(np.array([ref_counts.get(c, 0) for c in categories], dtype=float),
                np.array([cur_counts.get(c, 0) for c in categories], dtype=float))
    return ColumnDrift(name, value, None, value >= thresholds.psi_threshold)


def frame_drift(reference: pd.DataFrame, current: pd.DataFrame, numeric: Sequence[str], categorical: Sequence[str],
                thresholds: DriftThresholds) -> list[ColumnDrift]:
    """Every listed column of `current` against the same column of `reference`."""
    results = [numeric_drift(c, reference[c].to_numpy(dtype=float), current[c].to_numpy(dtype=float), thresholds) for c in numeric]
    results += [categorical_drift(c, reference[c], current[c], thresholds) for c in categorical]
    return results


def prediction_drift(reference: np.ndarray, current: np.ndarray, thresholds: DriftThresholds) -> ColumnDrift:
    """The champion's outputs on the two datasets, compared like a numeric feature."""
    import numpy as np

    return numeric_drift(PREDICTIONS, np.asarray(reference, dtype=float).ravel(), np.asarray(current, dtype=float).ravel(), thresholds)
