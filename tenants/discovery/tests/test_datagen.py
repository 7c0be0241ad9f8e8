"""The discovery team's synthetic data generators against the team's own model specs.

Validation rules are checked here with a small local checker (the platform's
validation task is the authority at run time); the point is that clean data
passes every rule, spoiled data breaks them, and the labels are learnable.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect

import numpy as np
import pandas as pd
import pytest
from modelfleet.specs import load_fleet

from discovery import datagen

TEAM = "discovery"
DAY = dt.date(2026, 11, 20)
SIGNATURE = ["logical_date", "rows", "seed", "drift", "bad_rows"]
DRIFTING = {"feed_impressions": "item_popularity", "item_pairs": "co_view_rate", "search_impressions": "doc_ctr_30d", "ad_impressions": "ad_ctr_7d"}
"""Per dataset, a feature whose mean `drift` must move."""
DRIFT_ALARMS = {"feed_impressions": "item_popularity"}
"""Per dataset, a column whose `mean_between` rule must catch strong drift (drift=1)."""

FLEET = load_fleet(only_tenant=TEAM)
PIPELINES = {p.model.name: p for p in FLEET.for_tenant(TEAM)}
DATASETS = {p.model.data.generator.split(":")[1]: p for p in PIPELINES.values()}
"""Each dataset with one pipeline that reads it (for the label's task)."""


@functools.lru_cache(maxsize=None)
def frame(dataset: str, day: dt.date = DAY, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0) -> pd.DataFrame:
    return getattr(datagen, dataset)(day, rows=rows, seed=seed, drift=drift, bad_rows=bad_rows)


def data_for(name: str, **kwargs: object) -> pd.DataFrame:
    return frame(PIPELINES[name].model.data.generator.split(":")[1], **kwargs).copy()


_DTYPES = {
    "int": pd.api.types.is_integer_dtype,
    "float": pd.api.types.is_float_dtype,
    "str": lambda s: pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s),
    "category": lambda s: isinstance(s.dtype, pd.CategoricalDtype),
    "bool": pd.api.types.is_bool_dtype,
    "datetime": pd.api.types.is_datetime64_any_dtype,
}


def violations(data: pd.DataFrame, rules) -> set[str]:
    """Every rule of a spec's `validation` block that `data` breaks, as `column:rule`."""
    found = set()
    if len(data) < rules.min_rows:
        found.add("min_rows")
    if data.duplicated().mean() > rules.max_duplicate_fraction:
        found.add("duplicates")
    for rule in rules.columns:
        column = data[rule.name]
        values = column.dropna()
        checks = {
            "dtype": not _DTYPES[rule.dtype](column),
            "null": not rule.nullable and column.isna().any(),
            "null_fraction": column.isna().mean() > rules.max_null_fraction,
            "min": rule.min is not None and (values < rule.min).any(),
            "max": rule.max is not None and (values > rule.max).any(),
            "allowed": rule.allowed is not None and not values.isin(rule.allowed).all(),
            "mean": rule.mean_between is not None and not rule.mean_between[0] <= values.mean() <= rule.mean_between[1],
            "std": rule.std_between is not None and not rule.std_between[0] <= values.std() <= rule.std_between[1],
        }
        found |= {f"{rule.name}:{name}" for name, broken in checks.items() if broken}
    return found


