"""modelfleet.testing.tenant_data: the checks every team's generator tests run, tried on a small made-up team.

Each check must pass on a generator that keeps the contract and fail on one
that breaks it in the way the check is about.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelfleet.specs.model import ValidationRules
from modelfleet.synthetic import day_rng, distinct_ids, logistic_label, spoil, utc_timestamps
from modelfleet.testing.tenant_data import (
    CLEAN_CASES,
    DAY,
    TenantDataTests,
    assert_bad_rows_break_rules,
    assert_columns_match_spec,
    assert_drift_moves_mean,
    assert_generator_contract,
    assert_label_learnable,
    assert_passes_every_rule,
    assert_specs_load,
    assert_strong_drift_trips_mean_rule,
    assert_timestamps_within_day,
    broken_rules,
    load_tenant,
    validate,
)

from ..conftest import MODEL, TENANT, write_tenant

COLUMNS = [
    {"name": "card_id", "dtype": "int", "nullable": False, "min": 1},
    {"name": "event_timestamp", "dtype": "datetime", "nullable": False},
    {"name": "amount", "dtype": "float", "nullable": False, "min": 0, "max": 1000, "mean_between": [20, 70]},
    {"name": "channel", "dtype": "str", "nullable": False, "allowed": ["web", "pos"]},
    {"name": "is_fraud", "dtype": "int", "nullable": False, "allowed": [0, 1]},
]
VALIDATION = {"columns": COLUMNS, "min_rows": 100, "freshness_column": "event_timestamp", "max_staleness": "1d"}
RULES = ValidationRules.model_validate(VALIDATION)


def tx(logical_date: dt.date, rows: int = 2000, seed: int = 0, drift: float = 0.0, bad_rows: float = 0.0) -> pd.DataFrame:
    """A made-up team's generator that keeps the contract: drift raises the mean amount (40, x3 at drift=1)."""
    rng = day_rng("tx", logical_date, seed)
    amount = np.round(rng.gamma(2.0, 20.0 * (1 + 2 * drift), rows), 2)
    channel = rng.choice(["web", "pos"], rows)
    frame = pd.DataFrame({
        "card_id": distinct_ids(rng, rows, 1),
        "event_timestamp": utc_timestamps(rng, logical_date, rows),
        "amount": amount,
        "channel": channel,
        "is_fraud": logistic_label(rng, np.log(amount) + (channel == "web"), 0.1),
    })
    return spoil(frame, rng, bad_rows, nulls=["amount"], out_of_range={"amount": -1.0}, unknown={"channel": "fax"})


DATAGEN = types.ModuleType("acme.datagen")
DATAGEN.tx = tx  # type: ignore[attr-defined]


@pytest.fixture
def tenants_dir(tmp_path: Path) -> Path:
    """Team acme: pipelines fraud and churn, both reading acme.datagen:tx."""
    fraud = {**MODEL, "validation": VALIDATION}
    write_tenant(tmp_path / "tenants", TENANT, {"fraud": fraud, "churn": {**fraud, "name": "churn"}})
    return tmp_path / "tenants"


def failing(check: Callable[..., None], *args: Any) -> str:
    with pytest.raises(AssertionError) as raised:
        check(*args)
    return str(raised.value)


# --- broken_rules and validate: the platform's validation, read as the spec's rules ---


