"""The seeded hold-out split that every candidate and the champion are scored on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

HOLDOUT_FRACTION = 0.2


def holdout_mask(frame: pd.DataFrame, seed: int, group_key: str | None = None, fraction: float = HOLDOUT_FRACTION) -> np.ndarray:
    """True for the hold-out rows: a seeded `fraction` of the rows, or of the groups when `group_key` is given.

    Ranking is judged per query group (NDCG over a user's request, an anchor
    item, a search), so a group must stay whole: scattering its rows between
    training and hold-out leaves each hold-out group a few rows, often none of
    them relevant, and caps even a perfect ranker far below a usable NDCG.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    if group_key is None:
        return rng.random(len(frame)) < fraction
    groups = frame[group_key].to_numpy()
    distinct = np.unique(groups)
    held = distinct[rng.random(len(distinct)) < fraction]
    return np.isin(groups, held)
