"""TrainModelOperator against a real MLflow store: params, per-epoch metrics, the model, lineage tags."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[4]

FRAMEWORKS = [
    pytest.param("merchant_risk", "xgboost", "valid_logloss", "num_boost_round", id="xgboost"),
    pytest.param("account_takeover", "torch", "valid_loss", "epochs", id="torch"),
]


@pytest.mark.parametrize(("model", "framework", "epoch_metric", "epochs_param"), FRAMEWORKS)
def test_train_tracks_params_epochs_model_and_versions(stages, model, framework, epoch_metric, epochs_param):
    import mlflow.pyfunc

    from modelfleet.lineage.versions import code_revision, file_sha256

    spec = stages.home.pipeline(model).model
    data = stages.home.land(model, stages.day)
    run = stages.train(model, stages.day)
    result = run.ti.xcoms["train"]
    assert result["model_name"] == f"payments__{model}" and result["candidate"] == "main"

    tracked = stages.client.get_run(result["run_id"])
    tags, params = tracked.data.tags, tracked.data.params
    assert tags["framework"] == framework and tags["tenant"] == "payments" and tags["logical_date"] == run.ds
    assert tags["data_version"] == file_sha256(str(data)) and tags["data_path"] == str(data)
    assert tags["code_version"] == code_revision()
    if (REPO / ".git").exists():  # a git checkout (not a Pants sandbox): the revision is known
        assert len(tags["code_version"].removesuffix("-dirty")) == 40
    for name, value in spec.training.hyperparameters.items():
        assert params[name] == str(value)
    assert params["seed"] == str(spec.training.seed) and int(params["rows_train"]) + int(params["rows_holdout"]) == 1000

    history = stages.client.get_metric_history(result["run_id"], epoch_metric)
    assert [m.step for m in history] == list(range(int(spec.training.hyperparameters[epochs_param])))
    assert tracked.data.metrics[f"holdout_{spec.evaluation.metric}"] == pytest.approx(result["metric"])

    holdout = pd.read_parquet(stages.home.run_dir(model, run.ds) / "holdout.parquet")
    predictions = mlflow.pyfunc.load_model(result["model_uri"]).predict(holdout)
    assert len(predictions) == len(holdout) and ((predictions >= 0) & (predictions <= 1)).all()
