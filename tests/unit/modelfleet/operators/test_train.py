"""TrainModelOperator against a real MLflow store: params, per-epoch metrics, the model, lineage tags."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pandas as pd
import pytest

from modelfleet.lineage import tags as lineage
from modelfleet.scheduling import audit, leases
from modelfleet.scheduling.capacity import load_capacity

REPO = Path(__file__).resolve().parents[4]

FRAMEWORKS = [
    pytest.param("merchant_risk", "xgboost", "valid_logloss", "num_boost_round", id="xgboost"),
    pytest.param("account_takeover", "torch", "valid_loss", "epochs", id="torch"),
]


@pytest.mark.parametrize(("model", "framework", "epoch_metric", "epochs_param"), FRAMEWORKS)
def test_train_tracks_params_epochs_model_and_versions(stages, model, framework, epoch_metric, epochs_param):
    from modelfleet.training.loading import load_fleet_model

    from modelfleet.lineage.versions import code_revision, file_sha256

    spec = stages.home.pipeline(model).model
    data = stages.home.land(model, stages.day)
    run = stages.train(model, stages.day)
    result = run.ti.xcoms["train"]
    assert result["model_name"] == f"payments__{model}" and result["candidate"] == "main"

    tracked = stages.client.get_run(result["run_id"])
    tags, params = tracked.data.tags, tracked.data.params
    assert tags["framework"] == framework and tags["tenant"] == "payments" and tags["logical_date"] == run.ds
    assert tags[lineage.INPUT_SHA256] == file_sha256(str(data)) and tags[lineage.INPUT_PATH] == str(data)
    assert tags[lineage.CODE_REVISION] == code_revision() and tags[lineage.DAG_ID] == f"payments__{model}"
    assert tags[lineage.DAG_RUN_ID] == run.context()["run_id"] and tags["seed"] == str(spec.training.seed)
    training_set = stages.home.run_dir(model, run.ds) / "training_set.parquet"
    assert tags[f"{lineage.TRAINING_SET}.md5"] == hashlib.md5(training_set.read_bytes()).hexdigest()
    if (REPO / ".git").exists():  # a git checkout (not a Pants sandbox): the revision is known
        assert len(tags[lineage.CODE_REVISION].removesuffix("-dirty")) == 40
    for name, value in spec.training.hyperparameters.items():
        assert params[name] == str(value)
    assert params["seed"] == str(spec.training.seed) and int(params["rows_train"]) + int(params["rows_holdout"]) == 1000

    history = stages.client.get_metric_history(result["run_id"], epoch_metric)
    assert [m.step for m in history] == list(range(int(spec.training.hyperparameters[epochs_param])))
    assert tracked.data.metrics[f"holdout_{spec.evaluation.metric}"] == pytest.approx(result["metric"])

    if spec.training.resources.device == "gpu":  # account_takeover trains on one leased a10g
        assert result["gpu_lease"]["gpu_class"] == "a10g" and len(result["gpu_lease"]["devices"]) == 1
        assert tags["gpu_lease"] == f"a10g {result['gpu_lease']['host']}:{result['gpu_lease']['devices']}"
    else:
        assert "gpu_lease" not in result and tags["gpu_lease"] == "cpu"
    assert leases.open_leases() == []

    holdout = pd.read_parquet(stages.home.run_dir(model, run.ds) / "holdout.parquet")
    path_before = list(sys.path)
    predictions = load_fleet_model(result["model_uri"]).predict(holdout)
    assert sys.path == path_before  # the model's bundled code would shadow the platform for later imports and children
    assert len(predictions) == len(holdout) and ((predictions >= 0) & (predictions <= 1)).all()


def look_while_fitting(monkeypatch, look):
    """Every trainer the train task gets calls `look()` as it starts fitting; returns what it saw, in order."""
    from modelfleet.training import fit as training_fit

    seen = []
    real = training_fit.get_trainer

    def spying(framework):
        trainer = real(framework)
        fit = trainer.fit

        def fit_and_look(*args, **kwargs):
            seen.append(look())
            return fit(*args, **kwargs)

        monkeypatch.setattr(trainer, "fit", fit_and_look)
        return trainer

    monkeypatch.setattr(training_fit, "get_trainer", spying)
    return seen


def test_gpu_training_sees_exactly_its_leased_devices(stages, monkeypatch):
    """The trainer runs with CUDA_VISIBLE_DEVICES set to the lease, and a second GPU task gets another device."""
    seen = look_while_fitting(monkeypatch, lambda: (os.environ.get("CUDA_VISIBLE_DEVICES"),
                                                    [(r.host, r.device) for r in leases.open_leases()]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    other = leases.try_acquire(load_capacity(), leases.Holder("payments", "payments__x", "r", "t"), "a10g", 1)
    result = stages.train("account_takeover", stages.day).ti.xcoms["train"]
    visible, held = seen[0]
    assert visible == ",".join(str(d) for d in result["gpu_lease"]["devices"])
    assert (result["gpu_lease"]["host"], result["gpu_lease"]["devices"][0]) != (other.host, other.devices[0])
    assert len(held) == 2 and "CUDA_VISIBLE_DEVICES" not in os.environ
    leases.release(other)
    assert audit.audit().ok


def test_on_kubernetes_gpu_training_uses_the_pods_devices_and_takes_no_lease(stages, monkeypatch):
    """Kueue admitted the pod and the device plugin bound its GPUs: the task records them and leases nothing."""
    seen = look_while_fitting(monkeypatch, lambda: (os.environ.get("CUDA_VISIBLE_DEVICES"), leases.open_leases()))
    monkeypatch.setenv("MODELFLEET_MODE", "kubernetes")
    monkeypatch.setenv("NVIDIA_VISIBLE_DEVICES", "GPU-5b1f0c1e-7d3a-4c1b-9a43-0b6f1c2d3e4f")  # what the device plugin sets
    monkeypatch.setenv("MODELFLEET_GPU_HOST", "gpu-node-7")  # the pod template's downward API
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    result = stages.train("account_takeover", stages.day).ti.xcoms["train"]
    assert result["gpu_lease"] == {"gpu_class": "a10g", "host": "gpu-node-7", "granted_by": "kubernetes",
                                   "devices": ["GPU-5b1f0c1e-7d3a-4c1b-9a43-0b6f1c2d3e4f"]}
    assert seen == [(None, [])]  # no lease row, and CUDA sees the container's own devices
    tags = stages.client.get_run(result["run_id"]).data.tags
    assert tags["gpu_lease"] == "a10g gpu-node-7:['GPU-5b1f0c1e-7d3a-4c1b-9a43-0b6f1c2d3e4f']"
