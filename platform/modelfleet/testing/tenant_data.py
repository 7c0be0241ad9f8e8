"""Checks of a team's synthetic data generators against the team's own model specs.

Every team ships `<team>.datagen` (one generator per dataset, built on
`modelfleet.synthetic`) and model specs whose validation rules were tuned on
that data. What must hold is the same for every team: generators keep the
common signature and are deterministic, the specs' columns match the frames,
clean data passes every rule, spoiled data breaks them, drift moves the data,
and the labels can be learned. So the checks live here, once, and judge the
data with the platform's own validation (`validate_frame`, what the validation
task runs), not with a second, hand-written rule checker that could disagree.

A team's `tests/test_datagen.py` subclasses `TenantDataTests` and states only
what is its own: which feature each dataset's drift moves, and which column's
`mean_between` rule must catch strong drift. The `assert_*` functions are the
same checks, for a team that wants a test of its own beside them.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from modelfleet.data_interval import start_of_day
from modelfleet.specs import Fleet, ModelSpec, PipelineSpec, load_fleet
from modelfleet.specs.model import ValidationRules
from modelfleet.validation.report import ValidationReport, validate_frame

DataGenerator = Callable[..., pd.DataFrame]

DAY = dt.date(2026, 11, 20)
"""The logical date the checks generate for: fixed, so that every run sees the same frames."""
SIGNATURE = ("logical_date", "rows", "seed", "drift", "bad_rows")
DEFAULTS = (2000, 0, 0.0, 0.0)
"""Every generator's parameters, and the defaults after `logical_date`: the landing task passes only the date and
`rows`, so the rest must default to clean, undrifted data."""
CLEAN_CASES = ((DAY, 2000, 0), (dt.date(2027, 2, 28), 600, 11))
"""(day, rows, seed) of the clean frames that must pass every rule: the default day, and a short month-end day."""

# The rule each check in a ValidationReport enforces, by the start of the check's name
# (pandera's names for its built-in checks, validate_frame's for its own).
_RULE_OF_CHECK = (
    ("column_in_dataframe", "missing_column"),
    ("dtype(", "dtype"),
    ("coerce_dtype(", "dtype"),
    ("datetime dtype", "dtype"),
    ("not_nullable", "null"),
    ("greater_than_or_equal_to(", "min"),
    ("less_than_or_equal_to(", "max"),
    ("isin(", "allowed"),
    ("mean between ", "mean"),
    ("std between ", "std"),
    ("at least ", "min_rows"),
    ("duplicate rows at most ", "duplicates"),
    ("nulls per column at most ", "null_fraction"),
    ("newest ", "freshness"),
)


def broken_rules(report: ValidationReport) -> set[str]:
    """The spec rules a report's violations break: `column:rule` (`amount:min`, `channel:allowed`,
    `amount:mean`), or the rule alone for frame-level rules (`duplicates`, `min_rows`, `null_fraction`,
    `freshness`, `missing_column`). A check not named above is kept as `column:check`, so it still counts."""
    found = set()
    for violation in report.violations:
        column, check = violation["column"], violation["check"]
        rule = next((rule for prefix, rule in _RULE_OF_CHECK if check.startswith(prefix)), None)
        if rule is None:
            found.add(f"{column}:{check}")
        else:
            found.add(rule if column == "(frame)" else f"{column}:{rule}")
    return found


def validate(data: pd.DataFrame, rules: ValidationRules, logical_date: dt.date = DAY) -> ValidationReport:
    """`validate_frame` as the day's run would see the data: freshness is measured at the end of the
    run's data interval, which for a run of `logical_date` (scheduled, `modelfleet run` or a
    backfill) is midnight UTC of that date; never at whatever time the test runs."""
    return validate_frame(data, rules, judged_at=start_of_day(logical_date))


@functools.lru_cache(maxsize=None)
def _generated(generator: DataGenerator, day: dt.date, rows: int, seed: int, drift: float, bad_rows: float) -> pd.DataFrame:
    return generator(day, rows=rows, seed=seed, drift=drift, bad_rows=bad_rows)


def generate(
    generator: DataGenerator, day: dt.date = DAY, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0
) -> pd.DataFrame:
    """A generator's frame, computed once per argument set for the whole test session (a copy each call:
    callers may change it)."""
    return _generated(generator, day, rows, seed, drift, bad_rows).copy()


@dataclass(frozen=True)
class TenantData:
    """A team's specs and generators: its pipelines by model name, and each dataset (generator function)
    with one pipeline that reads it (the last in load order), whose label the learnability check uses."""

    team: str
    datagen: ModuleType
    fleet: Fleet
    pipelines: dict[str, PipelineSpec]
    datasets: dict[str, PipelineSpec]

    def generator(self, dataset: str) -> DataGenerator:
        generator: DataGenerator = getattr(self.datagen, dataset)
        return generator

    def dataset_of(self, model_name: str) -> str:
        return (self.pipelines[model_name].model.data.generator or "").partition(":")[2]

    def frame(self, dataset: str, **kwargs: Any) -> pd.DataFrame:
        return generate(self.generator(dataset), **kwargs)

    def data_for(self, model_name: str, **kwargs: Any) -> pd.DataFrame:
        return self.frame(self.dataset_of(model_name), **kwargs)


@functools.cache
def load_tenant(team: str, datagen: ModuleType, tenants_dir: Path | None = None) -> TenantData:
    """Load one team's specs (from `tenants_dir`, default the fleet's) with its generator module; once per session."""
    fleet = load_fleet(tenants_dir, only_tenant=team)
    pipelines = {p.model.name: p for p in fleet.for_tenant(team)}
    datasets = {p.model.data.generator.partition(":")[2]: p for p in pipelines.values() if p.model.data.generator}
    return TenantData(team, datagen, fleet, pipelines, datasets)


def assert_specs_load(tenant: TenantData) -> None:
    """The team's specs load without problems, and each names one of the team's own generators."""
    fleet = tenant.fleet
    assert not fleet.broken and not fleet.problems, "\n".join(str(p) for p in fleet.all_problems)
    assert tenant.pipelines, f"no pipelines found for {tenant.team}"
    for pipeline in tenant.pipelines.values():
        module, _, function = (pipeline.model.data.generator or "").partition(":")
        assert module == f"{tenant.team}.datagen" and callable(getattr(tenant.datagen, function, None)), pipeline.file


def assert_generator_contract(generator: DataGenerator, day: dt.date = DAY) -> None:
    """The common signature and defaults; the same arguments give an identical frame, another seed or day another."""
    parameters = inspect.signature(generator).parameters
    assert list(parameters) == list(SIGNATURE)
    assert [parameters[p].default for p in SIGNATURE[1:]] == list(DEFAULTS)
    args: dict[str, Any] = {"rows": 300, "seed": 3, "drift": 0.2, "bad_rows": 0.05}
    first = generator(day, **args)
    pd.testing.assert_frame_equal(first, generator(day, **args))
    assert len(first) == 300
    assert not first.equals(generator(day, **{**args, "seed": 4}))
    assert not first.equals(generator(day + dt.timedelta(days=1), **args))


def assert_timestamps_within_day(stamps: pd.Series, day: dt.date = DAY) -> None:
    """Timezone-aware UTC instants, all inside the logical date's day."""
    assert str(stamps.dt.tz) == "UTC"
    start = pd.Timestamp(day, tz="UTC")
    assert stamps.min() >= start and stamps.max() < start + pd.Timedelta(days=1)


