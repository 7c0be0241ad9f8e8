"""Train one candidate (optionally one partition) and track it in MLflow."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelfleet.lineage import tags
from modelfleet.operators.stage import PipelineStageOperator
from modelfleet.specs.loader import registered_model_name
from modelfleet.specs.model import Resources

if TYPE_CHECKING:
    from modelfleet.lineage.snapshots import Snapshot


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
        """CPU work trains at once; GPU work first leases concrete devices and trains on exactly those.

        On Kubernetes, Kueue and the device plugin already gave the task's pod its devices (modelfleet.k8s.runtime).
        """
        resources = self.training_resources
        if resources.device != "gpu" or not resources.gpu_class:
            return self.train(context)
        from modelfleet.k8s import runtime

        if runtime.active():
            grant = runtime.device_grant(resources.gpu_class, resources.gpus)
            return {**self.train(context, grant), "gpu_lease": grant}
        from modelfleet.scheduling.capacity import load_capacity
        from modelfleet.scheduling.leases import Holder, leased_devices

        ti = context["ti"]
        holder = Holder(self.tenant_id, self.pipeline.dag_id, context["run_id"], self.task_id,
                        getattr(ti, "map_index", -1), getattr(ti, "try_number", 0))
        with leased_devices(load_capacity(), holder, resources.gpu_class, resources.gpus) as lease:
            lease_info = {"gpu_class": lease.gpu_class, "host": lease.host, "devices": list(lease.devices)}
            return {**self.train(context, lease_info), "gpu_lease": lease_info}

    def train(self, context: Any, gpu_lease: dict[str, Any] | None = None) -> dict[str, Any]:
        import tempfile

        import mlflow
        import pandas as pd
        from mlflow.models import infer_signature

        from modelfleet.hooks.mlflow_registry import MlflowRegistryHook
        from modelfleet.lineage.tracing import annotate, current_trace_id
        from modelfleet.training.bundle import bundle_training_code, pinned_requirements
        from modelfleet.training.fit import fit_candidate
        from modelfleet.training.pyfunc import FleetModel

        pipeline, spec = self.pipeline, self.pipeline.model
        run_dir = self.run_dir(context)
        frame = pd.read_parquet(run_dir / "training_set.parquet")
        lineage = self.lineage_tags(context, run_dir)
        suffix = f"_{self.partition}" if self.partition else ""
        hook = MlflowRegistryHook()
        hook.activate()
        model_name = registered_model_name(pipeline.dag_id, self.partition)
        mlflow.set_experiment(pipeline.dag_id)
        with mlflow.start_run(run_name=f"{context['ds']}-{self.candidate}{suffix}") as run:
            fitted = fit_candidate(spec, frame, candidate=self.candidate, partition=self.partition,
                                   log_epoch=lambda step, values: mlflow.log_metrics(values, step=step))
            mlflow.set_tags({
                **lineage, "tenant": pipeline.tenant.id, "candidate": self.candidate, "framework": fitted.framework,
                "logical_date": context["ds"], "partition": self.partition or "", "seed": str(spec.training.seed),
                "gpu_lease": f"{gpu_lease['gpu_class']} {gpu_lease['host']}:{gpu_lease['devices']}" if gpu_lease else "cpu",
            })
            mlflow.log_params({**fitted.hyperparameters, "seed": spec.training.seed, "rows_train": len(fitted.train),
                               "rows_holdout": len(fitted.holdout)})
            value = fitted.metric
            mlflow.log_metric(f"holdout_{spec.evaluation.metric}", value)
            fitted.holdout.to_parquet(run_dir / f"holdout{suffix}.parquet", index=False)
            example = fitted.holdout[fitted.encoder.columns].head(5)
            with tempfile.TemporaryDirectory(prefix="modelfleet-code-") as code:
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=FleetModel(fitted.framework, fitted.encoder, fitted.model),
                    signature=infer_signature(example, fitted.trainer.predict(fitted.model, fitted.encoder.transform(example))),
                    input_example=example,
                    code_paths=[str(bundle_training_code(Path(code)))],
                    pip_requirements=pinned_requirements(fitted.trainer.pip_requirements()),
                )
            annotate(mlflow_run_id=run.info.run_id, candidate=self.candidate, partition=self.partition,
                     data_md5=lineage.get(f"{tags.TRAINING_SET}.md5"), code_revision=lineage[tags.CODE_REVISION],
                     spec_sha256=lineage[tags.SPEC_SHA256], gpu_devices=list(gpu_lease["devices"]) if gpu_lease else None,
                     gpu_class=gpu_lease["gpu_class"] if gpu_lease else None)
        self.log.info("%s %s%s: holdout %s = %.4f (run %s, trace %s)", model_name, self.candidate, suffix,
                      spec.evaluation.metric, value, run.info.run_id, current_trace_id())
        return {"run_id": run.info.run_id, "model_uri": info.model_uri, "metric": value, "candidate": self.candidate,
                "partition": self.partition, "model_name": model_name}

    def snapshot_data(self, run_dir: Path) -> list[Snapshot]:
        """The run's training set and validation report (when there is one), added to DVC and pushed to the remote."""
        from modelfleet.lineage.snapshots import snapshot

        files = [run_dir / "training_set.parquet", run_dir / "validation_report.json"]
        return snapshot(run_dir, [f for f in files if f.exists()])

    def lineage_tags(self, context: Any, run_dir: Path) -> dict[str, str]:
        """Where this training's data, spec and code came from (modelfleet.lineage.tags), snapshotting the data to DVC.

        The training set the trainer reads, and the run's validation report when
        there is one, are added to the run folder's DVC workspace and pushed to
        the remote, so the exact rows can be fetched by hash after the local
        folders are gone.
        """
        from modelfleet import paths
        from modelfleet.io import rendered_data_path
        from modelfleet.lineage.tracing import current_trace_id
        from modelfleet.lineage.versions import code_revision, file_sha256, folder_revision, spec_sha256

        pipeline = self.pipeline
        by_name = {s.name: s for s in self.snapshot_data(run_dir)}
        tenants = paths.tenants_dir()
        data_path = rendered_data_path(pipeline, context["ds"])
        built = context["ti"].xcom_pull(task_ids="build_features") or {}
        found = {
            **by_name["training_set.parquet"].as_tags(tags.TRAINING_SET),
            **(by_name["validation_report.json"].as_tags(tags.VALIDATION_REPORT) if "validation_report.json" in by_name else {}),
            tags.INPUT_PATH: data_path,
            tags.CODE_REVISION: code_revision(),
            tags.TENANT_REVISION: folder_revision(tenants / pipeline.tenant.id),
            tags.SPEC_FILE: pipeline.file,
            tags.SPEC_SHA256: spec_sha256(tenants, pipeline.tenant.id, pipeline.model.name),
            tags.DAG_ID: pipeline.dag_id,
            tags.DAG_RUN_ID: context["run_id"],
        }
        if "://" not in data_path:  # a local input: its own hash too (S3 objects are identified by the snapshot)
            found[tags.INPUT_SHA256] = file_sha256(data_path)
        if built.get("feature_views"):
            found[tags.FEATURE_VIEWS] = json.dumps(built["feature_views"], sort_keys=True)
        trace_id = current_trace_id()
        if trace_id:
            found[tags.TRACE_ID] = trace_id
        return found
