"""Pods the platform runs on Kubernetes: the CPU and GPU pod templates, a GPU task's executor config, and the
Kueue Job form of a GPU training step.

How a GPU training task runs in Kubernetes mode: the task keeps its pool and
`queue="gpu"` from the DAG factory, and additionally gets
`executor="KubernetesExecutor"` with the `executor_config` of
`gpu_task_executor_args` (the DAG factory's embedded default does not use it
yet; see docs/operations.md). The KubernetesExecutor then creates the task's
pod from the class's template file with the override on top: in the team's
namespace, labelled with the team's LocalQueue and the task's
WorkloadPriorityClass, requesting k GPUs (and k times the class's CPU and
memory share), on the class's nodes. Kueue's pod integration holds the pod
until the team's ClusterQueue admits it; then it is scheduled and the task
runs exactly as under any executor.

`training_job` renders the other form Kueue admits: a suspended batch/v1 Job
built by the cncf-kubernetes provider's KubernetesStartKueueJobOperator, for
training that runs outside the Airflow task's own process.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from modelfleet.k8s import names
from modelfleet.k8s.kueue import scale

if TYPE_CHECKING:
    from kubernetes.client import models as k8s

    from modelfleet.k8s.helm import Deployment
    from modelfleet.scheduling.capacity import Capacity
    from modelfleet.specs.loader import PipelineSpec
    from modelfleet.specs.model import Resources

Manifest = dict[str, Any]

TRAIN_STEP_COMMAND = ("python", "-m", "modelfleet.training.step")
"""The Kueue Job form's entry point: train one candidate of one DAG run outside an Airflow task.
Not built yet (docs/operations.md): the Kubernetes mode trains in the task's own pod instead."""

CPU_REQUESTS = {"cpu": "1", "memory": "2Gi"}
"""A CPU task pod's requests (the KubernetesExecutor's CPU template)."""


def gpu_resources(capacity: Capacity, gpu_class: str, gpus: int) -> dict[str, dict[str, str]]:
    """k GPUs and k times the class's CPU and memory share: what the team's ClusterQueue counts for the pod."""
    placement = capacity.placement(gpu_class)
    cpu, memory = scale(placement.cpu_per_gpu, gpus), scale(placement.memory_per_gpu, gpus)
    return {"requests": {"cpu": cpu, "memory": memory, names.GPU_RESOURCE: str(gpus)},
            "limits": {"memory": memory, names.GPU_RESOURCE: str(gpus)}}


def tolerations(capacity: Capacity, gpu_class: str) -> list[dict[str, Any]]:
    """Tolerations of every taint the class's nodes carry."""
    found = []
    for taint in capacity.placement(gpu_class).taints:
        toleration: dict[str, Any] = {"key": taint.key, "operator": "Equal" if taint.value is not None else "Exists",
                                      "effect": taint.effect}
        if taint.value is not None:
            toleration["value"] = taint.value
        found.append(toleration)
    return found


def _git_sync(deploy: Deployment) -> dict[str, Any]:
    """A one-shot git-sync (v4) of the repository the chart's git-sync serves, into the DAGs volume."""
    env = [{"name": "GITSYNC_REPO", "value": deploy.git_repo}, {"name": "GITSYNC_REF", "value": deploy.git_ref},
           {"name": "GITSYNC_ROOT", "value": "/git"}, {"name": "GITSYNC_LINK", "value": "repo"},
           {"name": "GITSYNC_DEPTH", "value": "1"}, {"name": "GITSYNC_ONE_TIME", "value": "true"}]
    container: dict[str, Any] = {"name": "git-sync-init", "image": deploy.git_sync_image, "env": env,
                                 "volumeMounts": [{"name": "dags", "mountPath": "/git"}]}
    if deploy.git_credentials_secret:
        # The secret lives in Airflow's namespace; copy it into each team namespace (docs/operations.md).
        container["envFrom"] = [{"secretRef": {"name": deploy.git_credentials_secret, "optional": True}}]
    return container


