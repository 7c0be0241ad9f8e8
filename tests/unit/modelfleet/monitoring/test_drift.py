"""Drift against the champion's training rows: the tenant's own generator with its drift knob is flagged, without it is not."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest

from modelfleet.monitoring import store
from modelfleet.monitoring.drift import EPSILON, PREDICTIONS, numeric_drift, psi
from modelfleet.specs.tenant import DriftThresholds

MODEL = "merchant_risk"


def test_psi_is_zero_for_equal_bins_and_grows_with_the_shift() -> None:
    same = psi(np.array([10.0, 20, 30]), np.array([1.0, 2, 3]))
    small = psi(np.array([10.0, 20, 30]), np.array([12.0, 20, 28]))
    large = psi(np.array([10.0, 20, 30]), np.array([30.0, 20, 10]))
    assert same == pytest.approx(0.0) and 0 < small < large
    assert np.isfinite(psi(np.array([1.0, 0.0]), np.array([0.0, 1.0])))  # an empty bin counts as EPSILON
    assert EPSILON > 0


def test_a_numeric_column_needs_both_a_large_psi_and_a_small_ks_pvalue() -> None:
    rng = np.random.default_rng(0)
    reference = rng.normal(0, 1, 5000)
    strict = DriftThresholds(psi_threshold=0.2, ks_pvalue=0.01)
    assert not numeric_drift("x", reference, rng.normal(0, 1, 5000), strict).drifted
    shifted = numeric_drift("x", reference, rng.normal(0.8, 1, 5000), strict)
    assert shifted.drifted and shifted.psi >= 0.2 and shifted.ks_pvalue < 0.01
    assert not numeric_drift("x", reference, rng.normal(0.8, 1, 5000), DriftThresholds(psi_threshold=5.0)).drifted


def test_the_champion_is_flagged_on_drifted_data_and_not_on_clean_data(stages) -> None:
    """A real champion (train -> evaluate -> register -> deploy on DAY), then the generator's next days."""
    from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
    from modelfleet.monitoring.checks import drift_findings
    from modelfleet.monitoring.reference import check_pipeline

    stages.through(MODEL, stages.day, rows=2000)
    pipeline = stages.home.pipeline(MODEL)
    thresholds = pipeline.model.monitoring_under(pipeline.tenant).drift
    registry = MlflowRegistryHook(tracking_uri=stages.mlflow_uri)

    stages.home.land(MODEL, stages.next_day, rows=2000, drift=0.0)
    clean = check_pipeline(pipeline, registry, thresholds)
    drifted_day = stages.next_day + timedelta(days=1)
    stages.home.land(MODEL, drifted_day, rows=2000, drift=1.0)
    drifted = check_pipeline(pipeline, registry, thresholds)

    for label, rows in (("clean", clean), ("drift=1.0", drifted)):  # the figure for the closing note
        print(label, ", ".join(f"{r['column']}: PSI {r['psi']:.3f} p {r['ks_pvalue'] if r['ks_pvalue'] is None else format(r['ks_pvalue'], '.1e')}"
                               f"{' DRIFT' if r['drifted'] else ''}" for r in rows))
    assert {r["data_date"] for r in clean} == {stages.next_day.isoformat()} and not any(r["drifted"] for r in clean)
    assert {r["data_date"] for r in drifted} == {drifted_day.isoformat()}
    flagged = {r["column"] for r in drifted if r["drifted"]}
    assert flagged - {PREDICTIONS}, "no feature flagged on drifted data"
    assert check_pipeline(pipeline, registry, thresholds) == []  # checked once per champion and data date
    [finding] = drift_findings(store.latest_drift())
    assert finding.tenant == "payments" and finding.subject == f"payments__{MODEL}:v1:{drifted_day.isoformat()}"
