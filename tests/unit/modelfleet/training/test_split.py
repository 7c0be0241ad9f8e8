"""The hold-out split: seeded, about a fifth, and whole query groups for ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelfleet.training.metrics import score
from modelfleet.training.split import holdout_mask


def _ranking_frame(groups: int = 100, size: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    signal = rng.normal(0, 1, groups * size)
    relevance = np.digitize(signal + rng.normal(0, 0.6, len(signal)), [0.4, 1.0, 1.6])
    return pd.DataFrame({"user_id": np.repeat(np.arange(groups), size), "signal": signal, "relevance": relevance})


def test_ranking_groups_stay_whole() -> None:
    frame = _ranking_frame()
    held = holdout_mask(frame, seed=42, group_key="user_id")
    in_holdout = set(frame.user_id[held])
    assert in_holdout and not in_holdout & set(frame.user_id[~held])
    assert 0.1 < held.mean() < 0.3


def test_row_split_without_groups_is_seeded() -> None:
    frame = _ranking_frame()
    first = holdout_mask(frame, seed=7)
    assert (first == holdout_mask(frame, seed=7)).all()
    assert not (first == holdout_mask(frame, seed=8)).all()
    assert 0.15 < first.mean() < 0.25
    assert len(set(frame.user_id[first]) & set(frame.user_id[~first])) > 50  # rows of one group on both sides


def test_a_perfect_ranker_scores_high_only_on_whole_groups() -> None:
    # The bug this guards against: a row split left hold-out groups of ~4 rows, so
    # even ranking by the true signal scored an NDCG of about 0.7.
    frame = _ranking_frame()

    def ndcg_of_ranking_by_signal(group_key: str | None) -> float:
        held = frame[holdout_mask(frame, seed=42, group_key=group_key)]
        return score("ndcg", held.relevance.to_numpy(), held.signal.to_numpy(), held.user_id.to_numpy())

    assert ndcg_of_ranking_by_signal("user_id") > 0.85
    assert ndcg_of_ranking_by_signal("user_id") > ndcg_of_ranking_by_signal(None) + 0.05