@pytest.mark.filterwarnings("ignore:The behavior of DataFrame concatenation:FutureWarning")  # inside pandera
def test_broken_rules_names_the_rule_behind_every_kind_of_violation():
    rules = ValidationRules.model_validate({
        "min_rows": 10, "max_null_fraction": 0.2, "freshness_column": "ts", "max_staleness": "1d",
        "columns": [
            {"name": "ts", "dtype": "datetime", "nullable": False},
            {"name": "n", "dtype": "int", "nullable": False, "min": 0, "max": 5},
            {"name": "x", "dtype": "float", "nullable": True, "mean_between": [0, 1], "std_between": [0, 0.1]},
            {"name": "c", "dtype": "str", "nullable": False, "allowed": ["a"]},
            {"name": "flag", "dtype": "bool"},
            {"name": "gone", "dtype": "int"},
        ],
    })
    data = pd.DataFrame({
        "ts": pd.Series([pd.Timestamp(DAY, tz="UTC")] * 4 + [None]),
        "n": [-1, 9, 1, 1, 1],
        "x": [5.0, None, None, 9.0, 9.0],
        "c": ["a", "b", "a", "a", "a"],
        "flag": ["yes", "no", "yes", "no", "yes"],
    })
    data = pd.concat([data, data.tail(1)], ignore_index=True)
    found = broken_rules(validate(data, rules, DAY + dt.timedelta(days=3)))
    assert found == {
        "ts:null", "n:min", "n:max", "x:mean", "x:std", "c:allowed", "flag:dtype",
        "missing_column", "min_rows", "duplicates", "null_fraction", "freshness",
    }


def test_validate_measures_freshness_at_the_data_interval_end_of_the_logical_date():
    data = tx(DAY, rows=300)
    assert "freshness" not in broken_rules(validate(data, RULES, DAY))  # whenever the test runs
    assert "freshness" in broken_rules(validate(data, RULES, DAY + dt.timedelta(days=2)))


# --- the assert_* checks, each passing on the contract and failing where it is broken ---


def test_load_tenant_finds_pipelines_and_datasets(tenants_dir):
    tenant = load_tenant("acme", DATAGEN, tenants_dir)
    assert sorted(tenant.pipelines) == ["churn", "fraud"] and list(tenant.datasets) == ["tx"]
    assert tenant.dataset_of("fraud") == "tx" and tenant.generator("tx") is tx
    pd.testing.assert_frame_equal(tenant.data_for("churn", rows=200), tx(DAY, rows=200))
    assert_specs_load(tenant)


def test_specs_must_name_the_teams_own_generators(tenants_dir):
    assert "fraud.yaml" in failing(assert_specs_load, load_tenant("acme", types.ModuleType("acme.datagen"), tenants_dir))


def test_generator_contract():
    assert_generator_contract(tx)

    def no_defaults(logical_date, rows, seed, drift, bad_rows):  # noqa: ANN001, ANN202
        return tx(logical_date, rows, seed, drift, bad_rows)

    def unseeded(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0):  # noqa: ANN001, ANN202
        return tx(logical_date, rows, int(np.random.default_rng().integers(1 << 30)), drift, bad_rows)

    def same_every_day(logical_date, rows=2000, seed=0, drift=0.0, bad_rows=0.0):  # noqa: ANN001, ANN202
        return tx(DAY, rows, seed, drift, bad_rows)

    for broken in (no_defaults, unseeded, same_every_day):
        with pytest.raises(AssertionError):
            assert_generator_contract(broken)


def test_timestamps_within_the_day():
    assert_timestamps_within_day(tx(DAY)["event_timestamp"])
    failing(assert_timestamps_within_day, tx(DAY)["event_timestamp"].dt.tz_localize(None))
    failing(assert_timestamps_within_day, tx(DAY + dt.timedelta(days=1))["event_timestamp"])


def test_columns_match_spec(tenants_dir):
    model = load_tenant("acme", DATAGEN, tenants_dir).pipelines["fraud"].model
    assert_columns_match_spec(model, tx(DAY))
    failing(assert_columns_match_spec, model, tx(DAY)[["amount", "card_id", "event_timestamp", "channel", "is_fraud"]])


def test_clean_data_passes_and_the_failure_shows_the_report():
    assert_passes_every_rule(tx(DAY), RULES)
    assert "FAILED" in failing(assert_passes_every_rule, tx(DAY, bad_rows=0.05), RULES)


def test_bad_rows_must_break_null_range_and_duplicate_rules():
    assert_bad_rows_break_rules(tx(DAY, bad_rows=0.08), RULES)
    failing(assert_bad_rows_break_rules, tx(DAY), RULES)
    without_duplicates = tx(DAY, bad_rows=0.08).drop_duplicates()
    failing(assert_bad_rows_break_rules, without_duplicates, RULES)


