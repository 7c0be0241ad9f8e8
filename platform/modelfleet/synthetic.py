"""Building blocks for the tenants' synthetic data generators (`<team>.datagen`).

Every team generates one day of data per dataset with the same contract
(`f(logical_date, rows, seed, drift, bad_rows) -> DataFrame`, identical frames
for identical arguments). These helpers are that contract's common part, kept
here once so that every team's data is seeded, timestamped and spoiled the
same way, and so that a fix reaches every team.

The numbers they draw are part of each team's specs: the validation rules'
`mean_between`/`std_between` ranges and the evaluation thresholds were tuned
on the frames these helpers produce. Changing what a helper draws, or the
order it draws in, changes every team's data; treat that as a data migration.

numpy and pandas are imported at the top: only generators (at task run time)
and tests import this module, never DAG parsing.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["day_rng", "distinct_ids", "logistic_label", "spoil", "utc_timestamps"]


def day_rng(dataset: str, logical_date: dt.date, seed: int) -> np.random.Generator:
    """One independent random stream per (dataset, day, seed).

    Seeding on the day makes each day's frame different yet reproducible, and
    seeding on the dataset's name keeps two datasets generated for the same day
    unrelated. The name goes in as its CRC-32, not `hash()`: Python salts string
    hashes per process, which would make frames differ between runs. The seed
    is taken modulo 2**32 because numpy's seed sequence refuses negative ints.
    """
    return np.random.default_rng([seed % 2**32, logical_date.toordinal(), zlib.crc32(dataset.encode())])


def utc_timestamps(rng: np.random.Generator, logical_date: dt.date, n: int) -> pd.Series:
    """`n` sorted, timezone-aware UTC instants (whole seconds) within the logical date's day.

    The data for a logical date must lie inside that day: the feature store's
    point-in-time joins and the validation's freshness rule both read these
    instants, and a naive timestamp would be read in whatever zone the worker has.
    """
    seconds = np.sort(rng.integers(0, 86_400, n))
    return pd.Series(pd.Timestamp(logical_date, tz="UTC") + pd.to_timedelta(seconds, unit="s"))


def distinct_ids(rng: np.random.Generator, n: int, start: int) -> np.ndarray:
    """`n` distinct int64 entity ids, drawn sparsely from `start` up: one event per entity per day.

    Distinct ids keep clean data free of duplicate rows (specs allow none) and
    give the feature store one row per entity key; `start` keeps each kind of
    entity in its own id range and above the specs' `min: 1`.
    """
    return rng.choice(50 * max(n, 1000), n, replace=False).astype("int64") + start


def logistic_label(rng: np.random.Generator, score: np.ndarray, base_rate: float, strength: float = 2.5) -> np.ndarray:
    """0/1 labels drawn from a logistic model of a risk `score`, with a positive rate near `base_rate`.

    The score is standardised, so `strength` is the log-odds per standard
    deviation whatever the score's units, and `base_rate` sets the intercept:
    a team writes the score from its features and gets a label that is
    learnable (the tests check it) but noisy, as real outcomes are.
    """
    z = (score - score.mean()) / (score.std() or 1.0)
    p: np.ndarray = 1.0 / (1.0 + np.exp(-(np.log(base_rate / (1 - base_rate)) + strength * z)))
    return (rng.random(len(score)) < p).astype("int64")


def spoil(
    frame: pd.DataFrame,
    rng: np.random.Generator,
    fraction: float,
    nulls: Sequence[str],
    out_of_range: Mapping[str, object],
    unknown: Mapping[str, object],
) -> pd.DataFrame:
    """Spoil `fraction` of the rows (the generators' `bad_rows`) so that a spec's validation rules must fire.

    A quarter of the chosen rows each get a null (in a column of `nulls`), an
    out-of-range value (`out_of_range`: column -> value), an unknown category
    (`unknown`: column -> value), or become a copy of a clean row (a duplicate
    event); the columns take turns within each quarter. This is how the teams
    test that their rules catch bad data, and how the platform's quality gate
    is exercised end to end. A fraction of 0 returns `frame` itself, untouched.
    """
    count = int(round(len(frame) * min(max(fraction, 0.0), 1.0)))
    if count == 0:
        return frame
    frame = frame.copy()
    bad = rng.permutation(len(frame))[:count]
    kinds = np.array_split(bad, 4)
    for rows, changes in ((kinds[0], {c: None for c in nulls}), (kinds[1], out_of_range), (kinds[2], unknown)):
        items = list(changes.items())
        for i, row in enumerate(rows):
            column, value = items[i % len(items)]
            frame.iloc[row, frame.columns.get_loc(column)] = value
    clean = np.setdiff1d(np.arange(len(frame)), bad)
    source = rng.choice(clean if len(clean) else np.arange(len(frame)), len(kinds[3]))
    for j, column in enumerate(frame.columns):
        frame.iloc[kinds[3], j] = frame[column].array[source]
    return frame
