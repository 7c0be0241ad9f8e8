"""modelfleet.synthetic: the generators' shared building blocks, and the numbers they draw (the specs were tuned on them)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps

DAY = dt.date(2026, 11, 20)


def test_day_rng_draws_the_numbers_the_specs_were_tuned_on():
    """Pinned values: if these change, every team's generated data (and its tuned spec ranges) changes."""
    rng = day_rng("card_transactions", DAY, 0)
    assert rng.integers(0, 10**9, 3).tolist() == [698902001, 409731847, 400627566]
    rng = day_rng("card_transactions", DAY, 0)
    assert distinct_ids(rng, 5, 100).tolist() == [20130, 20585, 35043, 18284, 10523]
    assert [str(t) for t in utc_timestamps(rng, DAY, 3)] == [
        "2026-11-20 00:51:52+00:00", "2026-11-20 08:09:39+00:00", "2026-11-20 17:29:57+00:00"]
    assert logistic_label(rng, np.arange(8.0), 0.3).tolist() == [0, 0, 0, 1, 1, 1, 1, 1]


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("login_events", DAY, 0), id="dataset"),
        pytest.param(("card_transactions", DAY + dt.timedelta(days=1), 0), id="day"),
        pytest.param(("card_transactions", DAY, 1), id="seed"),
    ],
)
def test_day_rng_is_one_stream_per_dataset_day_and_seed(other):
    first = day_rng("card_transactions", DAY, 0).random(8)
    assert np.array_equal(first, day_rng("card_transactions", DAY, 0).random(8))
    assert not np.array_equal(first, day_rng(*other).random(8))


def test_day_rng_takes_negative_and_huge_seeds_modulo_2_32():
    assert np.array_equal(day_rng("x", DAY, -1).random(4), day_rng("x", DAY, 2**32 - 1).random(4))
    assert np.array_equal(day_rng("x", DAY, 2**32 + 7).random(4), day_rng("x", DAY, 7).random(4))


def test_utc_timestamps_are_sorted_whole_seconds_within_the_day():
    stamps = utc_timestamps(np.random.default_rng(0), DAY, 5000)
    assert len(stamps) == 5000 and str(stamps.dt.tz) == "UTC"
    assert stamps.is_monotonic_increasing and (stamps.dt.microsecond == 0).all()
    start = pd.Timestamp(DAY, tz="UTC")
    assert stamps.min() >= start and stamps.max() < start + pd.Timedelta(days=1)


@pytest.mark.parametrize("n", [0, 1, 999, 5000], ids=lambda n: f"n={n}")
def test_distinct_ids_are_distinct_int64_from_start(n):
    ids = distinct_ids(np.random.default_rng(0), n, 1_000)
    assert len(ids) == n and ids.dtype == np.int64 and len(set(ids.tolist())) == n
    assert (ids >= 1_000).all() and (ids < 1_000 + 50 * max(n, 1000)).all()


def test_logistic_label_is_0_1_near_the_base_rate_and_follows_the_score():
    rng = np.random.default_rng(0)
    score = rng.normal(0, 3, 40_000)
    labels = logistic_label(rng, score, 0.1)
    assert labels.dtype == np.int64 and set(np.unique(labels).tolist()) == {0, 1}
    assert 0.1 < labels.mean() < 0.3  # the logistic's convexity lifts the rate above the intercept's 10%
    assert labels[score > 3].mean() > 0.5
    assert labels[score < -3].mean() < 0.02
    flat = logistic_label(rng, score, 0.1, strength=0.0)
    assert abs(flat.mean() - 0.1) < 0.01


def test_logistic_label_of_a_constant_score_is_the_base_rate():
    labels = logistic_label(np.random.default_rng(0), np.full(20_000, 7.0), 0.2)  # std 0: no division by zero
    assert abs(labels.mean() - 0.2) < 0.01


def clean_frame(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype="int64"),
        "amount": np.linspace(1.0, 2.0, n),
        "channel": ["web"] * n,
        "region": ["eu"] * n,
    })


def spoiled(fraction: float, n: int = 40) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = clean_frame(n)
    return frame, spoil(frame, np.random.default_rng(1), fraction,
                        nulls=["amount"], out_of_range={"amount": -5.0}, unknown={"channel": "fax", "region": "mars"})


def test_spoil_nothing_returns_the_frame_itself():
    frame, result = spoiled(0.0)
    assert result is frame
    frame, result = spoiled(0.01)  # rounds to no rows
    assert result is frame


def test_spoil_breaks_a_quarter_of_the_chosen_rows_each_way():
    frame, result = spoiled(0.4)  # 16 rows: 4 nulls, 4 out of range, 4 unknown, 4 duplicates
    pd.testing.assert_frame_equal(frame, clean_frame())  # the input is not modified
    assert result["amount"].isna().sum() == 4
    assert (result["amount"] < 0).sum() == 4
    assert (result["channel"] == "fax").sum() == 2 and (result["region"] == "mars").sum() == 2  # columns take turns
    assert result.duplicated().sum() == 4
    assert (result != frame).any(axis=1).sum() == 16  # and no other row changed


def test_spoil_duplicates_copy_clean_rows():
    _, result = spoiled(0.4)
    copies = result[result.duplicated(keep=False)]
    assert copies["amount"].notna().all() and (copies["amount"] >= 0).all()
    assert copies["channel"].eq("web").all() and copies["region"].eq("eu").all()


@pytest.mark.parametrize("fraction", [1.0, 3.0], ids=["all", "clipped"])
def test_spoil_every_row(fraction):
    _, result = spoiled(fraction, n=8)  # no clean row left to copy: duplicates copy any row
    assert len(result) == 8
    assert result["amount"].isna().sum() >= 2 and (result["amount"] < 0).sum() >= 2  # a copy may repeat a spoiled row
