"""ScoreBatchOperator: the champion scores the day's rows into one file per logical date; no champion, no scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from airflow.sdk.exceptions import AirflowSkipException

from modelfleet.operators.deploy import DeployModelOperator
from modelfleet.operators.evaluate import EvaluateModelOperator
from modelfleet.operators.register import RegisterModelOperator
from modelfleet.operators.score import ScoreBatchOperator, scores_path
from modelfleet.training.loading import load_fleet_model


def score(stages, model, day):
    run = stages.run_for(day)
    return run.run(stages.operator(ScoreBatchOperator, "score", model))


def materialize(stages, model, day):
    """The features stage for real (Feast apply + materialize of the day), so scoring can read the online store."""
    from modelfleet.operators.features import BuildFeaturesOperator

    stages.run_for(day).run(stages.operator(BuildFeaturesOperator, "build_features", model))


def test_without_a_champion_scoring_is_skipped_and_writes_nothing(stages):
    stages.home.land("merchant_risk", stages.next_day)
    with pytest.raises(AirflowSkipException, match="no champion yet for payments__merchant_risk"):
        score(stages, "merchant_risk", stages.next_day)
    assert not scores_path("payments__merchant_risk", stages.next_day.isoformat()).exists()


def test_champion_scores_every_row_and_a_rerun_replaces_the_file(stages):
    stages.through("merchant_risk", stages.day)
    data = stages.home.land("merchant_risk", stages.next_day, rows=600)
    materialize(stages, "merchant_risk", stages.next_day)
    # Spoil the raw file's features after materializing: predictions must still match the
    # online values, which proves scoring reads Feast, not the file.
    rows = pd.read_parquet(data)
    spoiled = rows.copy()
    feature = next(c for c in rows.columns if c not in ("merchant_id", "event_timestamp") and pd.api.types.is_float_dtype(rows[c]))
    spoiled[feature] = 0.0
    spoiled.to_parquet(data, index=False)

    result = score(stages, "merchant_risk", stages.next_day)
    target = scores_path("payments__merchant_risk", stages.next_day.isoformat())
    assert result["path"] == str(target) and target.parent == stages.home.state / "scores" / "payments__merchant_risk"
    assert result["rows"] == result["input_rows"] == 600
    assert result["model_versions"] == {"payments__merchant_risk": "1"} and result["unscored_models"] == []

    scored = pd.read_parquet(target)
    assert list(scored.columns) == ["merchant_id", "event_timestamp", "prediction", "model_name", "model_version"]
    assert scored["merchant_id"].tolist() == rows["merchant_id"].tolist()
    champion = load_fleet_model("models:/payments__merchant_risk@champion")
    np.testing.assert_allclose(scored["prediction"].to_numpy(), np.asarray(champion.predict(rows), dtype=float), rtol=1e-6)
    assert not np.allclose(np.asarray(champion.predict(spoiled), dtype=float), scored["prediction"].to_numpy())
    assert set(scored["model_version"]) == {"1"}

    again = score(stages, "merchant_risk", stages.next_day)
    assert again == result
    assert sorted(p.name for p in target.parent.iterdir()) == [target.name]  # replaced, no temporary leftovers
    pd.testing.assert_frame_equal(pd.read_parquet(target), scored)


def test_partitions_are_scored_by_their_own_champion_only(stages):
    model = "card_fraud_regional"
    run = stages.train(model, stages.day, partition="na")
    run.run(stages.operator(EvaluateModelOperator, "evaluate", model, train_task_ids=["train"]))
    run.run(stages.operator(RegisterModelOperator, "register", model))
    run.run(stages.operator(DeployModelOperator, "deploy", model))
    assert stages.champion("payments__card_fraud_regional__na") == "1"

    data = stages.home.land(model, stages.next_day, rows=600)
    materialize(stages, model, stages.next_day)
    result = score(stages, model, stages.next_day)
    rows = pd.read_parquet(data)
    assert result["rows"] == int((rows["region"] == "na").sum()) and result["input_rows"] == 600
    assert result["unscored_models"] == ["payments__card_fraud_regional__apac", "payments__card_fraud_regional__eu"]
    scored = pd.read_parquet(result["path"])
    assert set(scored["region"]) == {"na"} and set(scored["model_name"]) == {"payments__card_fraud_regional__na"}