def test_drift_must_move_the_mean():
    assert_drift_moves_mean(tx(DAY)["amount"], tx(DAY, drift=1.0)["amount"])
    failing(assert_drift_moves_mean, tx(DAY)["amount"], tx(DAY, seed=1)["amount"])


def test_strong_drift_must_trip_the_mean_rule():
    assert_strong_drift_trips_mean_rule(tx(DAY, drift=0.3), tx(DAY, drift=1.0), RULES, "amount")
    failing(assert_strong_drift_trips_mean_rule, tx(DAY, drift=0.3), tx(DAY, drift=0.3), RULES, "amount")
    failing(assert_strong_drift_trips_mean_rule, tx(DAY, drift=1.0), tx(DAY, drift=1.0), RULES, "amount")


def ranking_frame(learnable: bool) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 2000
    feature = rng.normal(0, 1, n)
    latent = feature + rng.normal(0, 0.5, n) if learnable else rng.normal(0, 1, n)
    return pd.DataFrame({
        "card_id": np.repeat(np.arange(1, n // 10 + 1), 10),
        "event_timestamp": pd.Timestamp(DAY, tz="UTC"),
        "feature": feature,
        "is_fraud": np.digitize(latent, np.quantile(latent, [0.65, 0.85, 0.95])),
    })


@pytest.mark.parametrize("task", ["classification", "regression", "ranking"])
def test_label_must_be_learnable(tenants_dir, task):
    model = load_tenant("acme", DATAGEN, tenants_dir).pipelines["fraud"].model.model_copy(update={"task": task})
    if task == "ranking":
        learnable, noise = ranking_frame(True), ranking_frame(False)
    else:
        learnable = tx(DAY)
        if task == "regression":
            learnable["is_fraud"] = 3 * learnable["amount"] + np.random.default_rng(0).normal(0, 10, len(learnable))
        noise = learnable.assign(is_fraud=np.random.default_rng(1).permutation(learnable["is_fraud"].to_numpy()))
    assert_label_learnable(learnable, model)
    failing(assert_label_learnable, noise, model)


# --- TenantDataTests: what a team's test class is parametrized with, and its tests on the made-up team ---


def acme_tests(tenants_dir: Path, **knobs: Any) -> type[TenantDataTests]:
    attributes = {"team": "acme", "datagen": DATAGEN, "tenants_dir": tenants_dir, "drifting": {"tx": "amount"}, **knobs}
    return type("AcmeData", (TenantDataTests,), attributes)


def test_cases_come_from_the_teams_specs_and_knobs(tenants_dir):
    tests = acme_tests(tenants_dir, drift_alarms={"tx": "amount"})
    assert tests.cases("dataset") == ["tx"]
    assert tests.cases("model_name") == tests.cases("alarmed_model") == ["churn", "fraud"]
    assert [p.values[0] for p in tests.cases("clean_case")] == list(CLEAN_CASES)
    assert acme_tests(tenants_dir).cases("alarmed_model") == []


def test_every_test_of_the_class_passes_on_a_team_that_keeps_the_contract(tenants_dir):
    tests = acme_tests(tenants_dir, drift_alarms={"tx": "amount"})()
    names = [name for name in dir(tests) if name.startswith("test_")]
    assert len(names) == 10
    for name in names:
        method = getattr(tests, name)
        cases = [[getattr(c, "values", [c])[0] for c in tests.cases(a)] for a in inspect.signature(method).parameters]
        for arguments in itertools.product(*cases):
            method(*arguments)


def test_drift_knobs_must_name_the_teams_datasets(tenants_dir):
    assert "drifting" in failing(acme_tests(tenants_dir, drifting={})().test_drift_knobs_name_the_teams_datasets)
    assert "drift_alarms" in failing(acme_tests(tenants_dir, drift_alarms={"txn": "amount"})().test_drift_knobs_name_the_teams_datasets)