def assert_columns_match_spec(model: ModelSpec, data: pd.DataFrame) -> None:
    """The spec's validation columns are the frame's, in order; its keys, label, timestamp and freshness column
    exist; a partitioned pipeline's partitions are exactly the key's values, each with 100 rows or more."""
    assert [rule.name for rule in model.validation.columns] == list(data.columns)
    assert {*model.features.join_keys, model.features.label, model.features.timestamp_column} <= set(data.columns)
    assert model.validation.freshness_column in data.columns
    if model.partitions:
        assert set(data[model.partitions.key]) == set(model.partitions.values)
        assert data[model.partitions.key].value_counts().min() >= 100


def assert_passes_every_rule(data: pd.DataFrame, rules: ValidationRules, day: dt.date = DAY) -> None:
    """Clean data breaks no rule at all."""
    report = validate(data, rules, day)
    assert broken_rules(report) == set(), report.summary()


def assert_bad_rows_break_rules(data: pd.DataFrame, rules: ValidationRules, day: dt.date = DAY) -> None:
    """Spoiled data (`bad_rows` > 0) breaks a non-nullable column's null rule, a range or category rule,
    and the duplicates rule: the kinds of damage the generators' `bad_rows` does."""
    found = broken_rules(validate(data, rules, day))
    non_nullable = {r.name for r in rules.columns if not r.nullable}
    assert any(v.endswith(":null") and v.rpartition(":")[0] in non_nullable for v in found), found
    assert any(v.endswith((":min", ":max", ":allowed")) for v in found), found
    assert "duplicates" in found


def assert_drift_moves_mean(calm: pd.Series, drifted: pd.Series) -> None:
    """Full drift moves a feature's mean by more than a quarter of its calm standard deviation."""
    assert abs(drifted.mean() - calm.mean()) > 0.25 * calm.std(), (calm.mean(), drifted.mean())


def assert_strong_drift_trips_mean_rule(
    mild: pd.DataFrame, strong: pd.DataFrame, rules: ValidationRules, column: str, day: dt.date = DAY
) -> None:
    """Mild drift (0.3) breaks no rule; strong drift (1.0) breaks `column`'s `mean_between` rule."""
    report = validate(mild, rules, day)
    assert broken_rules(report) == set(), report.summary()
    assert f"{column}:mean" in broken_rules(validate(strong, rules, day))


