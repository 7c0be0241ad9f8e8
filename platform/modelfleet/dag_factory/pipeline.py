"""One DAG per model spec: sensor -> validate -> quality gate -> features -> train -> evaluate -> register -> deploy.

Runs at parse time for every pipeline, so it only wires operators: no I/O,
no heavy imports, nothing that needs a connection.

The quality gate routes on the validation quality score:

    quality_gate -> build_features -> train* -> evaluate -> register -> deploy -> summarize
                 -> allow_deploy ---------------------------------------^
                 -> quality_alert

full: build_features and allow_deploy run; reduced: allow_deploy is skipped,
so deploy (all_success) is skipped and the champion stays; alert: only
quality_alert runs, and fails the run with the violations. `summarize` joins
register and deploy with none_failed_min_one_success.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TriggerRule

from modelfleet.dag_factory.assets import input_asset, model_asset, tenant_asset, training_set_asset

from modelfleet.dag_factory.defaults import START_DATE, attach_callbacks, task_args, tenant_tags
from modelfleet.dag_factory.docs import pipeline_doc
from modelfleet.k8s import runtime
from modelfleet.monitoring.deadlines import pipeline_deadline
from modelfleet.operators.deploy import DeployModelOperator
from modelfleet.operators.evaluate import EvaluateModelOperator
from modelfleet.operators.features import BuildFeaturesOperator
from modelfleet.operators.quality_alert import DataQualityAlertOperator
from modelfleet.operators.quality_gate import ALERT, FULL, REDUCED, QualityGateOperator
from modelfleet.operators.register import RegisterModelOperator
from modelfleet.operators.summary import RunSummaryOperator
from modelfleet.operators.train import TrainModelOperator
from modelfleet.operators.validate_data import ValidateDataOperator
from modelfleet.scheduling.pools import gpu_pool_name
from modelfleet.sensors.data_file import DataFileSensor
from modelfleet.specs.loader import PipelineSpec
from modelfleet.specs.model import AIRFLOW_DS, Resources, render_ds


def wait_for_input(pipeline: PipelineSpec, task_id: str = "wait_for_data") -> DataFileSensor:
    """The sensor on a pipeline's input for the run's logical date (`{ds}` in the spec's path)."""
    return DataFileSensor(
        task_id=task_id,
        path=render_ds(pipeline.data_path, AIRFLOW_DS),
        min_size_bytes=pipeline.model.data.min_size_bytes,
        max_age=pipeline.model.data.max_age,
        inlets=[input_asset(pipeline.data_path)],
    )


def schedule_for(pipeline: PipelineSpec) -> Any:
    schedule = pipeline.model.schedule
    if isinstance(schedule, str):
        return schedule
    return [tenant_asset(pipeline.tenant.id, schedule.asset)]


def resource_args(pipeline: PipelineSpec, resources: Resources) -> dict[str, Any]:
    """Queue, pool and timeout of a training task: k GPUs take k slots of the team's pool for k-GPU tasks of the class.

    On Kubernetes (modelfleet.k8s.runtime) a GPU task also names the
    KubernetesExecutor and its pod: the team's namespace and Kueue queue, k
    GPUs on the class's nodes. Validation guarantees a GPU request names a
    class the fleet has and the team's quota covers.
    """
    args: dict[str, Any] = {"queue": resources.queue, "execution_timeout": resources.timeout}
    if resources.device == "gpu" and resources.gpu_class:
        args.update(pool=gpu_pool_name(pipeline.tenant.id, resources.gpu_class, resources.gpus), pool_slots=resources.gpus)
        if runtime.active():
            from modelfleet.k8s.pods import gpu_task_executor_args
            from modelfleet.scheduling.capacity import load_capacity

            args.update(gpu_task_executor_args(pipeline, resources, load_capacity()))
    return args


def build_pipeline_dag(pipeline: PipelineSpec) -> DAG:
    spec, tenant = pipeline.model, pipeline.tenant
    ids = {"tenant_id": tenant.id, "model_name": spec.name}
    with DAG(
        dag_id=pipeline.dag_id,
        schedule=schedule_for(pipeline),
        start_date=START_DATE,
        catchup=False,
        max_active_runs=1,
        tags=[*tenant_tags(tenant), f"framework:{spec.framework}", *spec.tags],
        doc_md=pipeline_doc(pipeline),
        description=(spec.description or f"{spec.task} model of {tenant.name}")[:200],
        default_args=task_args(tenant, pipeline.owners, spec.retries, spec.priority_tier),
        deadline=pipeline_deadline(tenant.id, pipeline.dag_id, spec.monitoring_under(tenant).deadline),
    ) as dag:
        sensor = wait_for_input(pipeline)
        validate = ValidateDataOperator(task_id="validate_data", inlets=[input_asset(pipeline.data_path)], **ids)
        gate = QualityGateOperator(
            task_id="quality_gate",
            branches={FULL: ["build_features", "allow_deploy"], REDUCED: ["build_features"], ALERT: ["quality_alert"]},
        )
        allow_deploy = EmptyOperator(task_id="allow_deploy")
        alert = DataQualityAlertOperator(task_id="quality_alert")
        training_set = training_set_asset(tenant.id, spec.name)
        features = BuildFeaturesOperator(task_id="build_features", outlets=[training_set], **ids)
        trainers = []
        if spec.partitions:
            trainers.append(
                TrainModelOperator.partial(task_id="train", candidate="main", inlets=[training_set], **ids, **resource_args(pipeline, spec.training.resources))
                .expand(partition=spec.partitions.values)
            )
        else:
            trainers.append(TrainModelOperator(task_id="train", candidate="main", inlets=[training_set], **ids,
                                               **resource_args(pipeline, spec.training.resources)))
            for candidate in spec.candidates:
                trainers.append(
                    TrainModelOperator(
                        task_id=f"train_{candidate.name}", candidate=candidate.name, inlets=[training_set], **ids,
                        **resource_args(pipeline, candidate.resources),
                    )
                )
        evaluate = EvaluateModelOperator(task_id="evaluate", train_task_ids=[t.task_id for t in trainers], **ids)
        register = RegisterModelOperator(task_id="register", outlets=[model_asset(tenant.id, spec.name)], **ids)
        deploy = DeployModelOperator(task_id="deploy", **ids)
        summary = RunSummaryOperator(task_id="summarize", trigger_rule=TriggerRule.NONE_FAILED_MIN_ONE_SUCCESS, **ids)
        sensor >> validate >> gate >> [features, allow_deploy, alert]
        features >> trainers
        trainers >> evaluate >> register >> deploy
        allow_deploy >> deploy
        [register, deploy] >> summary
    return attach_callbacks(dag, tenant, spec.priority_tier)
