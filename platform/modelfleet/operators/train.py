"""Train one candidate (optionally one partition) and track it in MLflow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modelfleet.operators.stage import PipelineStageOperator
from modelfleet.specs.loader import registered_model_name
from modelfleet.specs.model import Resources


class TrainModelOperator(PipelineStageOperator):
    """Fits the spec's framework (or a challenger's) and logs params, per-epoch metrics and the model.

    The hold-out split is seeded (whole query groups for ranking), so every
    candidate and the champion are scored on the same rows. Returns a small XCom: run id, model URI, metric.
    """

    template_fields: Sequence[str] = ("partition",)
    ui_color = "#f3e8fd"

    def __init__(self, *, candidate: str = "main", partition: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.candidate = candidate
        self.partition = partition

    @property
    def training_resources(self) -> Resources:
        spec = self.pipeline.model
        for candidate in spec.candidates:
            if candidate.name == self.candidate:
                return candidate.resources
        return spec.training.resources

    def execute(self, context: Any) -> dict[str, Any]:
        """CPU work trains at once; GPU work first leases concrete devices and trains on exactly those."""
        resources = self.training_resources
        if resources.device != "gpu" or not resources.gpu_class:
            return self.train(context)
        from modelfleet.scheduling.capacity import load_capacity
        from modelfleet.scheduling.leases import Holder, leased_devices

        ti = context["ti"]
        holder = Holder(self.tenant_id, self.pipeline.dag_id, context["run_id"], self.task_id,
                        getattr(ti, "map_index", -1), getattr(ti, "try_number", 0))
        with leased_devices(load_capacity(), holder, resources.gpu_class, resources.gpus) as lease:
            lease_info = {"gpu_class": lease.gpu_class, "host": lease.host, "devices": list(lease.devices)}
            return {**self.train(context, lease_info), "gpu_lease": lease_info}

    def train(self, context: Any, gpu_lease: dict[str, Any] | None = None) -> dict[str, Any]:
        import mlflow
        import pandas as pd
        from mlflow.models import infer_signature

        from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
        from modelfleet.lineage.versions import code_revision, file_sha256
        from modelfleet.io import rendered_data_path
        from modelfleet.training.base import get_trainer
        from modelfleet.training.encoding import FeatureEncoder
        from modelfleet.training.metrics import score
        from modelfleet.training.pyfunc import FleetModel
        from modelfleet.training.split import holdout_mask

        pipeline, spec = self.pipeline, self.pipeline.model
        framework, hyperparameters = spec.framework, dict(spec.training.hyperparameters)
        for candidate in spec.candidates:
            if candidate.name == self.candidate:
                framework, hyperparameters = candidate.framework, dict(candidate.hyperparameters)
        run_dir = self.run_dir(context)
        frame = pd.read_parquet(run_dir / "training_set.parquet")
        if self.partition and spec.partitions:
            frame = frame[frame[spec.partitions.key].astype(str) == str(self.partition)].reset_index(drop=True)
        group_key = spec.features.join_keys[0] if spec.task == "ranking" else None
        held = holdout_mask(frame, spec.training.seed, group_key)
        train, holdout = frame[~held], frame[held]
        suffix = f"_{self.partition}" if self.partition else ""
        holdout.to_parquet(run_dir / f"holdout{suffix}.parquet", index=False)

        encoder = FeatureEncoder.from_spec(spec)
        label = spec.features.label
        x_train, y_train = encoder.transform(train), train[label].to_numpy(dtype=float)
        x_hold, y_hold = encoder.transform(holdout), holdout[label].to_numpy(dtype=float)
        trainer = get_trainer(framework)

        hook = MlflowRegistryHook()
        hook.activate()
        model_name = registered_model_name(pipeline.dag_id, self.partition)
        mlflow.set_experiment(pipeline.dag_id)
        data_path = rendered_data_path(pipeline, context["ds"])
        with mlflow.start_run(run_name=f"{context['ds']}-{self.candidate}{suffix}") as run:
            mlflow.set_tags({
                "tenant": pipeline.tenant.id, "dag_id": pipeline.dag_id, "candidate": self.candidate,
                "framework": framework, "logical_date": context["ds"], "partition": self.partition or "",
                "airflow_run_id": context["run_id"], "data_path": data_path,
                "data_version": file_sha256(data_path), "code_version": code_revision(),
                "gpu_lease": f"{gpu_lease['gpu_class']} {gpu_lease['host']}:{gpu_lease['devices']}" if gpu_lease else "cpu",
            })
            mlflow.log_params({**hyperparameters, "seed": spec.training.seed, "rows_train": len(train), "rows_holdout": len(holdout)})
            model = trainer.fit(
                x_train, y_train, x_hold, y_hold, task=spec.task, hyperparameters=hyperparameters,
                seed=spec.training.seed, log_epoch=lambda step, values: mlflow.log_metrics(values, step=step),
                groups_train=train[group_key].to_numpy() if group_key else None,
            )
            predictions = trainer.predict(model, x_hold)
            groups = holdout[group_key].to_numpy() if group_key else None
            value = score(spec.evaluation.metric, y_hold, predictions, groups)
            mlflow.log_metric(f"holdout_{spec.evaluation.metric}", value)
            example = holdout[encoder.columns].head(5)
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=FleetModel(framework, encoder, model),
                signature=infer_signature(example, trainer.predict(model, encoder.transform(example))),
                input_example=example,
                pip_requirements=[*trainer.pip_requirements(), f"pandas=={pd.__version__}", "modelfleet"],
            )
        self.log.info("%s %s%s: holdout %s = %.4f (run %s)", model_name, self.candidate, suffix, spec.evaluation.metric, value, run.info.run_id)
        return {"run_id": run.info.run_id, "model_uri": info.model_uri, "metric": value, "candidate": self.candidate,
                "partition": self.partition, "model_name": model_name}