def _environment(deploy: Deployment) -> list[dict[str, str]]:
    env = dict(deploy.env)
    env.update({"AIRFLOW__CORE__EXECUTION_API_SERVER_URL": deploy.execution_api_url,
                "AIRFLOW__CORE__DAGS_FOLDER": deploy.dags_folder})
    return [{"name": key, "value": value} for key, value in sorted(env.items())]


def pod_template(deploy: Deployment, capacity: Capacity, gpu_class: str | None = None) -> Manifest:
    """The KubernetesExecutor's template for CPU tasks (`gpu_class` None) or for one GPU class's tasks.

    The container is `base`, as the executor requires. A GPU template asks for
    one GPU; a k-GPU task's pod override asks for k. Team-specific parts (the
    namespace, the Kueue labels) come from the override too, so one template
    serves every team.
    """
    resources = gpu_resources(capacity, gpu_class, 1) if gpu_class else {"requests": dict(CPU_REQUESTS),
                                                                         "limits": {"memory": CPU_REQUESTS["memory"]}}
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,  # task pods talk to the execution API with a token of their own
        "initContainers": [_git_sync(deploy)],
        "containers": [{
            "name": "base", "image": deploy.image, "imagePullPolicy": "IfNotPresent",
            "env": _environment(deploy), "resources": resources,
            "volumeMounts": [{"name": "dags", "mountPath": deploy.dags_mount, "readOnly": True}],
        }],
        "volumes": [{"name": "dags", "emptyDir": {}}],
    }
    labels = {**names.PART_OF, "modelfleet.io/queue": "gpu" if gpu_class else "cpu"}
    if gpu_class:
        labels["modelfleet.io/gpu-class"] = gpu_class
        spec["nodeSelector"] = dict(capacity.placement(gpu_class).node_labels)
        spec["tolerations"] = tolerations(capacity, gpu_class)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "placeholder-name", "labels": labels}, "spec": spec}


def pod_templates(deploy: Deployment, capacity: Capacity) -> dict[str, Manifest]:
    """File name -> template: the CPU template and one per GPU class that has devices."""
    templates = {names.CPU_TEMPLATE: pod_template(deploy, capacity)}
    for gpu_class in capacity.classes_with_devices():
        templates[names.gpu_template(gpu_class)] = pod_template(deploy, capacity, gpu_class)
    return templates


def priority_tier(pipeline: PipelineSpec) -> str:
    """The model's own tier, else its team's: the same choice as the Airflow priority weight (dag_factory.defaults)."""
    return pipeline.model.priority_tier or pipeline.tenant.priority_tier


def kueue_labels(pipeline: PipelineSpec) -> dict[str, str]:
    return {names.QUEUE_LABEL: names.LOCAL_QUEUE, names.PRIORITY_LABEL: names.priority_class(priority_tier(pipeline))}


def gpu_pod_override(pipeline: PipelineSpec, resources: Resources, capacity: Capacity) -> Manifest:
    """The override of a GPU task's pod, as a manifest: team namespace, Kueue labels, k GPUs on the class's nodes."""
    assert resources.gpu_class, "a GPU task names its class (spec validation)"
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"namespace": names.namespace(pipeline.tenant.id),
                     "labels": {**kueue_labels(pipeline), "modelfleet.io/tenant": pipeline.tenant.id}},
        "spec": {"containers": [{"name": "base", "resources": gpu_resources(capacity, resources.gpu_class, resources.gpus)}],
                 "nodeSelector": dict(capacity.placement(resources.gpu_class).node_labels),
                 "tolerations": tolerations(capacity, resources.gpu_class)},
    }


class _Response:
    """What the kubernetes client deserializes: a response body."""

    def __init__(self, manifest: Any) -> None:
        import json

        self.data = json.dumps(manifest)


def to_model(manifest: Manifest, kind: str = "V1Pod") -> Any:
    """A manifest as the kubernetes client's model (what Airflow's executor and operators take)."""
    from kubernetes.client import ApiClient

    return ApiClient().deserialize(_Response(manifest), kind)