def test_specs_load_without_problems() -> None:
    assert not FLEET.broken and not FLEET.problems, "\n".join(str(p) for p in FLEET.all_problems)
    assert PIPELINES, f"no pipelines found for {TEAM}"
    for pipeline in PIPELINES.values():
        module, _, function = pipeline.model.data.generator.partition(":")
        assert module == f"{TEAM}.datagen" and callable(getattr(datagen, function, None)), pipeline.file


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_generator_signature_and_determinism(dataset: str) -> None:
    generator = getattr(datagen, dataset)
    parameters = inspect.signature(generator).parameters
    assert list(parameters) == SIGNATURE
    assert [parameters[p].default for p in SIGNATURE[1:]] == [2000, 0, 0.0, 0.0]
    first = generator(DAY, rows=300, seed=3, drift=0.2, bad_rows=0.05)
    pd.testing.assert_frame_equal(first, generator(DAY, rows=300, seed=3, drift=0.2, bad_rows=0.05))
    assert len(first) == 300
    assert not first.equals(generator(DAY, rows=300, seed=4, drift=0.2, bad_rows=0.05))
    assert not first.equals(generator(DAY + dt.timedelta(days=1), rows=300, seed=3, drift=0.2, bad_rows=0.05))


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_event_timestamps_are_utc_within_the_day(dataset: str) -> None:
    stamps = frame(dataset)["event_timestamp"]
    assert str(stamps.dt.tz) == "UTC"
    start = pd.Timestamp(DAY, tz="UTC")
    assert stamps.min() >= start and stamps.max() < start + pd.Timedelta(days=1)


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_spec_columns_match_the_generated_frame(name: str) -> None:
    model = PIPELINES[name].model
    data = data_for(name)
    assert [rule.name for rule in model.validation.columns] == list(data.columns)
    assert {*model.features.join_keys, model.features.label, model.features.timestamp_column} <= set(data.columns)
    assert model.validation.freshness_column in data.columns
    if model.partitions:
        assert set(data[model.partitions.key]) == set(model.partitions.values)
        assert data[model.partitions.key].value_counts().min() >= 100


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize(("day", "rows", "seed"), [(DAY, 2000, 0), (dt.date(2027, 2, 28), 600, 11)])
def test_clean_data_passes_every_rule(name: str, day: dt.date, rows: int, seed: int) -> None:
    assert violations(data_for(name, day=day, rows=rows, seed=seed), PIPELINES[name].model.validation) == set()


@pytest.mark.parametrize("name", sorted(PIPELINES))
def test_bad_rows_break_the_rules(name: str) -> None:
    rules = PIPELINES[name].model.validation
    found = violations(data_for(name, bad_rows=0.08), rules)
    non_nullable = {r.name for r in rules.columns if not r.nullable}
    assert any(v.endswith(":null") and v.split(":")[0] in non_nullable for v in found), found
    assert any(v.endswith((":min", ":max", ":allowed")) for v in found), found
    assert "duplicates" in found


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_drift_moves_feature_distribution(dataset: str) -> None:
    column = DRIFTING[dataset]
    calm, drifted = frame(dataset)[column], frame(dataset, drift=1.0)[column]
    assert abs(drifted.mean() - calm.mean()) > 0.25 * calm.std(), (calm.mean(), drifted.mean())


@pytest.mark.parametrize("name", sorted(n for n, p in PIPELINES.items() if p.model.data.generator.split(":")[1] in DRIFT_ALARMS))
def test_strong_drift_trips_a_mean_rule(name: str) -> None:
    column = DRIFT_ALARMS[PIPELINES[name].model.data.generator.split(":")[1]]
    rules = PIPELINES[name].model.validation
    assert violations(data_for(name, drift=0.3), rules) == set()
    assert f"{column}:mean" in violations(data_for(name, drift=1.0), rules)


def _design(data: pd.DataFrame, model) -> np.ndarray:
    drop = [*model.features.join_keys, model.features.timestamp_column, model.features.label]
    features = pd.get_dummies(data.drop(columns=drop), dtype=float).astype(float).fillna(0.0)
    return ((features - features.mean()) / (features.std() + 1e-9)).to_numpy()


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_label_is_learnable(dataset: str) -> None:
    """A linear model on a hold-out beats the trivial baseline by a clear margin."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import ndcg_score, roc_auc_score

    model = DATASETS[dataset].model
    data = frame(dataset)
    x, y = _design(data, model), data[model.features.label].to_numpy()
    group = data[model.features.join_keys[0]].to_numpy()
    train = np.isin(group, np.unique(group)[::5], invert=True)  # hold out every fifth group / entity
    if model.task == "classification":
        score = LogisticRegression(max_iter=500).fit(x[train], y[train]).predict_proba(x[~train])[:, 1]
        assert roc_auc_score(y[~train], score) > 0.75
    elif model.task == "ranking":
        score = Ridge().fit(x[train], y[train]).predict(x[~train])
        noise = np.random.default_rng(0).random(len(score))
        held = group[~train]

        def ndcg(s: np.ndarray) -> float:
            return float(np.mean([ndcg_score([y[~train][held == g]], [s[held == g]]) for g in np.unique(held)]))

        assert ndcg(score) > ndcg(noise) + 0.1
    else:
        prediction = Ridge().fit(x[train], y[train]).predict(x[~train])
        baseline = np.mean((y[~train] - y[train].mean()) ** 2)
        assert np.mean((y[~train] - prediction) ** 2) < 0.5 * baseline