def _design(data: pd.DataFrame, model: ModelSpec) -> np.ndarray:
    drop = [*model.features.join_keys, model.features.timestamp_column, model.features.label]
    features = pd.get_dummies(data.drop(columns=drop), dtype=float).astype(float).fillna(0.0)
    design: np.ndarray = ((features - features.mean()) / (features.std() + 1e-9)).to_numpy()
    return design


def assert_label_learnable(data: pd.DataFrame, model: ModelSpec) -> None:
    """A linear model on a hold-out (every fifth group / entity) beats the trivial baseline by a clear margin:
    AUC above 0.75 (classification), NDCG 0.1 above random order (ranking), half the baseline's squared error
    (regression, forecasting)."""
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import ndcg_score, roc_auc_score

    x, y = _design(data, model), data[model.features.label].to_numpy()
    group = data[model.features.join_keys[0]].to_numpy()
    train = np.isin(group, np.unique(group)[::5], invert=True)
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


class TenantDataTests:
    """Every check above, parametrized over a team's datasets and pipelines: subclass it as `Test<Team>Data`
    in `tenants/<team>/tests/test_datagen.py` and set the class attributes.

    Test arguments: `dataset` (each generator the specs name), `model_name` (each pipeline), `clean_case`
    (CLEAN_CASES), `alarmed_model` (each pipeline reading a dataset in `drift_alarms`).
    """

    team: ClassVar[str]
    datagen: ClassVar[ModuleType]
    drifting: ClassVar[Mapping[str, str]]
    """Per dataset, a feature whose mean `drift` must move."""
    drift_alarms: ClassVar[Mapping[str, str]] = {}
    """Per dataset, a column whose `mean_between` rule must catch strong drift (drift=1)."""
    tenants_dir: ClassVar[Path | None] = None
    """Where the team's folder is; the fleet's tenants folder by default."""

    @classmethod
    def tenant(cls) -> TenantData:
        return load_tenant(cls.team, cls.datagen, cls.tenants_dir)

    @classmethod
    def cases(cls, argument: str) -> list[Any]:
        """The values a test argument is parametrized with: the team's names, and the clean cases with readable ids."""
        tenant = cls.tenant()
        cases: dict[str, list[Any]] = {
            "dataset": sorted(tenant.datasets),
            "model_name": sorted(tenant.pipelines),
            "clean_case": [pytest.param(case, id=f"{case[0]}-{case[1]}rows-seed{case[2]}") for case in CLEAN_CASES],
            "alarmed_model": sorted(n for n in tenant.pipelines if tenant.dataset_of(n) in cls.drift_alarms),
        }
        return cases[argument]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        for argument in ("dataset", "model_name", "clean_case", "alarmed_model"):
            if argument in metafunc.fixturenames:
                metafunc.parametrize(argument, self.cases(argument))

    def test_specs_load_without_problems(self) -> None:
        assert_specs_load(self.tenant())

    def test_drift_knobs_name_the_teams_datasets(self) -> None:
        datasets = set(self.tenant().datasets)
        assert set(self.drifting) == datasets, "drifting: name one feature per dataset"
        assert set(self.drift_alarms) <= datasets, "drift_alarms: name only datasets the specs read"

    def test_generator_signature_and_determinism(self, dataset: str) -> None:
        assert_generator_contract(self.tenant().generator(dataset))

    def test_event_timestamps_are_utc_within_the_day(self, dataset: str) -> None:
        tenant = self.tenant()
        assert_timestamps_within_day(tenant.frame(dataset)[tenant.datasets[dataset].model.features.timestamp_column])

    def test_spec_columns_match_the_generated_frame(self, model_name: str) -> None:
        assert_columns_match_spec(self.tenant().pipelines[model_name].model, self.tenant().data_for(model_name))

    def test_clean_data_passes_every_rule(self, model_name: str, clean_case: tuple[dt.date, int, int]) -> None:
        day, rows, seed = clean_case
        data = self.tenant().data_for(model_name, day=day, rows=rows, seed=seed)
        assert_passes_every_rule(data, self.tenant().pipelines[model_name].model.validation, day)

    def test_bad_rows_break_the_rules(self, model_name: str) -> None:
        assert_bad_rows_break_rules(self.tenant().data_for(model_name, bad_rows=0.08), self.tenant().pipelines[model_name].model.validation)

    def test_drift_moves_feature_distribution(self, dataset: str) -> None:
        column = self.drifting[dataset]
        assert_drift_moves_mean(self.tenant().frame(dataset)[column], self.tenant().frame(dataset, drift=1.0)[column])

    def test_strong_drift_trips_a_mean_rule(self, alarmed_model: str) -> None:
        tenant = self.tenant()
        assert_strong_drift_trips_mean_rule(
            tenant.data_for(alarmed_model, drift=0.3), tenant.data_for(alarmed_model, drift=1.0),
            tenant.pipelines[alarmed_model].model.validation, self.drift_alarms[tenant.dataset_of(alarmed_model)],
        )

    def test_label_is_learnable(self, dataset: str) -> None:
        tenant = self.tenant()
        assert_label_learnable(tenant.frame(dataset), tenant.datasets[dataset].model)