def to_manifest(model: Any) -> Manifest:
    """A kubernetes client model as a plain manifest (camelCase keys, no nulls)."""
    from kubernetes.client import ApiClient

    return ApiClient().sanitize_for_serialization(model)


def gpu_task_executor_args(pipeline: PipelineSpec, resources: Resources, capacity: Capacity) -> dict[str, Any]:
    """Task arguments that run a GPU task on Kubernetes under Kueue; `{}` for a CPU task (it stays on Celery's `cpu` queue).

    `executor_config` is what the KubernetesExecutor reads: the class's pod
    template file (mounted in the scheduler from the pod templates
    ConfigMap) and a V1Pod override for the team and the task's size.
    """
    if resources.device != "gpu" or not resources.gpu_class:
        return {}
    override: k8s.V1Pod = to_model(gpu_pod_override(pipeline, resources, capacity))
    return {"executor": "KubernetesExecutor",
            "executor_config": {"pod_template_file": names.template_path(names.gpu_template(resources.gpu_class)),
                                "pod_override": override}}


def training_job(pipeline: PipelineSpec, task_id: str, resources: Resources, capacity: Capacity, deploy: Deployment,
                 command: Sequence[str] = TRAIN_STEP_COMMAND) -> Manifest:
    """The suspended Job KubernetesStartKueueJobOperator would submit for a GPU training step, as a manifest.

    Built by the provider's own operator (its `build_job_request_obj`), so
    the queue label, `suspend: true` and the Job's shape are the provider's:
    team namespace, LocalQueue, WorkloadPriorityClass label, k GPUs with the
    class's CPU and memory share, node selector and tolerations, the DAGs
    fetched by git-sync, and a deadline of the step's timeout.
    """
    from airflow.providers.cncf.kubernetes.operators.kueue import KubernetesStartKueueJobOperator

    assert resources.gpu_class, "a GPU task names its class (spec validation)"
    template = pod_template(deploy, capacity, resources.gpu_class)
    container = template["spec"]["containers"][0]
    arguments = [*command[1:], "--dag-id", pipeline.dag_id, "--task-id", task_id, "--logical-date", "{{ ds }}"]
    operator = KubernetesStartKueueJobOperator(
        task_id=task_id,
        queue_name=names.LOCAL_QUEUE,
        namespace=names.namespace(pipeline.tenant.id),
        name=names.job_name(pipeline.dag_id, task_id),
        random_name_suffix=False,
        image=deploy.image,
        cmds=[command[0]],
        arguments=arguments,
        labels={names.PRIORITY_LABEL: names.priority_class(priority_tier(pipeline)), **names.PART_OF,
                "modelfleet.io/tenant": pipeline.tenant.id},
        env_vars=[to_model(e, "V1EnvVar") for e in container["env"]],
        container_resources=to_model(gpu_resources(capacity, resources.gpu_class, resources.gpus), "V1ResourceRequirements"),
        node_selector=dict(capacity.placement(resources.gpu_class).node_labels),
        tolerations=[to_model(t, "V1Toleration") for t in tolerations(capacity, resources.gpu_class)],
        init_containers=[to_model(c, "V1Container") for c in template["spec"]["initContainers"]],
        volumes=[to_model(v, "V1Volume") for v in template["spec"]["volumes"]],
        volume_mounts=[to_model(m, "V1VolumeMount") for m in container["volumeMounts"]],
        automount_service_account_token=False,
        suspend=True,  # Kueue unsuspends it on admission
        backoff_limit=0,  # Airflow's retries retry the step, not Kubernetes
        active_deadline_seconds=int(resources.timeout.total_seconds()),
        wait_until_job_complete=True,
        get_logs=True,
    )
    # Building the request asks the hook one thing, whether it runs inside a cluster (a pod label). The operator runs
    # on a worker in the cluster; answer so instead of connecting to one.
    operator.__dict__["hook"] = _InCluster()
    return to_manifest(operator.build_job_request_obj())


class _InCluster:
    is_in_cluster = True
